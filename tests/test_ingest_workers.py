"""Several ``hub ingest`` workers on one PostgreSQL store and one broker, over real processes."""

from __future__ import annotations

import re
import subprocess
import sys
from collections.abc import Iterator
from functools import partial
from pathlib import Path

import pytest

from hub import cli as hub_cli
from hub.store import open_store
from tests.harness import (
    ROOT,
    ExternalBroker,
    HubProcess,
    IngestWorker,
    KioskRun,
    child_env,
    hub_cmd,
    hub_store,
    kiosk_status,
    provision,
    rolled_up,
    stored,
    wait_until,
)

TAPS = 3000


@pytest.fixture
def hub_dir(tmp_path: Path, pg_url: str, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A hub data dir (secrets, broker files) whose store is a fresh PostgreSQL database ($HUB_DATABASE)."""
    monkeypatch.setenv("HUB_DATABASE", pg_url)
    path = tmp_path / "hub"
    path.mkdir()
    return path


@pytest.fixture
def broker(hub_dir: Path) -> Iterator[ExternalBroker]:
    b = ExternalBroker(hub_dir)
    yield b
    b.stop()


def test_two_workers_one_sigkilled_mid_batch_lose_and_double_count_nothing(
    hub_dir: Path, broker: ExternalBroker, tmp_path: Path
) -> None:
    """Three kiosks stream to two workers; one is SIGKILLed while storing and comes back: every tap once."""
    kiosks = provision(
        hub_dir, location="sto", kiosks=["a", "b", "c"], broker_url=broker.kiosk_url, out_dir=tmp_path,
        uplink="batch_size = 20\nreplay_jitter_s = 0.2\nack_timeout_s = 3",
    )  # fmt: skip
    broker.start()
    workers = [IngestWorker(tmp_path, mqtt_url=broker.hub_url(), client_id=f"w{i}").start() for i in (1, 2)]
    runs: list[KioskRun] = []
    try:
        wait_until(lambda: all(w.connections() for w in workers), timeout=30, message="both workers connected")
        runs += [
            KioskRun(cfg, tmp_path / f"{kid}-data", "--taps", str(TAPS), "--rate", "600", "--wait-acked", "150")
            for kid, cfg in kiosks.items()
        ]
        wait_until(lambda: stored(hub_dir) > 1500, timeout=60, message="ratings flowing")
        workers[0].kill()  # mid-stream: it was storing its share of the batches
        assert stored(hub_dir) < len(kiosks) * TAPS, "killed while work was left"
        workers[0].start()  # as systemd would: same client id, its broker session drains to it
        assert [r.wait(180) for r in runs] == [0, 0, 0]
        for kid, cfg in kiosks.items():
            st = kiosk_status(cfg, tmp_path / f"{kid}-data")
            assert (st["pending"], st["last_seq"]) == (0, TAPS)
            with hub_store(hub_dir) as store:
                assert (stored(hub_dir, kiosk_id=kid), store.ops.max_seq(kid)) == (TAPS, TAPS)
        assert stored(hub_dir) == rolled_up(hub_dir) == len(kiosks) * TAPS
        with hub_store(hub_dir) as store:
            assert {k["id"]: k["acked_through"] for k in store.registry.kiosks()} == dict.fromkeys(kiosks, TAPS)
            assert store.ops.rejected_count() == 0
    finally:
        for r in runs:
            r.kill()
        for w in workers:
            w.stop()


def test_ingest_cli_retires_a_worker_and_refuses_a_store_workers_cannot_share(
    pg_url: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """``hub ingest --retire`` forgets a registered worker (births stop waiting for it); without a PostgreSQL
    ``--database`` or without ``--mqtt-url`` it refuses with one error line."""
    monkeypatch.delenv("HUB_DATABASE", raising=False)
    with open_store(pg_url) as store:
        store.ledger.register_worker("hub-ingest-1", now_ms=0)
    assert hub_cmd("ingest", "--retire", "--client-id", "hub-ingest-1", "--database", pg_url).strip() == (
        "worker hub-ingest-1 retired"
    )
    assert "was not registered" in hub_cmd("ingest", "--retire", "--client-id", "hub-ingest-1", "--database", pg_url)
    assert hub_cli.main(["ingest", "--client-id", "w1", "--mqtt-url", "mqtt://hub:x@127.0.0.1:1"]) == 2
    assert "needs --database postgresql://" in capsys.readouterr().err
    assert hub_cli.main(["ingest", "--client-id", "w1", "--database", pg_url]) == 2
    assert "needs --mqtt-url" in capsys.readouterr().err


def _connected_line(broker: ExternalBroker, client_id: str) -> str:
    """Mosquitto's own log line for ``client_id``'s connection: ``… as ID (p5, c0, k<keep-alive>, u'hub').``"""
    text = (broker.dir / "mosquitto.log").read_text(errors="replace")
    return next((line for line in text.splitlines() if f" as {client_id} (" in line), "")


def test_mqtt_keepalive_flag_and_environment_reach_the_broker(
    hub_dir: Path, broker: ExternalBroker, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A worker started with ``--mqtt-keepalive 3`` connects with keep-alive 3 (Mosquitto logs ``k3``); a
    ``hub serve`` given ``$HUB_MQTT_KEEPALIVE=4`` uses 4 on its ingest and its publisher; without either, 10."""
    broker.start()
    url = broker.hub_url()
    workers = [
        IngestWorker(tmp_path, mqtt_url=url, client_id="w-k3", extra_args=("--mqtt-keepalive", "3")).start(),
        IngestWorker(tmp_path, mqtt_url=url, client_id="w-default").start(),
    ]
    monkeypatch.setenv("HUB_MQTT_KEEPALIVE", "4")  # inherited by the serve process
    serve = HubProcess(tmp_path / "serve", mqtt_url=url, extra_args=("--client-id", "web"))
    try:
        serve.start()
        for client_id, keepalive in (("w-k3", 3), ("w-default", 10), ("web", 4), ("web-config", 4)):
            line = wait_until(partial(_connected_line, broker, client_id), message=f"{client_id} connected")
            assert re.search(rf" as {client_id} \(p5, c[01], k{keepalive}, u'hub'\)", line), line
    finally:
        serve.stop()
        for w in workers:
            w.stop()


@pytest.mark.parametrize(
    ("flag", "env", "line"),
    [
        (("--mqtt-keepalive", "0"), "", "error: --mqtt-keepalive must be 1-3600 seconds, got 0"),
        (("--mqtt-keepalive", "3601"), "", "error: --mqtt-keepalive must be 1-3600 seconds, got 3601"),
        ((), "soon", "error: $HUB_MQTT_KEEPALIVE (--mqtt-keepalive) must be whole seconds, got 'soon'"),
        ((), "0", "error: $HUB_MQTT_KEEPALIVE (--mqtt-keepalive) must be 1-3600 seconds, got 0"),
    ],
)
@pytest.mark.parametrize("command", ["ingest", "serve"])
def test_a_bad_mqtt_keepalive_is_refused_with_one_line(
    pg_url: str, tmp_path: Path, command: str, flag: tuple[str, ...], env: str, line: str
) -> None:
    """``hub ingest`` and ``hub serve`` refuse a keep-alive outside 1-3600 s, or a non-number in the environment,
    before connecting: exit 2 and one line naming the flag."""
    where = ["--client-id", "w1", "--mqtt-url", "mqtt://hub:x@127.0.0.1:1", "--database", pg_url]
    if command == "serve":
        where += ["--data-dir", str(tmp_path / "hub")]
    proc = subprocess.run(
        [sys.executable, "-m", "hub", command, *where, *flag],
        capture_output=True,
        text=True,
        timeout=60,
        env={**child_env(), "HUB_MQTT_KEEPALIVE": env},
        cwd=ROOT,
    )
    assert (proc.returncode, proc.stderr.strip().splitlines()[-1:]) == (2, [line]), proc.stderr
