"""The shopper's flows in the real app: faces, follow-up, thank-you, timeouts, languages, misuse."""

from __future__ import annotations

from typing import Any

import pytest

from tests.kiosk_ui.conftest import SHOTS


def test_each_face_records_its_rating(kiosk_ui: Any, set_ui: Any) -> None:
    """Tapping face i (on a kiosk without follow-ups) records face i on the 4-face scale, not misuse."""
    k = kiosk_ui
    set_ui(followup_faces=())
    start = k.last_seq()
    for face in range(4):
        k.wait_screen("home")
        k.touch(k.face(face))
        assert k.screen == "thanks"  # answered in the same frame the touch arrived
        k.wait_screen("home")
    rows = k.wait_rows(start, 4)
    assert [(r["face"], r["scale"], r["misuse"], r["held"], r["reason"]) for r in rows] == [
        (f, 4, 0, 0, None) for f in range(4)
    ]


def test_followup_reason_attaches_to_the_same_rating(kiosk_ui: Any, set_ui: Any) -> None:
    """An unhappy face opens the follow-up; a chip attaches its reason to that one rating; then thanks."""
    k = kiosk_ui
    set_ui(followup_timeout_s=30.0)  # the screenshot below can take longer than the session's 1 s on a busy machine
    start = k.last_seq()
    k.touch(k.face(0))
    assert k.screen == "followup"
    held = k.wait_rows(start, 1, held=1)
    assert held[0]["reason"] is None
    k.screenshot(SHOTS / "followup-sv.png")
    chip = k.app.sm.get_screen("followup").chip_buttons()["queue"]
    k.touch(chip)
    assert k.screen == "thanks"
    k.screenshot(SHOTS / "thanks-sv.png")
    rows = k.wait_rows(start, 1, held=0)
    assert len(rows) == 1 and rows[0]["face"] == 0 and rows[0]["reason"] == "queue"
    k.wait_screen("home")


def test_happy_face_skips_the_followup(kiosk_ui: Any) -> None:
    """A face not listed in followup_faces goes straight to thank-you and is never held."""
    k = kiosk_ui
    start = k.last_seq()
    k.touch(k.face(3))
    assert k.screen == "thanks"
    rows = k.wait_rows(start, 1)
    assert rows[0]["face"] == 3 and rows[0]["held"] == 0


def test_followup_times_out_home_and_releases_without_reason(kiosk_ui: Any) -> None:
    """Ignoring the follow-up returns home after followup_timeout_s and sends the rating without reason."""
    k = kiosk_ui
    start = k.last_seq()
    k.touch(k.face(1))
    assert k.screen == "followup"
    k.wait_screen("home", timeout=5)
    rows = k.wait_rows(start, 1, held=0)
    assert len(rows) == 1 and rows[0]["face"] == 1 and rows[0]["reason"] is None


def test_skip_sends_without_reason_and_thanks(kiosk_ui: Any, set_ui: Any) -> None:
    """The skip button releases the held rating without a reason and shows the thank-you."""
    k = kiosk_ui
    set_ui(followup_timeout_s=30.0)
    start = k.last_seq()
    k.touch(k.face(1))
    k.touch(k.app.sm.get_screen("followup").ids.skip)
    assert k.screen == "thanks"
    rows = k.wait_rows(start, 1, held=0)
    assert rows[0]["reason"] is None


def test_thank_you_times_out_home_and_the_row_is_durable_by_then(kiosk_ui: Any) -> None:
    """The thank-you screen goes home by itself, never before the tap's row is in the outbox."""
    k = kiosk_ui
    start = k.last_seq()
    k.touch(k.face(2))
    assert k.screen == "thanks"
    k.wait_screen("home", timeout=5)
    assert len(k.rows(start)) == 1  # read right when home showed: already durable


def test_language_switch_changes_texts(kiosk_ui: Any, set_ui: Any) -> None:
    """The English button switches the question, hint and thank-you to English; Svenska switches back."""
    k = kiosk_ui
    set_ui(followup_timeout_s=30.0)  # the screenshots below can take longer than the session's 1 s when busy
    home = k.home()
    assert home.ids.question.text == "Hur var ditt besök idag?"
    k.screenshot(SHOTS / "home-sv-4-faces.png")
    k.touch(home.language_buttons()["en"])
    k.frames(1)
    assert home.ids.question.text == "How was your visit today?"
    assert home.ids.hint.text == "Tap a face"
    assert home.language_buttons()["en"].is_current
    k.screenshot(SHOTS / "home-en-4-faces.png")
    k.touch(k.face(0))
    assert "What was it about?" in k.app.t["followup"]
    assert k.app.sm.get_screen("followup").chip_buttons()["queue"].text == "Queue"
    k.screenshot(SHOTS / "followup-en.png")
    k.touch(k.app.sm.get_screen("followup").chip_buttons()["price"])
    assert k.app.t["thank_you"] == "Thank you!"
    k.wait_screen("home")
    assert home.ids.question.text == "Hur var ditt besök idag?"  # the next shopper starts in the default


