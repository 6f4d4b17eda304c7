"""Kivy widgets drawn by us: the faces, the staff's status dot, the hidden staff corner, the staff panel's
shrink-to-fit facts and the root.

The root drops input noise (a second touch-down within ``DUPLICATE_TOUCH_S``, kivy/kivy#3801) before any
widget sees it, including the move and up events of the dropped touch.
"""

from __future__ import annotations

import time
from typing import Any

from kivy.animation import Animation
from kivy.app import App
from kivy.clock import Clock
from kivy.graphics import Color, Ellipse, Line, Mesh
from kivy.properties import BooleanProperty, ColorProperty, NumericProperty
from kivy.uix.behaviors import ButtonBehavior
from kivy.uix.button import Button
from kivy.uix.floatlayout import FloatLayout
from kivy.uix.label import Label
from kivy.uix.widget import Widget

from kiosk.faces import INK, face_look, mouth_points

LONG_PRESS_S = 2.0


class FaceButton(ButtonBehavior, Widget):
    """One smiley, drawn on the canvas; fires ``on_press`` at touch-down (the fastest answer).

    Only a touch inside the drawn circle counts (not the corners of its square), and a pressed face is
    drawn larger with a ring in the very next frame.
    """

    face = NumericProperty(0)
    scale = NumericProperty(4)

    @property
    def radius(self) -> float:
        return float(min(self.width, self.height) * 0.46)

    def collide_point(self, x: float, y: float) -> bool:
        return bool((x - self.center_x) ** 2 + (y - self.center_y) ** 2 <= self.radius**2)

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.bind(pos=self._redraw, size=self._redraw, face=self._redraw, scale=self._redraw, state=self._redraw)
        self._redraw()

    def _redraw(self, *_: Any) -> None:
        self.canvas.clear()
        scale = int(self.scale)
        face = min(int(self.face), scale - 1)
        look = face_look(face, scale)
        is_down = self.state == "down"
        r = self.radius * (1.08 if is_down else 1.0)
        if r <= 1:
            return
        cx, cy = self.center
        with self.canvas:
            Color(0, 0, 0, 0.10)
            Ellipse(pos=(cx - r, cy - r * 1.06), size=(2 * r, 2 * r))
            if is_down:  # press feedback: a ring around the grown face
                Color(*INK)
                Line(circle=(cx, cy, r * 1.06), width=max(2.0, r * 0.05))
            Color(*look.colour)
            Ellipse(pos=(cx - r, cy - r), size=(2 * r, 2 * r))
            Color(*INK)
            Line(circle=(cx, cy, r), width=max(1.0, r * 0.025))
            eye_r, ex, ey = r * 0.115, r * 0.34, r * 0.2
            for sx in (-1, 1):
                Ellipse(pos=(cx + sx * ex - eye_r, cy + ey - eye_r), size=(2 * eye_r, 2 * eye_r * 1.15))
                if look.brow_slant:
                    outer, inner = cx + sx * (ex + r * 0.2), cx + sx * (ex - r * 0.2)
                    by = cy + ey + r * 0.24
                    Line(
                        points=[outer, by + look.brow_slant * r * 0.5, inner, by - look.brow_slant * r * 0.5],
                        width=r * 0.055,
                        cap="round",
                    )
            my = cy - r * 0.38 + look.mouth_bend * r * 0.5  # keep the curve centred below the eyes
            half = r * 0.42
            lower = [(cx + x, my + y) for x, y in mouth_points(look.mouth_bend * r, half_width=half)]
            if look.is_open_smile:
                upper = [(cx + x, my + y) for x, y in mouth_points(0.04 * r, half_width=half)]
                outline = upper + lower[::-1]
                mx = sum(p[0] for p in outline) / len(outline)
                mcy = sum(p[1] for p in outline) / len(outline)
                pts = [(mx, mcy), *outline, outline[0]]
                Mesh(
                    vertices=[v for x, y in pts for v in (x, y, 0, 0)],
                    indices=list(range(len(pts))),
                    mode="triangle_fan",
                )
            else:
                Line(points=[v for p in lower for v in p], width=r * 0.07, cap="round", joint="round")


class Chip(Button):
    """A big rounded text button (reasons, language switch, PIN keys); ``fill`` is its colour."""

    fill = ColorProperty([0.89, 0.90, 0.93, 1])


