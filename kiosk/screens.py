"""The five screens. Layout lives in kiosk.kv; here only what is built from config (faces, chips, keys).

Screens call back into the running app (``on_face``, ``on_reason``, ``set_language``, ``pin_key``); they
hold no state of their own beyond their widgets.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from kivy.app import App
from kivy.factory import Factory
from kivy.uix.screenmanager import Screen

from kiosk.widgets import FaceButton


class HomeScreen(Screen):
    def populate(self, *, scale: int, languages: Sequence[tuple[str, str]], current: str) -> None:
        """Faces 0..scale-1 left (least happy) to right; one button per ``(code, own name)`` language."""
        app = App.get_running_app()
        faces = self.ids.faces
        faces.clear_widgets()
        for face in range(scale):
            btn = FaceButton(face=face, scale=scale)
            btn.bind(on_press=lambda _b, f=face: app.on_face(f))
            faces.add_widget(btn)
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
        """Left to right."""
        return list(reversed(self.ids.faces.children))

    def language_buttons(self) -> dict[str, Any]:
        return {b.lang: b for b in self.ids.languages.children}


class FollowupScreen(Screen):
    def populate(self, reasons: Sequence[tuple[str, str]]) -> None:
        """One chip per ``(reason id, label)``."""
        app = App.get_running_app()
        chips = self.ids.chips
        chips.clear_widgets()
        for rid, label in reasons:
            chip = Factory.Chip(text=label)
            chip.reason = rid
            chip.bind(on_press=lambda _c, r=rid: app.on_reason(r))
            chips.add_widget(chip)

    def chip_buttons(self) -> dict[str, Any]:
        return {c.reason: c for c in self.ids.chips.children}


class ThanksScreen(Screen):
    pass


class PinScreen(Screen):
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


class StaffScreen(Screen):
    pass
