"""How the screens look, mixed into :class:`kiosk.app.KioskApp` as Kivy properties the .kv file reads: sizes
from the window (kiosk/geometry.py) and colours from the theme and brand (kiosk/theme.py)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from kivy.properties import ColorProperty, NumericProperty, StringProperty

from kiosk.geometry import geometry
from kiosk.theme import theme_for


class Look:
    # geometry (kiosk/geometry.py): follows the window's size and aspect ratio and the panel's size in mm
    layout = StringProperty("landscape")
    unit = NumericProperty(40)
    text_px = NumericProperty(20)
    question_px = NumericProperty(40)
    text_share = NumericProperty(0.38)
    # colours (kiosk/theme.py)
    bg = ColorProperty()
    ink = ColorProperty()
    muted = ColorProperty()
    chip = ColorProperty()
    chip_down = ColorProperty()
    accent = ColorProperty()
    accent_ink = ColorProperty()  # text on the accent (not on_accent: Kivy would call that on each change)
    theme_outline = NumericProperty(0)
    logo = StringProperty("")

    ui: Any
    root: Any
    _populate: Callable[[], None]

    def _resized(self, _window: Any, size: tuple[int, int]) -> None:
        g = geometry(
            size,
            diagonal_in=self.ui.screen_diagonal_in,
            min_text_mm=self.ui.min_text_mm,
            large_text=self.ui.large_text,
            has_logo=self.ui.logo is not None,
        )
        layout_changed = g.layout != self.layout
        self.layout, self.unit, self.text_px, self.question_px, self.text_share = (
            g.layout,
            g.unit,
            g.text_px,
            g.question_px,
            g.text_share,
        )
        if layout_changed and self.root is not None:
            self._populate()

    def _apply_look(self) -> None:
        """Theme, brand colours and logo from the settings."""
        theme = theme_for(self.ui.theme, brand_colour=self.ui.brand_colour, brand_background=self.ui.brand_background)
        self.bg, self.ink, self.muted, self.chip = theme.bg, theme.ink, theme.muted, theme.chip
        self.chip_down, self.accent, self.accent_ink = theme.chip_down, theme.accent, theme.on_accent
        self.theme_outline = theme.outline
        self.logo = self.ui.logo or ""