def test_duplicate_touch_events_record_one_rating(kiosk_ui: Any, set_ui: Any) -> None:
    """Two touch-downs within 150 ms (a touchscreen reporting one touch twice) record one rating."""
    from kivy.tests.common import UnitTestTouch

    k = kiosk_ui
    set_ui(followup_faces=())
    start = k.last_seq()
    k.quiet()
    x, y = k.face(2).to_window(*k.face(2).center)
    first, second = UnitTestTouch(x, y), UnitTestTouch(x + 2, y)
    first.touch_down()
    second.touch_down()
    first.touch_up()
    second.touch_up()
    k.wait_screen("home", timeout=5)
    rows = k.wait_rows(start, 1)
    assert len(rows) == 1 and rows[0]["face"] == 2


def test_rapid_repeats_are_recorded_but_flagged(kiosk_ui: Any, set_ui: Any) -> None:
    """Taps within the response interval are recorded with misuse set; outside it they are not."""
    k = kiosk_ui
    start = k.last_seq()
    for interval_s, face in ((0.0, 3), (30.0, 3), (30.0, 0), (0.0, 2)):
        set_ui(response_interval_s=interval_s, followup_faces=())
        k.wait_screen("home")
        k.touch(k.face(face))
        assert k.screen == "thanks"  # the same thank-you either way
    rows = k.wait_rows(start, 4)
    assert [(r["face"], r["misuse"]) for r in rows] == [(3, 0), (3, 1), (0, 1), (2, 0)]


def test_long_idle_returns_to_the_default_language_and_makes_the_hint_louder(kiosk_ui: Any, set_ui: Any) -> None:
    """After attract_after_s idle, home returns to the default language and the hint turns bold on a pulsing
    accent pill (louder, never fainter than before); a touch ends it."""
    k = kiosk_ui
    set_ui(attract_after_s=5.0)
    hint = k.home().ids.hint
    quiet_height = hint.height
    k.touch(k.home().language_buttons()["en"])
    k.frames(1)
    assert k.home().ids.question.text == "How was your visit today?"
    k.until(lambda: k.app.language == "sv", timeout=15, message="attract state")
    assert k.home().ids.question.text == "Hur var ditt besök idag?"
    assert k.app.attract and hint.bold and list(hint.color) == list(k.app.accent_ink)
    k.until(lambda: k.app.attract_glow < 0.9, timeout=5, message="pill pulsing")
    k.until(lambda: k.app.attract_glow > 0.95, timeout=5, message="pill back")
    assert hint.opacity == 1.0 and hint.height >= quiet_height
    k.screenshot(SHOTS / "home-attract-sv.png")
    k.touch(k.face(3))
    assert k.screen == "thanks" and not k.app.attract and hint.opacity == 1.0


@pytest.mark.parametrize("language", ["fi", "nb", "da", "de"])
def test_each_new_language_renders_home_follow_up_and_thanks(kiosk_ui: Any, set_ui: Any, language: str) -> None:
    """A kiosk set to fi, nb, da or de shows its texts on home, follow-up and thank-you (screenshots looked at
    for missing glyphs), and records as any other."""
    from kiosk.i18n import Texts

    k = kiosk_ui
    set_ui(languages=(language, "sv", "en"), language=language, followup_timeout_s=30.0, thank_you_s=30.0)
    texts = Texts(language, k.app.ui)
    k.until(lambda: k.home().ids.question.text == texts.question(), message=f"{language} question")
    k.screenshot(SHOTS / f"home-{language}.png")
    start = k.last_seq()
    k.touch(k.face(0))
    assert k.screen == "followup"
    chips = k.app.sm.get_screen("followup").chip_buttons()
    assert chips["queue"].text == texts.reason("queue") and "other" in chips
    k.screenshot(SHOTS / f"followup-{language}.png")
    k.touch(chips["other"])
    assert k.screen == "thanks" and k.app.t["thank_you"] == texts.thank_you()
    k.screenshot(SHOTS / f"thanks-{language}.png")
    rows = k.wait_rows(start, 1, held=0)
    assert rows[0]["reason"] == "other"
    k.app.go_home()
