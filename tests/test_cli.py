"""The command lines users script: every command has --help; bad input is one clean error line, exit 2."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from tests.harness import ROOT, child_env

COMMANDS = [
    "hub demo",
    "hub serve",
    "hub location add",
    "hub location list",
    "hub kiosk add",
    "hub kiosk move",
    "hub kiosk disable",
    "hub kiosk enable",
    "hub kiosk list",
    "hub kiosk pin",
    "hub token create",
    "hub broker-config",
    "hub broker-address set",
    "hub broker-address show",
    "hub import happyornot",
    "kiosk run",
    "kiosk simulate",
    "kiosk status",
]


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", *args], capture_output=True, text=True, env=child_env(), cwd=ROOT, timeout=60
    )


@pytest.mark.parametrize("command", COMMANDS)
def test_every_command_has_help(command: str) -> None:
    """`--help` prints a usage line naming the command and exits 0."""
    done = run(*command.split(), "--help")
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith(f"usage: python -m {command}")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["hub", "location", "add", "x", "--name", "X", "--timezone", "Mars/Olympus"], "not an IANA zone"),
        (["hub", "location", "add", "Bad+Id", "--name", "X", "--timezone", "UTC"], "location id 'Bad+Id' is not valid"),
        (["hub", "kiosk", "add", "k1", "--location", "nowhere"], "no location 'nowhere'"),
        (["hub", "kiosk", "add", "hub", "--location", "x"], "reserved"),
        (["hub", "kiosk", "move", "ghost", "--location", "x"], "no kiosk 'ghost'"),
        (["hub", "kiosk", "pin", "ghost"], "no kiosk 'ghost'"),
    ],
)
def test_hub_cli_refuses_bad_input_with_one_clean_line(tmp_path: Path, args: list[str], message: str) -> None:
    """Registry refusals exit 2 with a single `error:` line, no traceback."""
    done = run(*args, "--data-dir", str(tmp_path))
    assert done.returncode == 2
    assert done.stderr.startswith("error: ") and message in done.stderr
    assert "Traceback" not in done.stderr


@pytest.mark.parametrize(
    ("toml", "message"),
    [
        (None, "does not exist"),
        ("[kiosk]\nid = 'k1'\n", "[broker] table is missing"),
        ("[kiosk]\nid = 'K 1'\n[broker]\nurl='mqtt://h:1'\npassword='p'\n", "kiosk.id"),
        ("[kiosk]\nid = 'k1'\n[broker]\nurl='http://h'\npassword='p'\n", "broker.url"),
        (
            "[kiosk]\nid = 'k1'\n[broker]\nurl='mqtt://h:1'\npassword='p'\n[uplink]\nbatch_size = 500\n",
            "uplink.batch_size must be <= 100",
        ),
        ("[kiosk]\nid = 'k1'\n[broker]\nurl='mqtt://h:1'\npassword='p'\n[ui]\nfaces = 'four'\n", "ui.faces"),
        ("not toml ===", "not valid TOML"),
    ],
)
def test_kiosk_cli_names_the_bad_config_key(tmp_path: Path, toml: str | None, message: str) -> None:
    """A bad kiosk config fails at start with one line naming the key."""
    cfg = tmp_path / "k.toml"
    if toml is not None:
        cfg.write_text(toml)
    done = run("kiosk", "status", "--config", str(cfg), "--data-dir", str(tmp_path / "d"))
    assert done.returncode == 2
    assert done.stderr.startswith("error: ") and message in done.stderr, done.stderr


def test_config_set_response_interval_also_reflags_stored_taps(tmp_path: Path) -> None:
    """`hub config set --location X --set response_interval_s=N` re-flags the hub's stored taps under N, like the
    dashboard's rule edit, so reports and kiosks follow one rule."""
    import time
    import uuid

    from feedback.rating import Rating
    from hub.store import open_store
    from hub.store.records import Incoming
    from tests.harness import hub_cmd, rolled_up, stored

    hub_cmd("location", "add", "sto", "--name", "Sto", "--timezone", "Europe/Stockholm", "--data-dir", str(tmp_path))
    hub_cmd("broker-address", "set", "mqtt://hub.example:18830", "--data-dir", str(tmp_path))
    hub_cmd("kiosk", "add", "k1", "--location", "sto", "--data-dir", str(tmp_path), "--out", str(tmp_path / "k1.toml"))
    t0 = int(time.time() * 1000) - 3_600_000
    ratings = [Rating("k1", i + 1, str(uuid.uuid4()), 3, 4, "q1", t0 + i * 10_000, "b", i) for i in range(6)]
    with open_store(tmp_path / "hub.db") as store:
        store.ledger.store_batch([Incoming("k1", t0, ratings)], now_ms=t0)
    assert stored(tmp_path, misuse=True) == 0
    hub_cmd("config", "set", "--location", "sto", "--set", "response_interval_s=30", "--data-dir", str(tmp_path))
    assert stored(tmp_path, misuse=True) == 5  # 10 s apart, rule 30 s
    assert rolled_up(tmp_path, misuse=True) == 5


