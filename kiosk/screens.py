"""The screens. Layout lives in kiosk.kv; here only what is built from config (faces, chips, keys).

Screens call back into the running app (``on_face``, ``on_reason``, ``set_language``, ``pin_key``); they
hold no state of their own beyond their widgets.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from kivy.app import App
from kivy.factory import Factory
from kivy.properties import NumericProperty
from kivy.uix.boxlayout import BoxLayout
from kivy.uix.screenmanager import Screen

from kiosk.geometry import chip_rows, face_rows
from kiosk.widgets import FaceButton


class OpaqueScreen(Screen):
    """A screen that paints its own background (kiosk.kv): never two screens visible at once."""


class ChipRow(BoxLayout):
    """``n`` chips, each as wide as one of ``cols`` columns, centred: a short last row leaves no hole."""

    n = NumericProperty(1)
    cols = NumericProperty(1)


class FaceRow(BoxLayout):
    """``n`` faces in cells as wide as one of ``cols`` columns, centred."""

    n = NumericProperty(1)
    cols = NumericProperty(1)


class HomeScreen(OpaqueScreen):
    def populate(self, *, scale: int, languages: Sequence[tuple[str, str]], current: str, layout: str) -> None:
        """Faces 0..scale-1 left (least happy) to right, in rows for ``layout``; one button per
        ``(code, own name)`` language."""
        app = App.get_running_app()
        faces = self.ids.faces
        faces.clear_widgets()
        rows = face_rows(scale, layout=layout)
        face = 0
        for n in rows:
            row = FaceRow(n=n, cols=max(rows))
            for _ in range(n):
                btn = FaceButton(face=face, scale=scale)
                btn.bind(on_press=lambda _b, f=face: app.on_face(f))
                row.add_widget(btn)
                face += 1
            faces.add_widget(row)
        bar = self.ids.languages
        bar.clear_widgets()
        if len(languages) < 2:
            return
        for code, name in languages:
            b = Factory.LanguageButton(text=name, is_current=code == current)
            b.lang = code
            b.bind(on_press=lambda _b, c=code: app.set_language(c))
            bar.add_widget(b)

    def mark_language(self, current: str) -> None:
        for b in self.ids.languages.children:
            b.is_current = b.lang == current

    def face_buttons(self) -> list[FaceButton]:
        """Least to most happy (left to right, top row first)."""
        return [f for row in reversed(self.ids.faces.children) for f in reversed(row.children)]

    def language_buttons(self) -> dict[str, Any]:
        return {b.lang: b for b in self.ids.languages.children}


class FollowupScreen(OpaqueScreen):
    def populate(self, reasons: Sequence[tuple[str, str]], *, max_cols: int) -> None:
        """One chip per ``(reason id, label)``, in balanced rows of at most ``max_cols``."""
        app = App.get_running_app()
        rows = self.ids.chips
        rows.clear_widgets()
        todo = list(reasons)
        for n in chip_rows(len(todo), max_cols=max_cols):
            row = ChipRow(n=n, cols=max_cols)
            for rid, label in todo[:n]:
                chip = Factory.Chip(text=label)
                chip.reason = rid
                chip.bind(on_press=lambda _c, r=rid: app.on_reason(r))
                row.add_widget(chip)
            todo = todo[n:]
            rows.add_widget(row)

    def chip_buttons(self) -> dict[str, Any]:
        return {c.reason: c for row in self.ids.chips.children for c in row.children}


class ThanksScreen(OpaqueScreen):
    pass


class ClosedScreen(OpaqueScreen):
    pass


class CleaningScreen(OpaqueScreen):
    pass


class PinScreen(OpaqueScreen):
    KEYS = ("1", "2", "3", "4", "5", "6", "7", "8", "9", "cancel", "0", "ok")

    def on_kv_post(self, base_widget: Any) -> None:
        app = App.get_running_app()
        for key in self.KEYS:
            b = Factory.Chip(text=key)
            if key in ("cancel", "ok"):
                b.text = app.t.get(key, key)
                app.bind(t=lambda _a, t, b=b, k=key: setattr(b, "text", t.get(k, k)))
            b.key = key
            b.bind(on_press=lambda _b, k=key: app.pin_key(k))
            self.ids.keypad.add_widget(b)

    def key_buttons(self) -> dict[str, Any]:
        return {b.key: b for b in self.ids.keypad.children}


class StaffScreen(OpaqueScreen):
    pass
