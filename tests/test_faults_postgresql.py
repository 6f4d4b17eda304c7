"""Fault injection on the PostgreSQL store, over real processes: 0 ratings lost and 0 counted twice."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.harness import HubProcess, KioskRun, provision, stored, wait_until
from tests.postgres import PostgresServer
from tests.test_faults import assert_counted_exactly_once


@pytest.fixture
def own_server() -> Iterator[PostgresServer]:
    """A PostgreSQL of this test's own, which it stops and starts."""
    server = PostgresServer().start()
    yield server
    server.close()


@pytest.mark.parametrize("mode", ["fast", "immediate"])
def test_postgresql_stopped_and_started_mid_stream_loses_nothing(
    own_server: PostgresServer, mode: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The database stops (``pg_ctl -m fast|immediate``) while two kiosks stream; the hub acknowledges nothing
    meanwhile, retries, and once it is back every tap counts once."""
    monkeypatch.setenv("HUB_DATABASE", own_server.new_database())
    hub = HubProcess(tmp_path / "hub")
    kiosks = provision(
        hub.data_dir, location="sto", kiosks=["a", "b"], broker_url=hub.broker_url, out_dir=tmp_path,
        uplink="batch_size = 10\nreplay_jitter_s = 0.2\nack_timeout_s = 3",
    )  # fmt: skip
    hub.start()
    try:
        runs = [
            KioskRun(cfg, tmp_path / f"{kid}-data", "--taps", "1500", "--rate", "300", "--wait-acked", "150")
            for kid, cfg in kiosks.items()
        ]
        wait_until(lambda: stored(hub.data_dir) > 300, timeout=60, message="ratings flowing")
        own_server.stop_server(mode)
        wait_until(
            lambda: "database busy or failing" in hub.log_tail(200), timeout=30, message="the hub noticing the outage"
        )
        own_server.start_server()
        assert [r.wait(180) for r in runs] == [0, 0]
        assert_counted_exactly_once(hub.data_dir, kiosks, tmp_path)
    finally:
        hub.stop()
