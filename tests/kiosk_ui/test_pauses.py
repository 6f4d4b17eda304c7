"""Times the kiosk takes no taps: outside opening hours (closed screen, reopens by itself) and cleaning."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from feedback.kiosk_settings import WEEKDAYS
from tests.kiosk_ui.conftest import SHOTS
from tests.kiosk_ui.test_staff_and_layout import enter_pin, hold_corner

ZONE = "Europe/Stockholm"


def test_closed_screen_records_nothing_and_reopens_by_itself(kiosk_ui: Any, set_ui: Any) -> None:
    """Outside the pushed opening hours (store's time zone) the closed screen shows, taps record nothing, and
    when the store's opening time comes the faces return without anyone touching the kiosk."""
    k = kiosk_ui
    now = datetime.fromtimestamp(k.app.clock.now_ms() / 1000, ZoneInfo(ZONE))
    if now.hour >= 20:  # late evening: play an afternoon instead of wrapping round midnight
        k.app.clock.offset_ms -= 6 * 3600 * 1000
        now -= timedelta(hours=6)
    opens = now + timedelta(hours=2)
    day = WEEKDAYS[now.weekday()]  # today open from two hours from now until the end of the day: closed now
    try:
        set_ui(opening_hours={day: f"{opens:%H:%M}-23:59"}, timezone=ZONE, followup_faces=())
        k.wait_screen("closed")
        assert k.app.closed_text.endswith(f"{opens:%H:%M}")
        k.screenshot(SHOTS / "closed-sv.png")
        start = k.last_seq()
        for x, y in ((0.2, 0.4), (0.5, 0.4), (0.8, 0.4)):
            k.touch_at(x * k.app.root.width, y * k.app.root.height)
        k.frames(3)
        assert k.screen == "closed" and k.last_seq() == start
        k.app.clock.offset_ms += 2 * 3600 * 1000 + 60_000  # the store's opening time arrives
        k.wait_screen("home", timeout=15)  # by itself: the hours are checked every few seconds
        k.touch(k.face(3))
        assert k.wait_rows(start, 1)[0]["face"] == 3
    finally:
        k.app.clock.offset_ms = 0


def test_record_mode_ignores_opening_hours(kiosk_ui: Any, set_ui: Any) -> None:
    """With closed_mode = "record" ("record and flag": the hub flags by opening hours) the kiosk never shows the
    closed screen outside opening hours: a tap shows the thank-you, is recorded as usual, and the faces return."""
    k = kiosk_ui
    set_ui(opening_hours=dict.fromkeys(WEEKDAYS, "closed"), closed_mode="record", followup_faces=())
    k.app.check_hours()  # what the 5 s timer does: with the closed screen chosen this would close now
    k.frames(2)
    assert k.screen == "home" and not k.app.is_closed()
    start = k.last_seq()
    k.touch(k.face(2))
    assert k.screen == "thanks"
    row = k.wait_rows(start, 1)[0]
    assert (row["face"], row["misuse"], row["held"]) == (2, 0, 0)
    k.wait_screen("home")  # go_home, which shows the closed screen when closed, shows the faces
    k.app.check_hours()
    k.frames(2)
    assert k.screen == "home"
    set_ui(opening_hours=dict.fromkeys(WEEKDAYS, "closed"), closed_mode="closed_screen", followup_faces=())
    k.app.check_hours()
    k.wait_screen("closed")  # the same hours with the closed screen chosen: closed (the test can fail)


def test_cleaning_mode_ignores_touches_with_a_countdown(kiosk_ui: Any, set_ui: Any) -> None:
    """The staff panel's cleaning button ignores every touch for cleaning_s, counting down, then shows the faces."""
    k = kiosk_ui
    set_ui(cleaning_s=5.0, followup_faces=())
    hold_corner(k)
    enter_pin(k, "2468")
    k.wait_screen("staff")
    k.touch(k.app.sm.get_screen("staff").ids.cleaning)
    assert k.screen == "cleaning"
    start = k.last_seq()
    k.until(lambda: k.app.cleaning_left_s < 4.5, message="countdown running")
    k.screenshot(SHOTS / "cleaning-sv.png")
    counted = k.app.cleaning_left_s
    for x, y in ((0.2, 0.4), (0.5, 0.4), (0.8, 0.4), (0.02, 0.98)):
        k.touch_at(x * k.app.root.width, y * k.app.root.height)
    k.frames(2)
    assert k.screen == "cleaning" and k.last_seq() == start and k.app.cleaning_left_s < counted
    k.wait_screen("home", timeout=10)
    k.touch(k.face(0))
    assert k.wait_rows(start, 1)[0]["face"] == 0