def test_kiosk_add_never_writes_a_broker_address_nobody_set(tmp_path: Path) -> None:
    """Before `serve` or `broker-address set`, `kiosk add` refuses naming --broker-url; an explicit address is used
    and outlives a `serve` that listens elsewhere."""
    from tests.harness import HubProcess, hub_cmd

    data = str(tmp_path / "hub")
    hub_cmd("location", "add", "sto", "--name", "Sto", "--timezone", "Europe/Stockholm", "--data-dir", data)
    refused = run("hub", "kiosk", "add", "k1", "--location", "sto", "--data-dir", data)
    assert refused.returncode == 2 and "--broker-url" in refused.stderr
    assert '"broker_url": null' in hub_cmd("broker-address", "show", "--data-dir", data)
    hub = HubProcess(tmp_path / "hub").start()
    try:
        written = hub_cmd("kiosk", "add", "k1", "--location", "sto", "--data-dir", data)
        assert f'url = "mqtt://127.0.0.1:{hub.mqtt_port}"' in written, "serve recorded the address it listens on"
        hub_cmd("broker-address", "set", "mqtt://kiosks.example.org:8883", "--data-dir", data)
    finally:
        hub.stop()
    hub.start()
    try:
        written = hub_cmd("kiosk", "add", "k2", "--location", "sto", "--data-dir", data)
        assert 'url = "mqtt://kiosks.example.org:8883"' in written, "an explicit address outlives serve"
    finally:
        hub.stop()
    bad = run("hub", "broker-address", "set", "http://x", "--data-dir", data)
    assert bad.returncode == 2 and bad.stderr.startswith("error: broker address")


def test_kiosk_add_without_tls_says_so_when_only_tls_addresses_were_set(tmp_path: Path) -> None:
    """The scale-out recipe sets mqtts:// addresses for kiosks while `serve` records the plain ones it uses itself:
    `kiosk add` without --tls writes those plain ones, and says so on stderr; with --tls it writes the set ones."""
    from tests.harness import HubProcess, hub_cmd

    data = str(tmp_path / "hub")
    hub_cmd("location", "add", "sto", "--name", "Sto", "--timezone", "Europe/Stockholm", "--data-dir", data)
    hub = HubProcess(tmp_path / "hub").start()
    try:
        hub_cmd("broker-address", "set", "mqtts://a.example.org:8883", "mqtts://b.example.org:8884", "--data-dir", data)
        plain = run("hub", "kiosk", "add", "k1", "--location", "sto", "--data-dir", data)
        assert plain.returncode == 0, plain.stderr
        assert f'"mqtt://127.0.0.1:{hub.mqtt_port}"' in plain.stdout
        assert "add --tls to use TLS" in plain.stderr and "mqtts://a.example.org:8883" in plain.stderr
        tls = run("hub", "kiosk", "add", "k2", "--location", "sto", "--tls", "--data-dir", data)
        assert tls.returncode == 0, tls.stderr
        assert 'urls = ["mqtts://a.example.org:8883", "mqtts://b.example.org:8884"]' in tls.stdout
        assert "--tls" not in tls.stderr
    finally:
        hub.stop()


def test_an_orderly_stop_of_the_hub_process_group_logs_no_error(tmp_path: Path) -> None:
    """SIGTERM to `hub serve`'s process group (as systemd or Ctrl-C sends it) stops hub and broker with no
    ERROR line: the broker stopping too is not reported as a failure and not restarted."""
    import os
    import signal

    import httpx

    from tests.harness import free_port, wait_until

    http_port, mqtt_port = free_port(), free_port()
    log = tmp_path / "serve.log"
    with open(log, "wb") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "hub", "serve", "--data-dir", str(tmp_path / "hub"), "--http-port", str(http_port),
             "--mqtt-port", str(mqtt_port)],
            stdout=out, stderr=subprocess.STDOUT, env=child_env(), cwd=ROOT, start_new_session=True,
        )  # fmt: skip
    try:

        def healthy() -> bool:
            try:
                return httpx.get(f"http://127.0.0.1:{http_port}/healthz", timeout=1).json()["mqtt_connected"] is True
            except httpx.HTTPError:
                return False

        wait_until(healthy, timeout=30, message="hub serving with its broker")
        os.killpg(proc.pid, signal.SIGTERM)
        assert proc.wait(30) in (0, -signal.SIGTERM)  # uvicorn re-raises the signal after its graceful shutdown
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
    text = log.read_text()
    assert "Application shutdown complete" in text, text[-2000:]
    assert "ERROR" not in text, text[-2000:]
    assert "restarting" not in text or "unless the hub stops" in text


