"""Remote configuration over a real hub and broker: set on the hub, pushed retained, validated, applied,
persisted and reported by the kiosk (``kiosk simulate`` runs the same uplink and remote-config code)."""

from __future__ import annotations

import contextlib
import io
import json
import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from hub import cli as hub_cli
from tests.harness import HubProcess, KioskRun, hub_cmd, hub_store, kiosk_status, provision, wait_until
from tests.mqtt_client import RawClient


@pytest.fixture(scope="module")
def hub(tmp_path_factory: pytest.TempPathFactory) -> Iterator[HubProcess]:
    """One hub for the module; each test provisions its own kiosks while it runs."""
    h = HubProcess(tmp_path_factory.mktemp("remote") / "hub")
    provision(h.data_dir, location="sto", kiosks=[], broker_url=h.broker_url, out_dir=h.data_dir)
    h.start()
    yield h
    h.stop()


def config_state(hub: HubProcess, kiosk_id: str) -> dict[str, Any]:
    return dict(json.loads(hub_cmd("config", "status", "--kiosk", kiosk_id, "--data-dir", str(hub.data_dir)))[0])


def set_config(hub: HubProcess, scope: str, scope_id: str, *assignments: str) -> int:
    """Change settings through the CLI; return the version the kiosk ``scope_id`` (or any kiosk) now has."""
    args = [a for pair in assignments for a in ("--set", pair)]
    hub_cmd("config", "set", f"--{scope}", scope_id, *args, "--data-dir", str(hub.data_dir))
    with hub_store(hub.data_dir) as store:
        return store.settings.latest_version()


def long_run(config: Path, data: Path) -> KioskRun:
    return KioskRun(config, data, "--taps", "10000", "--rate", "1")


def wait_online(hub: HubProcess, kiosk_id: str) -> None:
    wait_until(
        lambda: any(k["id"] == kiosk_id and k["is_online"] for k in hub.api("/api/kiosks")),
        message=f"{kiosk_id} online",
    )


def test_a_change_reaches_an_online_kiosk_within_seconds(hub: HubProcess, tmp_path: Path) -> None:
    """`config set` for a location is applied by its online kiosk, saved, and reported back within seconds."""
    cfg = provision(hub.data_dir, location="sto", kiosks=["on1"], broker_url=hub.broker_url, out_dir=tmp_path)
    run = long_run(cfg["on1"], tmp_path / "on1-data")
    try:
        wait_online(hub, "on1")
        version = set_config(hub, "location", "sto", "faces=5", 'questions.en="How was your visit?"', "language=en")
        wait_until(
            lambda: config_state(hub, "on1")["applied_version"] == version,
            timeout=10,
            message="config applied and reported",
        )
        assert json.loads((tmp_path / "on1-data" / "remote-config.json").read_text()) == {
            "version": version,
            "ui": {"faces": 5, "language": "en", "questions": {"en": "How was your visit?"}},
        }
        wait_until(
            lambda: (
                hub.api("/api/kiosks")
                and any(
                    k["id"] == "on1" and (k["status"] or {}).get("config_version") == version
                    for k in hub.api("/api/kiosks")
                )
            ),
            timeout=10,
            message="config version in the kiosk's status",
        )
    finally:
        run.kill()
        hub_cmd("config", "set", "--location", "sto", "--replace", "--data-dir", str(hub.data_dir))


def test_an_offline_kiosk_gets_the_change_on_reconnect_and_keeps_it_for_offline_boots(
    hub: HubProcess, tmp_path: Path
) -> None:
    """A kiosk offline during a change applies it when it reconnects, then boots offline with it."""
    cfg = provision(hub.data_dir, location="sto", kiosks=["off1"], broker_url=hub.broker_url, out_dir=tmp_path)
    data = tmp_path / "off1-data"
    assert KioskRun(cfg["off1"], data, "--taps", "1", "--wait-acked", "30").wait() == 0
    version = set_config(hub, "kiosk", "off1", "faces=3", "followup_faces=[0]")
    wait_until(lambda: config_state(hub, "off1")["published_version"] == version, message="published")
    assert kiosk_status(cfg["off1"], data)["config_version"] is None
    run = long_run(cfg["off1"], data)
    try:
        wait_until(
            lambda: kiosk_status(cfg["off1"], data)["config_version"] == version,
            timeout=15,
            message="config applied on reconnect",
        )
        wait_until(lambda: config_state(hub, "off1")["applied_version"] == version, message="applied reported")
    finally:
        run.kill()
    assert KioskRun(cfg["off1"], data, "--taps", "3", "--offline").wait() == 0
    conn = sqlite3.connect(data / "outbox.db")
    try:
        scales = [r[0] for r in conn.execute("SELECT scale FROM outbox ORDER BY seq DESC LIMIT 3")]
        first = conn.execute("SELECT scale FROM outbox ORDER BY seq LIMIT 1").fetchone()[0]
    finally:
        conn.close()
    assert first == 4 and scales == [3, 3, 3]