class LanguageButton(Chip):
    is_current = BooleanProperty(False)


class FitLabel(Label):
    """A label whose font shrinks (down to half of ``max_font_size``) until its whole text fits its box. For the
    staff panel's facts: one line wrapping (a long broker address, a failover, an error) pushed the last facts
    out of sight (test-output/kiosk/staff-panel-failover.png)."""

    max_font_size = NumericProperty(15.0)

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._refit = Clock.create_trigger(self.fit)
        self.bind(text=self._refit, size=self._refit, max_font_size=self._refit)

    def fit(self, *_: Any) -> None:
        size = float(self.max_font_size)
        while size > self.max_font_size / 2 and self.text_height(size) > self.height:
            size *= 0.92
        self.font_size = size

    def text_height(self, font_size: float) -> float:
        """The height the text takes at ``font_size``, wrapped at this width (measured, not drawn)."""
        options = {**self._label.options, "text": self.text, "font_size": font_size, "text_size": (self.width, None)}
        _w, h = type(self._label)(**options).render()
        return float(h)


class StatusDot(Widget):
    """Online: a small filled dot; offline: a ring. Dim, for staff only; shoppers never see an error."""

    is_online = BooleanProperty(False)

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.bind(pos=self._redraw, size=self._redraw, is_online=self._redraw)
        self._redraw()

    def _redraw(self, *_: Any) -> None:
        self.canvas.clear()
        r = min(self.width, self.height) / 2
        with self.canvas:
            if self.is_online:
                Color(0.0, 0.62, 0.45, 0.55)
                Ellipse(pos=(self.center_x - r, self.center_y - r), size=(2 * r, 2 * r))
            else:
                Color(0.45, 0.45, 0.45, 0.55)
                Line(circle=(self.center_x, self.center_y, max(r - 1, 1)), width=1.2)


class StaffCorner(Widget):
    """An invisible corner: holding it for ``LONG_PRESS_S`` opens the PIN pad. While held, a ring fills up
    around the finger, so staff know the hold is working."""

    progress = NumericProperty(0.0)  # 0..1 of the hold

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._pending: Any = None
        self.bind(progress=self._redraw, pos=self._redraw, size=self._redraw)

    def _redraw(self, *_: Any) -> None:
        self.canvas.clear()
        if self.progress <= 0:
            return
        app = App.get_running_app()
        r = min(self.width, self.height) * 0.35
        with self.canvas:
            Color(*app.accent[:3], 0.25)
            Ellipse(pos=(self.center_x - r, self.center_y - r), size=(2 * r, 2 * r))
            Color(*app.accent)
            Line(circle=(self.center_x, self.center_y, r, 0, 360 * self.progress), width=max(2.0, r * 0.12))

    def on_touch_down(self, touch: Any) -> bool:
        if not self.collide_point(*touch.pos):
            return False
        touch.grab(self)
        self._pending = Clock.schedule_once(lambda _dt: self._held(), LONG_PRESS_S)
        Animation.cancel_all(self)
        self.progress = 0.02
        Animation(progress=1.0, duration=LONG_PRESS_S).start(self)
        return True

    def _held(self) -> None:
        self._reset()
        App.get_running_app().open_pin()

    def _reset(self) -> None:
        Animation.cancel_all(self)
        self.progress = 0.0
        if self._pending is not None:
            self._pending.cancel()
            self._pending = None

    def on_touch_up(self, touch: Any) -> bool:
        if touch.grab_current is not self:
            return False
        touch.ungrab(self)
        self._reset()
        return True


class KioskRoot(FloatLayout):
    """The window's root: drops duplicate touches and reports activity to the app."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._dropped: set[int] = set()

    def on_touch_down(self, touch: Any) -> bool:
        app = App.get_running_app()
        if app.gate.is_noise(time.monotonic()) or app.is_ignoring_touches():
            self._dropped.add(touch.uid)
            return True
        app.note_activity()
        return bool(super().on_touch_down(touch))

    def on_touch_move(self, touch: Any) -> bool:
        if touch.uid in self._dropped:
            return True
        return bool(super().on_touch_move(touch))

    def on_touch_up(self, touch: Any) -> bool:
        if touch.uid in self._dropped:
            self._dropped.discard(touch.uid)
            return True
        return bool(super().on_touch_up(touch))
