"""The staff panel's ways in and what it tells: hold feedback, no default PIN, hashed PINs, a truthful last error."""

from __future__ import annotations

from typing import Any

from feedback.staff_pin import hash_pin
from tests.kiosk_ui.conftest import SHOTS
from tests.kiosk_ui.test_staff_and_layout import enter_pin, hold_corner


def test_holding_the_corner_shows_a_filling_ring(kiosk_ui: Any) -> None:
    """While the corner is held a ring fills up (drawn, growing); letting go early clears it and opens nothing."""
    from kivy.core.window import Window
    from kivy.tests.common import UnitTestTouch

    k = kiosk_ui
    corner = k.app.root.ids.corner
    k.quiet()
    touch = UnitTestTouch(*corner.to_window(*corner.center))
    touch.touch_down()
    k.until(lambda: corner.progress > 0.1, timeout=3, message="ring filling")
    first = corner.progress
    k.until(lambda: corner.progress > first, timeout=3, message="ring growing")
    assert len(corner.canvas.children) > 0  # drawn
    touch.touch_up()
    k.frames(2)
    assert corner.progress == 0 and len(corner.canvas.children) == 0 and k.screen == "home"
    k.quiet()
    touch = UnitTestTouch(*corner.to_window(*corner.center))  # again, for a look at it
    touch.touch_down()
    k.until(lambda: corner.progress > 0.15, timeout=3, message="ring filling")
    k.frames(1)
    left, top = Window.left, Window.top  # straight off the X screen: a screenshot waits frames the hold may not last
    k.xvfb.grab().crop((left, top, left + Window.width, top + Window.height)).save(SHOTS / "staff-corner-held.png")
    touch.touch_up()
    k.app.go_home()


def test_without_a_configured_pin_the_pad_stays_shut(kiosk_ui: Any, set_ui: Any) -> None:
    """No staff_pin and no staff_pin_hash: the pad says so, takes no digits, and no PIN (not 0000) opens it."""
    k = kiosk_ui
    set_ui(staff_pin=None, staff_pin_hash=None)
    hold_corner(k)
    assert k.app.pin_message == "Ingen PIN-kod för personal är inställd"
    k.screenshot(SHOTS / "staff-no-pin.png")
    for pin in ("0000", "2468"):
        enter_pin(k, pin)
        assert k.screen == "pin" and k.app.pin_entered == ""
    k.touch(k.app.sm.get_screen("pin").key_buttons()["cancel"])
    k.wait_screen("home")


def test_a_hashed_pin_opens_the_panel_and_nothing_else_does(kiosk_ui: Any, set_ui: Any) -> None:
    """staff_pin_hash (salted PBKDF2) opens with its PIN only; it wins over a plain staff_pin."""
    k = kiosk_ui
    set_ui(staff_pin="2468", staff_pin_hash=hash_pin("8642", salt=bytes(range(16)), iterations=1000))
    hold_corner(k)
    enter_pin(k, "2468")
    assert k.screen == "pin" and k.app.pin_message == "Fel PIN-kod"
    enter_pin(k, "8642")
    k.wait_screen("staff")
    k.touch(k.app.sm.get_screen("staff").ids.close)
    k.wait_screen("home")