def test_kiosk_add_makes_a_random_staff_pin_shown_once_and_writes_only_its_hash(tmp_path: Path) -> None:
    """Each kiosk gets its own random 6-digit staff PIN: printed once, its config holds a hash that accepts it."""
    import re
    import tomllib

    from feedback.staff_pin import pin_matches
    from tests.harness import hub_cmd

    data = str(tmp_path / "hub")
    hub_cmd("location", "add", "sto", "--name", "Sto", "--timezone", "Europe/Stockholm", "--data-dir", data)
    pins = []
    for kid in ("k1", "k2"):
        out = run("hub", "kiosk", "add", kid, "--location", "sto", "--broker-url", "mqtt://h:1883", "--data-dir", data)
        assert out.returncode == 0, out.stderr
        pin = re.search(r"staff PIN of kiosk \w+: (\d{6})", out.stderr)
        assert pin is not None
        ui = tomllib.loads(out.stdout)["ui"]
        assert "staff_pin" not in ui and pin[1] not in out.stdout
        assert pin_matches(pin[1], pin=None, pin_hash=ui["staff_pin_hash"])
        assert not pin_matches("0000", pin=None, pin_hash=ui["staff_pin_hash"])
        pins.append(pin[1])
    assert pins[0] != pins[1]  # (one in a million: the same six digits twice)


def test_kiosk_pin_prints_a_new_pin_once_and_the_hub_keeps_only_its_hash_for_the_kiosk(tmp_path: Path) -> None:
    """`hub kiosk pin ID` prints a new random 6-digit PIN; the hub's store holds only a hash of it, as that kiosk's
    own staff_pin_hash remote setting (replacing a plain staff_pin there), in a new config version for it alone."""
    import json
    import re
    import sqlite3

    from feedback.staff_pin import pin_matches
    from tests.harness import hub_cmd

    data = str(tmp_path / "hub")
    hub_cmd("location", "add", "sto", "--name", "Sto", "--timezone", "Europe/Stockholm", "--data-dir", data)
    for kid in ("k1", "k2"):
        hub_cmd("kiosk", "add", kid, "--location", "sto", "--broker-url", "mqtt://h:1883", "--data-dir", data)
    hub_cmd("config", "set", "--kiosk", "k1", "--set", 'staff_pin="1234"', "--set", "faces=5", "--data-dir", data)
    before = {r["kiosk_id"]: r["version"] for r in json.loads(hub_cmd("config", "status", "--data-dir", data))}
    done = run("hub", "kiosk", "pin", "k1", "--data-dir", data)
    assert done.returncode == 0, done.stderr
    assert re.fullmatch(r"\d{6}\n", done.stdout), done.stdout
    pin = done.stdout.strip()
    assert pin not in done.stderr and "shown once" in done.stderr
    settings = json.loads(hub_cmd("config", "show", "--kiosk", "k1", "--data-dir", data))["settings"]
    assert set(settings) == {"faces", "staff_pin_hash"}  # the plain PIN is gone, other settings stay
    assert pin_matches(pin, pin=None, pin_hash=settings["staff_pin_hash"])
    assert not pin_matches("1234", pin=None, pin_hash=settings["staff_pin_hash"])
    after = {r["kiosk_id"]: r["version"] for r in json.loads(hub_cmd("config", "status", "--data-dir", data))}
    assert after["k1"] > before["k1"] and after["k2"] == before["k2"]
    conn = sqlite3.connect(Path(data) / "hub.db")
    try:  # what the hub keeps and publishes: the hash, never the PIN as a value
        kept = str(conn.execute("SELECT * FROM config_settings").fetchall())
        kept += str(conn.execute("SELECT * FROM kiosk_config").fetchall())
        audit = str(conn.execute("SELECT * FROM audit_log").fetchall())
    finally:
        conn.close()
    assert settings["staff_pin_hash"] in kept and f'"{pin}"' not in kept and pin not in audit
    again = run("hub", "kiosk", "pin", "k1", "--data-dir", data)
    new_pin = again.stdout.strip()
    new_hash = json.loads(hub_cmd("config", "show", "--kiosk", "k1", "--data-dir", data))["settings"]["staff_pin_hash"]
    assert pin_matches(new_pin, pin=None, pin_hash=new_hash)
    assert new_pin == pin or not pin_matches(pin, pin=None, pin_hash=new_hash)  # the old PIN stops working
