"""A kiosk whose clock is a year off (a Pi without RTC that booted offline): the hub learns the boot's skew
from live status messages, corrects and flags the ratings, and never overwrites the raw device time."""

from __future__ import annotations

import sqlite3
import time
import uuid
from pathlib import Path

import pytest

from feedback.rating import Rating
from hub.fleet.kiosks import register_kiosk
from hub.store import open_store
from hub.store.records import Incoming
from tests.harness import HubProcess, KioskRun, provision
from tests.postgres import sql_of

YEAR_S = 365 * 86_400
MINUTE_MS = 60_000


@pytest.mark.parametrize("offset_s", [-YEAR_S, YEAR_S])
def test_ratings_from_a_kiosk_a_year_off_are_corrected_and_flagged(
    hub: HubProcess, tmp_path: Path, offset_s: int
) -> None:
    """Taps recorded offline and online by a kiosk a year behind/ahead get true times, flag clock_corrected."""
    cfg = provision(hub.data_dir, location="sto", kiosks=["skewed"], broker_url=hub.broker_url, out_dir=tmp_path)[
        "skewed"
    ]
    hub.start()
    data = tmp_path / "skewed-data"
    offset = ("--clock-offset-s", str(offset_s))
    assert KioskRun(cfg, data, "--taps", "3", "--offline", *offset).wait() == 0
    assert KioskRun(cfg, data, "--taps", "2", "--rate", "4", "--wait-acked", "30", *offset).wait() == 0
    conn = sqlite3.connect(hub.data_dir / "hub.db")
    try:
        rows = conn.execute(
            "SELECT device_time_ms, time_ms, time_flag, received_ms FROM ratings WHERE kiosk_id = 'skewed' ORDER BY seq"
        ).fetchall()
        skew_ms = conn.execute("SELECT skew_ms FROM boots WHERE kiosk_id = 'skewed'").fetchone()[0]
    finally:
        conn.close()
    now_ms = time.time() * 1000
    assert len(rows) == 5
    assert abs(skew_ms - offset_s * 1000) < MINUTE_MS
    for device_ms, true_ms, flag, received_ms in rows:
        assert flag == "clock_corrected"
        assert abs(device_ms - (now_ms + offset_s * 1000)) < 5 * MINUTE_MS  # the raw device time is kept
        assert abs(true_ms - now_ms) < 5 * MINUTE_MS and true_ms <= received_ms + 1000
    listed = {k["id"]: k for k in hub.api("/api/kiosks")}
    assert abs(listed["skewed"]["clock_skew_ms"] - offset_s * 1000) < MINUTE_MS  # shown to the technician
    summary = hub.api("/api/locations/sto/summary", include_misuse="true")
    assert summary["total"] == 5  # counted today, not a year away


def test_a_future_time_from_a_boot_the_hub_never_saw_is_flagged_and_uses_the_receive_time(tmp_path: Path) -> None:
    """Without a live status for the rating's boot, a time a year ahead is flagged and replaced by receipt."""
    db = open_store(tmp_path / "hub.db")
    db.registry.add_location("sto", name="Sto", timezone="Europe/Stockholm", now_ms=0)
    register_kiosk(db, "k1", location_id="sto", now_ms=0)
    received = int(time.time() * 1000)
    rating = Rating(
        kiosk_id="k1",
        seq=1,
        uuid=str(uuid.uuid4()),
        face=3,
        scale=4,
        question_id="q1",
        time_ms=received + YEAR_S * 1000,
        boot_id="never-seen",
        mono_ms=1234,
    )
    db.ledger.store_batch([Incoming("k1", received, [rating])], now_ms=received)
    row = sql_of(db).execute("SELECT device_time_ms, time_ms, time_flag FROM ratings").fetchone()
    assert row == (received + YEAR_S * 1000, received, "time_in_future")
