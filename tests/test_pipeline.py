"""End to end over real processes: kiosks (simulate) → managed Mosquitto → hub → store → API, on both store
engines (SQLite, and a PostgreSQL the tests start)."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from tests.harness import HubProcess, KioskRun, hub_cmd, kiosk_status, provision, rolled_up, stored, wait_until
from tests.postgres import both_engines

pytestmark = both_engines


def test_round_trip_counts_every_tap_once_and_drains_outboxes(hub: HubProcess, tmp_path: Path) -> None:
    """N taps on three kiosks arrive once each; the summary total equals the taps; every outbox drains."""
    configs = provision(
        hub.data_dir, location="sto", kiosks=["k1", "k2", "k3"], broker_url=hub.broker_url, out_dir=tmp_path
    )
    hub.start()
    runs = [
        KioskRun(cfg, tmp_path / f"{kid}-data", "--taps", str(200 + 50 * i), "--wait-acked", "60")
        for i, (kid, cfg) in enumerate(configs.items())
    ]
    assert [r.wait() for r in runs] == [0, 0, 0]

    for kid, cfg in configs.items():
        st = kiosk_status(cfg, tmp_path / f"{kid}-data")
        assert st["pending"] == 0 and st["acked"] == st["recorded"]
    summary = hub.api("/api/locations/sto/summary", include_misuse="true")
    assert summary["total"] == 200 + 250 + 300
    assert sum(summary["counts"]) == 750
    assert stored(hub.data_dir) == 750
    assert rolled_up(hub.data_dir) == 750
    statuses = {k["id"]: k["status"] for k in hub.api("/api/kiosks")}
    assert {kid: (st["state"], st["pending"]) for kid, st in statuses.items()} == {
        "k1": ("offline", 0),
        "k2": ("offline", 0),
        "k3": ("offline", 0),
    }, "an orderly stop reports its last figures"


def test_kiosk_added_while_hub_runs_is_admitted_by_the_broker(hub: HubProcess, tmp_path: Path) -> None:
    """Provisioning regenerates the broker's password file and reloads it: no hub restart needed."""
    provision(hub.data_dir, location="sto", kiosks=["early"], broker_url=hub.broker_url, out_dir=tmp_path)
    hub.start()
    late = provision(hub.data_dir, location="sto", kiosks=["late"], broker_url=hub.broker_url, out_dir=tmp_path)
    run = KioskRun(late["late"], tmp_path / "late-data", "--taps", "5", "--wait-acked", "30")
    assert run.wait() == 0
    wait_until(
        lambda: hub.api("/api/locations/sto/summary", include_misuse="true")["total"] == 5,
        message="late kiosk's ratings counted",
    )


def test_taps_recorded_before_a_move_count_for_the_old_store_even_if_sent_after(
    hub: HubProcess, tmp_path: Path
) -> None:
    """A kiosk offline while it is moved: taps from before the move stay with the old store, later ones go to
    the new one."""
    kiosks = provision(hub.data_dir, location="sto", kiosks=["m"], broker_url=hub.broker_url, out_dir=tmp_path)
    provision(hub.data_dir, location="gbg", kiosks=[], broker_url=hub.broker_url, out_dir=tmp_path)
    hub.start()
    cfg, data = kiosks["m"], tmp_path / "m-data"
    assert KioskRun(cfg, data, "--taps", "4", "--offline").wait() == 0
    hub_cmd("kiosk", "move", "m", "--location", "gbg", "--data-dir", str(hub.data_dir))
    assert KioskRun(cfg, data, "--taps", "6", "--wait-acked", "30").wait() == 0
    by_location = {loc: stored(hub.data_dir, location_id=loc) for loc in ("sto", "gbg")}
    assert by_location == {"sto": 4, "gbg": 6}
    assert rolled_up(hub.data_dir, location_id="sto") == 4


def test_taps_given_while_the_store_is_closed_are_stored_once_flagged_and_left_out(
    hub: HubProcess, tmp_path: Path
) -> None:
    """A kiosk recording after hours ("record and flag") has every tap stored exactly once, flagged by the hub as
    outside opening hours, left out of the summary by default and counted with include_closed."""
    configs = provision(hub.data_dir, location="sto", kiosks=["k"], broker_url=hub.broker_url, out_dir=tmp_path)
    hour = datetime.now(ZoneInfo("Europe/Stockholm")).hour
    span = "12-13" if hour in (0, 1, 23) else "0-1"  # an hour far from now: the store is closed all around it
    hub_cmd("location", "set", "sto", "--opening-hours", f"mon-sun {span}", "--data-dir", str(hub.data_dir))
    hub.start()
    assert KioskRun(configs["k"], tmp_path / "k-data", "--taps", "12", "--wait-acked", "60").wait() == 0
    assert stored(hub.data_dir) == rolled_up(hub.data_dir) == 12
    assert stored(hub.data_dir, closed=True) == rolled_up(hub.data_dir, closed=True) == 12
    summary = hub.api("/api/locations/sto/summary", include_misuse="true")
    assert (summary["total"], summary["closed_excluded"]) == (0, 12)
    assert hub.api("/api/locations/sto/summary", include_misuse="true", include_closed="true")["total"] == 12
