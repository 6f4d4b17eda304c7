"""Fault injection on the PostgreSQL store, over real processes: 0 ratings lost and 0 counted twice."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import psycopg
import pytest

from tests.harness import HubProcess, KioskRun, kiosk_status, provision, stored, wait_until
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
    own_server: PostgresServer,
    mode: str,
    tmp_path: Path,
    hubs: Callable[..., HubProcess],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The database stops (``pg_ctl -m fast|immediate``) while two kiosks stream; the hub acknowledges nothing
    meanwhile, retries, and once it is back every tap counts once."""
    monkeypatch.setenv("HUB_DATABASE", own_server.new_database())  # the hub CLI's and hub processes' --database
    hub = hubs(tmp_path / "hub")
    kiosks = provision(
        hub.data_dir, location="sto", kiosks=["a", "b"], broker_url=hub.broker_url, out_dir=tmp_path,
        uplink="batch_size = 10\nreplay_jitter_s = 0.2\nack_timeout_s = 3",
    )  # fmt: skip
    hub.start()
    runs = [
        KioskRun(cfg, tmp_path / f"{kid}-data", "--taps", "1500", "--rate", "300", "--wait-acked", "150")
        for kid, cfg in kiosks.items()
    ]
    try:
        wait_until(lambda: stored(hub.data_dir) > 300, timeout=60, message="ratings flowing")
        own_server.stop_server(mode)
        wait_until(
            lambda: "database busy or failing" in hub.log_tail(200), timeout=30, message="the hub noticing the outage"
        )
        own_server.start_server()
        assert [r.wait(180) for r in runs] == [0, 0]
    finally:
        for r in runs:
            r.kill()
    assert_counted_exactly_once(hub.data_dir, kiosks, tmp_path)


def test_a_held_lock_makes_the_hub_back_off_ack_nothing_uncommitted_and_catch_up(
    pg_url: str, tmp_path: Path, hubs: Callable[..., HubProcess], monkeypatch: pytest.MonkeyPatch
) -> None:
    """While an operator holds the rollups locked, ingest transactions time out and are retried with back-off; no
    kiosk is acknowledged beyond what is committed; after the release every tap counts once."""
    monkeypatch.setenv("HUB_DATABASE", pg_url)
    hub = hubs(tmp_path / "hub")
    kiosks = provision(
        hub.data_dir, location="sto", kiosks=["a", "b"], broker_url=hub.broker_url, out_dir=tmp_path,
        uplink="batch_size = 10\nreplay_jitter_s = 0.2",
    )  # fmt: skip
    hub.start()
    runs = [
        KioskRun(cfg, tmp_path / f"{kid}-data", "--taps", "1500", "--rate", "300", "--wait-acked", "150")
        for kid, cfg in kiosks.items()
    ]
    try:
        wait_until(lambda: stored(hub.data_dir) > 200, timeout=60, message="ratings flowing")
        with psycopg.connect(pg_url) as lock_holder:  # one transaction, until the block ends
            lock_holder.execute("LOCK TABLE rollup_hourly IN EXCLUSIVE MODE")  # writes wait, reads go on
            held_from = hub.log_tail(400).count("lock timeout")
            ahead: list[str] = []  # wait_until takes an exception in its predicate for "not yet": collect instead

            def acked_never_ahead_and_backed_off_twice() -> bool:
                for kid, cfg in kiosks.items():
                    acked = kiosk_status(cfg, tmp_path / f"{kid}-data")["acked"]
                    committed = stored(hub.data_dir, kiosk_id=kid)
                    if acked > committed:
                        ahead.append(f"{kid} acknowledged {acked} with {committed} committed")
                return hub.log_tail(400).count("lock timeout") >= held_from + 2

            wait_until(acked_never_ahead_and_backed_off_twice, timeout=60, interval=0.5, message="two lock timeouts")
            assert ahead == []
        assert [r.wait(180) for r in runs] == [0, 0]
    finally:
        for r in runs:
            r.kill()
    assert_counted_exactly_once(hub.data_dir, kiosks, tmp_path)
