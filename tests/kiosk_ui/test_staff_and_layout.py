"""Staff panel, live config changes and layouts at the screen sizes kiosks ship with."""

from __future__ import annotations

import itertools
import threading
from typing import Any

import pytest

from tests.kiosk_ui.conftest import KIOSK_ID, SHOTS


def hold_corner(k: Any) -> None:
    from kivy.tests.common import UnitTestTouch  # Kivy only after the session fixture configured it

    corner = k.app.root.ids.corner
    k.quiet()
    touch = UnitTestTouch(*corner.to_window(corner.x + 5, corner.top - 5))
    touch.touch_down()
    k.wait_screen("pin", timeout=5)
    touch.touch_up()


def enter_pin(k: Any, pin: str) -> None:
    keys = k.app.sm.get_screen("pin").key_buttons()
    for digit in pin:
        k.touch(keys[digit])
    k.touch(keys["ok"])


def test_staff_panel_opens_only_with_the_right_pin(kiosk_ui: Any) -> None:
    """A short corner tap does nothing; a long press asks for the PIN; a wrong PIN is refused, the right one opens."""
    k = kiosk_ui
    corner = k.app.root.ids.corner
    k.touch(corner)
    k.frames(2)
    assert k.screen == "home"
    hold_corner(k)
    k.screenshot(SHOTS / "staff-pin.png")
    enter_pin(k, "1357")
    assert k.screen == "pin"
    assert k.app.pin_message == "Fel PIN-kod" and k.app.pin_entered == ""
    enter_pin(k, "2468")
    assert k.screen == "staff"
    k.until(
        lambda: KIOSK_ID in k.app.staff_text and "Väntande betyg:[/b] …" not in k.app.staff_text,
        message="staff facts with the pending count",
    )
    text = k.app.staff_text
    assert "ui-store" in text and "Broker:[/b] ansluten" in text and "0.1.0" in text
    k.screenshot(SHOTS / "staff-panel.png")
    k.touch(k.app.sm.get_screen("staff").ids.close)
    k.wait_screen("home")


def test_three_wrong_pins_send_the_pad_home(kiosk_ui: Any) -> None:
    """Guessing is limited: after three wrong PINs the pad closes."""
    k = kiosk_ui
    hold_corner(k)
    for _ in range(3):
        enter_pin(k, "0000")
    k.wait_screen("home")


def test_remote_ui_config_from_another_thread_swaps_faces_and_texts(kiosk_ui: Any) -> None:
    """apply_ui_config from the uplink's thread switches to 5 faces and new questions without a restart."""
    import dataclasses

    k = kiosk_ui
    ui = dataclasses.replace(
        k.base_ui, faces=5, questions={"sv": "Hur nöjd är du med kassan?", "en": "How happy are you with the checkout?"}
    )
    worker = threading.Thread(target=k.app.apply_ui_config, args=(ui,))
    worker.start()
    worker.join()
    k.until(lambda: len(k.home().face_buttons()) == 5, message="five faces")
    assert k.home().ids.question.text == "Hur nöjd är du med kassan?"
    k.screenshot(SHOTS / "home-sv-5-faces.png")
    start = k.last_seq()
    k.touch(k.face(4))
    rows = k.wait_rows(start, 1)
    assert (rows[0]["face"], rows[0]["scale"]) == (4, 5)


@pytest.mark.parametrize(
    ("w", "h", "faces", "min_share"),
    [(800, 480, 4, 0.30), (1280, 800, 5, 0.20), (1080, 1920, 4, 0.35), (1080, 1920, 5, 0.25), (1920, 1080, 4, 0.30)],
)
def test_layout_per_aspect_ratio(kiosk_ui: Any, set_ui: Any, w: int, h: int, faces: int, min_share: float) -> None:
    """Every face is a big round target inside the window, no two overlapping; text is at least the physical
    minimum; in portrait every shopper target (faces, language buttons) is in the lower 60 % (wheelchair reach)."""
    from kivy.core.window import Window

    from kiosk.geometry import cap_height_mm

    k = kiosk_ui
    set_ui(faces=faces, followup_faces=())
    Window.size = (w, h)
    k.until(lambda: tuple(Window.size) == (w, h), message=f"window {w}x{h}")
    k.settled_centre(k.face(faces - 1))
    buttons = k.home().face_buttons()
    assert [b.face for b in buttons] == list(range(faces))
    radii = [b.radius for b in buttons]
    assert min(radii) * 2 >= min_share * min(w, h), radii  # a thumb, not a fingertip
    for a, b in itertools.combinations(buttons, 2):
        assert (a.center_x - b.center_x) ** 2 + (a.center_y - b.center_y) ** 2 >= (a.radius + b.radius) ** 2
    for b in buttons:
        x, y = b.to_window(*b.center)
        assert b.radius <= x <= w - b.radius and b.radius <= y <= h - b.radius
    home = k.home()
    assert home.ids.question.texture_size[0] <= w
    hint_mm = cap_height_mm(home.ids.hint.font_size, (w, h), k.app.ui.screen_diagonal_in)
    assert hint_mm >= k.app.ui.min_text_mm - 0.01, hint_mm
    if h > w:
        targets = [*buttons, *home.language_buttons().values()]
        tops = [t.to_window(t.x, t.top)[1] for t in targets]
        assert max(tops) <= 0.6 * h, tops
        lowest_face = min(b.to_window(*b.center)[1] for b in buttons)
        assert lowest_face < 0.5 * h  # faces in the lower half
    k.screenshot(SHOTS / f"home-{w}x{h}-{faces}-faces.png")


def test_a_config_with_a_language_without_texts_is_refused_and_nothing_changes(kiosk_ui: Any) -> None:
    """apply_ui_config raises ConfigError naming ui.languages for a language without a catalogue; the UI stays."""
    import dataclasses

    import pytest

    from kiosk.config import ConfigError

    k = kiosk_ui
    bad = dataclasses.replace(k.base_ui, languages=("sv", "xx"), faces=5)
    with pytest.raises(ConfigError, match=r"ui\.languages.*xx"):
        k.app.apply_ui_config(bad)
    k.frames(1)
    assert len(k.home().face_buttons()) == 4 and k.app.ui == k.base_ui