def test_an_invalid_config_is_refused_and_reported_and_the_last_good_one_kept(hub: HubProcess, tmp_path: Path) -> None:
    """A config the kiosk cannot run is refused with its reason at the hub; the kiosk keeps the good one."""
    cfg = provision(hub.data_dir, location="sto", kiosks=["bad1"], broker_url=hub.broker_url, out_dir=tmp_path)
    data = tmp_path / "bad1-data"
    run = long_run(cfg["bad1"], data)
    try:
        wait_online(hub, "bad1")
        good = set_config(hub, "kiosk", "bad1", "thank_you_s=4.5")
        wait_until(lambda: config_state(hub, "bad1")["applied_version"] == good, message="good config applied")
        # The hub's own CLI refuses it with one clean line ...
        err = io.StringIO()
        with contextlib.redirect_stderr(err):
            rc = hub_cli.main(["config", "set", "--kiosk", "bad1", "--set", "faces=9", "--data-dir", str(hub.data_dir)])
        assert rc == 2 and err.getvalue().startswith("error: ") and "faces" in err.getvalue()
        # ... so play a newer hub that sends one this kiosk does not accept
        secret = json.loads((hub.data_dir / "secrets.json").read_text())["hub_mqtt_password"]
        raw = RawClient(hub.mqtt_port, username="hub", password=secret, client_id="newer-hub")
        try:
            assert not raw.connect().is_failure
            bad = good + 1000
            payload = json.dumps({"v": 1, "version": bad, "ui": {"faces": 9, "thank_you_s": 1.0}}).encode()
            assert not raw.publish("fb/v1/k/bad1/config", payload, retain=True).is_failure
        finally:
            raw.close()
        state = wait_until(
            lambda: (s := config_state(hub, "bad1"))["refused_version"] == bad and s,
            timeout=10,
            message="refusal reported",
        )
        assert "faces" in state["refused_reason"] and state["applied_version"] == good
        assert kiosk_status(cfg["bad1"], data)["config_version"] == good
        # the hub's next valid config is taken again
        fixed = set_config(hub, "kiosk", "bad1", "thank_you_s=2.0")
        wait_until(lambda: config_state(hub, "bad1")["applied_version"] == fixed, message="valid config applied")
    finally:
        run.kill()


def test_config_cli_reads_toml_values_and_refuses_unknown_settings(hub: HubProcess) -> None:
    """`config set --set` parses TOML values (strings without quotes too); unknown keys get one error line."""
    hub_cmd(
        "location", "add", "cli", "--name", "Cli", "--timezone", "Europe/Stockholm", "--data-dir", str(hub.data_dir)
    )
    out = hub_cmd(
        "config",
        "set",
        "--location",
        "cli",
        "--set",
        "language=en",
        "--set",
        "reasons=['queue','price']",
        "--set",
        'opening_hours.sun="closed"',
        "--data-dir",
        str(hub.data_dir),
    )
    assert json.loads(out) == {"language": "en", "reasons": ["queue", "price"], "opening_hours": {"sun": "closed"}}
    for bad in ("wifi_password=x", "opening_hours.mon=25:00-26:00", "faces=true"):
        err = io.StringIO()
        with contextlib.redirect_stderr(err):
            rc = hub_cli.main(["config", "set", "--location", "cli", "--set", bad, "--data-dir", str(hub.data_dir)])
        assert rc == 2 and err.getvalue().count("\n") == 1 and err.getvalue().startswith("error: "), bad


def test_region_settings_reach_the_regions_kiosks_and_follow_a_store_moved_into_the_region(
    hub: HubProcess, tmp_path: Path
) -> None:
    """`config set --region` reaches the running kiosks of the region's stores and not another region's; a store's
    own setting beats the region's; a store moved into the region gets its settings pushed."""
    d = ["--data-dir", str(hub.data_dir)]
    hub_cmd("region", "add", "north", "--name", "Norr", *d)
    hub_cmd("region", "add", "south", "--name", "Syd", *d)
    for loc, region in (("lul", "north"), ("kir", "north"), ("mmx", "south")):
        hub_cmd("location", "add", loc, "--name", loc.title(), "--timezone", "Europe/Stockholm", "--region", region, *d)
    cfg = {
        kid: provision(hub.data_dir, location=loc, kiosks=[kid], broker_url=hub.broker_url, out_dir=tmp_path)[kid]
        for kid, loc in (("k-lul", "lul"), ("k-kir", "kir"), ("k-mmx", "mmx"))
    }
    set_config(hub, "region", "north", "faces=5", 'questions.en="How was the north?"')
    version = set_config(hub, "location", "kir", "faces=3", "followup_faces=[0]")
    runs = {kid: long_run(path, tmp_path / f"{kid}-data") for kid, path in cfg.items()}
    try:

        def applied(kid: str) -> dict[str, Any]:
            wait_until(
                lambda: (config_state(hub, kid)["applied_version"] or 0) >= (config_state(hub, kid)["version"] or 1),
                timeout=20,
                message=f"{kid} applied its settings",
            )
            ui: dict[str, Any] = json.loads((tmp_path / f"{kid}-data" / "remote-config.json").read_text())["ui"]
            return ui

        assert applied("k-lul") == {"faces": 5, "questions": {"en": "How was the north?"}}
        assert applied("k-kir") == {"faces": 3, "followup_faces": [0], "questions": {"en": "How was the north?"}}
        wait_online(hub, "k-mmx")
        assert config_state(hub, "k-mmx")["version"] is None  # region south: nothing to send
        assert not (tmp_path / "k-mmx-data" / "remote-config.json").exists()

        hub_cmd("location", "set", "mmx", "--region", "north", *d)
        assert config_state(hub, "k-mmx")["version"] > version
        assert applied("k-mmx") == {"faces": 5, "questions": {"en": "How was the north?"}}
    finally:
        for run in runs.values():
            run.kill()
        hub_cmd("config", "set", "--region", "north", "--replace", *d)
