"""Accessibility and branding: high contrast, large text, a store's colours and logo; the faces stay as they are."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from kiosk.faces import PALETTES
from kiosk.theme import contrast
from tests.kiosk_ui.conftest import SHOTS
from tests.kiosk_ui.pixels import rgb255


def face_pixels(k: Any) -> list[tuple[int, int, int]]:
    """The colour at each face's centre, read off the X screen."""
    from kivy.core.window import Window

    shot = k.xvfb.grab()
    out = []
    for face in k.home().face_buttons():
        x, y = k.settled_centre(face)
        out.append(shot.getpixel((int(Window.left + x), int(Window.top + Window.height - 1 - y))))
    return out


def faces_keep_their_colours(k: Any) -> bool:
    palette = [rgb255(c) for c in PALETTES[4]]
    shown = face_pixels(k)
    return all(max(abs(a - b) for a, b in zip(px, c, strict=True)) <= 14 for px, c in zip(shown, palette, strict=True))


def test_high_contrast_and_large_text(kiosk_ui: Any, set_ui: Any) -> None:
    """theme = high_contrast paints black on white (21:1); large_text makes the hint and question 1.35× larger;
    the faces keep their colour-blind-safe colours."""
    k = kiosk_ui
    hint, question = k.home().ids.hint.font_size, k.home().ids.question.font_size
    set_ui(theme="high_contrast", large_text=True)
    k.frames(2)
    assert tuple(k.app.bg) == (1, 1, 1, 1) and tuple(k.app.ink) == (0, 0, 0, 1)
    assert contrast(tuple(k.app.bg), tuple(k.app.ink)) == 21.0
    assert k.home().ids.hint.font_size >= 1.3 * hint and k.home().ids.question.font_size > question
    q = k.home().ids.question
    assert q.to_window(q.x, q.top)[1] <= k.app.root.height  # the larger question still fits on the screen
    assert faces_keep_their_colours(k)
    k.screenshot(SHOTS / "home-high-contrast-large-text.png")


def test_brand_colours_and_logo(kiosk_ui: Any, set_ui: Any, tmp_path: Path) -> None:
    """brand_colour and brand_background paint buttons and background (text turns white on a dark one), the logo
    shows above the question, and the faces keep their own colours."""
    from PIL import Image, ImageDraw

    k = kiosk_ui
    logo = tmp_path / "logo.png"
    img = Image.new("RGBA", (480, 120), (0, 0, 0, 0))
    ImageDraw.Draw(img).rounded_rectangle((0, 0, 479, 119), radius=40, fill=(242, 183, 5, 255))
    img.save(logo)
    set_ui(brand_colour="#f2b705", brand_background="#1d2b3a", logo=str(logo))
    k.frames(2)
    assert [round(c * 255) for c in k.app.accent[:3]] == [242, 183, 5]
    assert tuple(k.app.ink) == (1, 1, 1, 1) and tuple(k.app.accent_ink) == (0, 0, 0, 1)  # dark on the yellow
    assert contrast(tuple(k.app.chip), tuple(k.app.ink)) >= 4.5  # the other language's button stays readable
    shown = k.home().ids.logo
    assert shown.source == str(logo) and shown.height > 0 and shown.opacity == 1
    assert shown.to_window(shown.x, shown.top)[1] <= k.app.root.height  # on the screen, not cut off above
    assert faces_keep_their_colours(k)
    k.screenshot(SHOTS / "home-brand-logo.png")


def test_a_logo_that_is_not_on_the_kiosk_is_refused_naming_the_key(kiosk_ui: Any) -> None:
    """apply_ui_config refuses a logo path that is no file here, naming ui.logo, and keeps what runs."""
    import dataclasses

    import pytest

    from kiosk.config import ConfigError

    k = kiosk_ui
    with pytest.raises(ConfigError, match=r"ui\.logo"):
        k.app.apply_ui_config(dataclasses.replace(k.base_ui, logo="/nonexistent/logo.png"))
    assert k.app.ui == k.base_ui
