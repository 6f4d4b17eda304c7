"""The app against the real hub and broker: taps arrive, the broker may vanish, the hub pushes config."""

from __future__ import annotations

from typing import Any

from tests.harness import hub_cmd, stored
from tests.kiosk_ui.conftest import KIOSK_ID, SHOTS
from tests.kiosk_ui.test_staff_and_layout import enter_pin, hold_corner


def pending(k: Any) -> int:
    return sum(1 for r in k.rows() if r["acked_at_ms"] is None)


def test_a_tap_reaches_the_hub(kiosk_ui: Any) -> None:
    """A tap on the glass is acknowledged by the hub (pending → 0) and stored there once; staff see online."""
    k = kiosk_ui
    k.until(lambda: k.app.is_online, timeout=30, message="uplink online")
    start = k.last_seq()
    k.touch(k.face(3))
    seq = k.wait_rows(start, 1)[0]["seq"]
    k.until(lambda: pending(k) == 0, timeout=30, message="outbox drained by the hub's ack")
    assert stored(k.hub.data_dir, kiosk_id=KIOSK_ID, seq=seq) == 1


def test_broker_outage_is_invisible_to_shoppers_and_catches_up(kiosk_ui: Any) -> None:
    """With the hub and broker down the shopper flow is unchanged, staff see offline and the error (not "none");
    all arrives after."""
    k = kiosk_ui
    k.until(lambda: k.app.is_online, timeout=30, message="uplink online")
    k.hub.stop()
    try:
        k.until(lambda: not k.app.is_online, timeout=30, message="staff dot offline")
        hold_corner(k)
        enter_pin(k, "2468")
        k.wait_screen("staff")
        k.until(
            lambda: "Broker:[/b] inte ansluten" in (text := k.app.staff_text) and "Senaste fel:[/b] inget" not in text,
            timeout=30,
            message="the panel shows the broker error",
        )
        assert "broker" in k.app.staff_text.split("Senaste fel:[/b]")[1]
        k.screenshot(SHOTS / "staff-panel-broker-down.png")
        k.touch(k.app.sm.get_screen("staff").ids.close)
        start = k.last_seq()
        for face in (2, 3):
            k.wait_screen("home")
            k.touch(k.face(face))
            assert k.screen == "thanks"
        rows = k.wait_rows(start, 2)
        assert [r["face"] for r in rows] == [2, 3] and pending(k) >= 2
        assert not k.app.root.ids.dot.is_online
    finally:
        k.hub.start()
    k.until(lambda: pending(k) == 0, timeout=60, message="backlog acknowledged after the hub came back")
    k.until(lambda: k.app.is_online, timeout=30, message="staff dot online again")


def test_hub_pushed_config_changes_the_screen_live(kiosk_ui: Any) -> None:
    """`hub config set` for this kiosk reaches the running app: five faces and a new question, no restart."""
    k = kiosk_ui
    data = str(k.hub.data_dir)
    k.until(lambda: k.app.is_online, timeout=30, message="uplink online")
    hub_cmd(
        "config",
        "set",
        "--kiosk",
        KIOSK_ID,
        "--set",
        "faces=5",
        "--set",
        'questions.sv="Hittade du det du sökte?"',
        "--data-dir",
        data,
    )
    try:
        k.until(lambda: len(k.home().face_buttons()) == 5, timeout=30, message="five faces pushed by the hub")
        assert k.home().ids.question.text == "Hittade du det du sökte?"
    finally:
        hub_cmd("config", "set", "--kiosk", KIOSK_ID, "--replace", "--data-dir", data)
    k.until(lambda: len(k.home().face_buttons()) == 4, timeout=30, message="back to the file's four faces")


def test_hub_kiosk_pin_reaches_the_running_kiosk_and_the_old_pin_stops(kiosk_ui: Any) -> None:
    """`hub kiosk pin` for this kiosk reaches the running app as a hash: the staff pad then refuses the old PIN
    (the file's 2468) and opens with the new one, without a restart."""
    from feedback.staff_pin import pin_matches

    k = kiosk_ui
    data = str(k.hub.data_dir)
    k.until(lambda: k.app.is_online, timeout=30, message="uplink online")
    hold_corner(k)
    enter_pin(k, "2468")
    k.wait_screen("staff")  # the old PIN works before the push
    k.touch(k.app.sm.get_screen("staff").ids.close)
    pin = hub_cmd("kiosk", "pin", KIOSK_ID, "--data-dir", data).strip()
    assert len(pin) == 6 and pin.isdigit()
    try:
        k.until(
            lambda: (h := k.app.ui.staff_pin_hash) is not None and pin_matches(pin, pin=None, pin_hash=h),
            timeout=30,
            message="the new PIN's hash pushed by the hub",
        )
        assert pin not in (k.app.kiosk_config.data_dir / "remote-config.json").read_text()
        k.wait_screen("home")
        hold_corner(k)
        if pin != "2468":  # (one in a million)
            enter_pin(k, "2468")
            k.frames(2)
            assert k.screen == "pin" and k.app.pin_message == k.app.t["pin_wrong"]
        enter_pin(k, pin)
        k.wait_screen("staff")
        k.touch(k.app.sm.get_screen("staff").ids.close)
    finally:
        hub_cmd("config", "set", "--kiosk", KIOSK_ID, "--replace", "--data-dir", data)
    k.until(lambda: k.app.ui.staff_pin_hash is None, timeout=30, message="back to the file's PIN")
