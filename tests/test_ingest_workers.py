"""Several ``hub ingest`` workers on one PostgreSQL store and one broker, over real processes."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from hub import cli as hub_cli
from hub.store import open_store
from tests.harness import (
    ExternalBroker,
    IngestWorker,
    KioskRun,
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
