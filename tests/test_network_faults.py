"""Real network faults: kiosk, broker, ingest worker and PostgreSQL each on a test host of its own
(``tests/netns.py``), a link between two of them cut silently (no RST, no ICMP) for longer than the keep-alive
that should notice it, then restored: every tap counts once, in ratings and rollups, and nothing is acknowledged
that the database did not commit. Needs root, for ``ip netns``.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from hub.store.postgresql.connection import CONNECT_TIMEOUT_S, DEAD_LINK_S
from tests.harness import (
    ExternalBroker,
    IngestWorker,
    KioskRun,
    kiosk_status,
    oracle_count,
    provision,
    stored,
    wait_until,
)
from tests.netns import TestHost, TestNetwork
from tests.postgres import PostgresServer
from tests.test_faults import assert_counted_exactly_once

KEEPALIVE_S = 2  # the kiosks' MQTT keep-alive
UPLINK = f"keepalive_s = {KEEPALIVE_S}\nbatch_size = 10\nreplay_jitter_s = 0.2\nack_timeout_s = 3"
WORKER_KEEPALIVE_S = 10  # hub/mqtt/ingest.py's
TAPS = 400
WORKER_SESSIONS = "SELECT count(*) FROM pg_stat_activity WHERE client_addr = ?::inet"
SIMULATE = ("--taps", str(TAPS), "--rate", "40", "--wait-acked", "100")  # 10 s of taps per kiosk


@dataclass
class Site:
    """One test's hosts, store, broker, worker and kiosks, up and streaming."""

    net: TestNetwork
    kiosk_host: TestHost
    broker_host: TestHost
    worker_host: TestHost
    database_host: TestHost
    hub_dir: Path
    broker: ExternalBroker
    worker: IngestWorker
    kiosks: dict[str, Path]
    runs: list[KioskRun]
    tmp_path: Path

    def kiosk_log(self, kid: str) -> str:
        return (self.tmp_path / f"{kid}-data-simulate.log").read_text(errors="replace")

    def wait_done(self) -> None:
        assert [r.wait(120) for r in self.runs] == [0] * len(self.runs), "a kiosk did not get every tap acked"
        assert_counted_exactly_once(self.hub_dir, self.kiosks, self.tmp_path)


@pytest.fixture(scope="module")
def network() -> Iterator[TestNetwork]:
    net = TestNetwork()
    try:
        for role in ("kiosk", "broker", "worker", "database"):
            net.add_host(role)
        yield net
    finally:
        net.close()


@pytest.fixture(scope="module")
def database_server(network: TestNetwork) -> Iterator[PostgresServer]:
    host = network.hosts["database"]
    server = PostgresServer(host=host.address, launcher=host.launcher).start()
    yield server
    server.close()


@pytest.fixture
def site(
    network: TestNetwork, database_server: PostgresServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Site]:
    """Two kiosks streaming ``TAPS`` taps each through a broker to one worker into PostgreSQL, all on their hosts."""
    monkeypatch.setenv("HUB_DATABASE", database_server.new_database())  # the CLI's and the worker's store
    hub_dir = tmp_path / "hub"
    hub_dir.mkdir()
    h = network.hosts
    broker = ExternalBroker(hub_dir, host=h["broker"].address, launcher=h["broker"].launcher)
    kiosks = provision(
        hub_dir, location="sto", kiosks=["a", "b"], broker_url=broker.kiosk_url, out_dir=tmp_path, uplink=UPLINK
    )
    broker.start()
    worker = IngestWorker(tmp_path, mqtt_url=broker.hub_url(), client_id="w1", launcher=h["worker"].launcher)
    runs: list[KioskRun] = []
    try:
        worker.start()
        wait_until(worker.connections, timeout=30, message="the worker connected")
        runs += [
            KioskRun(cfg, tmp_path / f"{kid}-data", *SIMULATE, launcher=h["kiosk"].launcher)
            for kid, cfg in kiosks.items()
        ]
        wait_until(lambda: stored(hub_dir) > 60, timeout=30, message="ratings flowing")
        yield Site(
            network, h["kiosk"], h["broker"], h["worker"], h["database"], hub_dir, broker, worker, kiosks, runs,
            tmp_path,
        )  # fmt: skip
    finally:
        for r in runs:
            r.kill()
        worker.stop()
        broker.stop()


def test_kiosk_cut_off_from_the_broker_notices_reconnects_and_loses_nothing(site: Site) -> None:
    """The kiosks' link to the broker goes silent for 4x their keep-alive: they notice, reconnect once it is back,
    and every tap arrives once."""
    seen_before = {kid: site.kiosk_log(kid).count("disconnected") for kid in site.kiosks}
    site.net.cut(site.kiosk_host, site.broker_host)
    cut_at = time.monotonic()
    noticed: dict[str, float] = {}

    def every_kiosk_noticed() -> bool:
        for kid in site.kiosks:
            if kid not in noticed and site.kiosk_log(kid).count("disconnected") > seen_before[kid]:
                noticed[kid] = time.monotonic() - cut_at
        return len(noticed) == len(site.kiosks)

    try:
        wait_until(every_kiosk_noticed, timeout=8 * KEEPALIVE_S, message="the kiosks noticing the dead link")
        held = stored(site.hub_dir)
        wait_until(lambda: time.monotonic() - cut_at > 4 * KEEPALIVE_S, timeout=10 * KEEPALIVE_S, message="a cut")
        assert stored(site.hub_dir) == held, "taps crossed a cut link"
    finally:
        site.net.restore(site.kiosk_host, site.broker_host)
    # measured, reported (the issue wants <= 1.5x the keep-alive; the dead-link check is kiosk/uplink.py's)
    detected = {kid: round(s, 1) for kid, s in noticed.items()}
    print(f"\nnetwork-faults: kiosk dead-link detection {detected} s, keep-alive {KEEPALIVE_S} s")
    site.wait_done()


def test_worker_cut_off_from_the_broker_reconnects_and_the_kiosks_get_their_acks(site: Site) -> None:
    """The worker's link to the broker goes silent past its keep-alive: it notices, reconnects to its session once
    the link is back, the kiosks get their acks and every tap arrives once."""
    acked = {kid: kiosk_status(cfg, site.tmp_path / f"{kid}-data")["acked"] for kid, cfg in site.kiosks.items()}
    log_path = site.worker.log_path
    seen_before = log_path.read_text(errors="replace").count("disconnected from broker")
    site.net.cut(site.worker_host, site.broker_host)
    cut_at = time.monotonic()
    try:
        wait_until(
            lambda: log_path.read_text(errors="replace").count("disconnected from broker") > seen_before,
            timeout=3 * WORKER_KEEPALIVE_S,
            message="the worker noticing the dead link",
        )
        noticed_s = time.monotonic() - cut_at
        held = stored(site.hub_dir)
    finally:
        site.net.restore(site.worker_host, site.broker_host)
    print(f"\nnetwork-faults: worker dead-link detection {noticed_s:.1f} s, keep-alive {WORKER_KEEPALIVE_S} s")
    wait_until(lambda: site.worker.connections() >= 2, timeout=60, message="the worker reconnecting")
    wait_until(lambda: stored(site.hub_dir) > held, timeout=30, message="taps stored again")
    for kid, cfg in site.kiosks.items():
        wait_until(
            lambda: kiosk_status(cfg, site.tmp_path / f"{kid}-data")["acked"] > acked[kid],  # noqa: B023 - waited here
            timeout=30,
            message=f"kiosk {kid} acked after the restore",
        )
    site.wait_done()


def test_worker_cut_off_from_the_database_acks_nothing_uncommitted_and_catches_up(site: Site) -> None:
    """The worker's link to PostgreSQL goes silent mid-stream: the worker notices (it does not hang on the dead
    connection), acknowledges nothing the database did not commit, and catches up once the link is back."""
    log_path = site.worker.log_path
    failures_before = log_path.read_text(errors="replace").count("database busy or failing")
    ahead: list[str] = []  # kept here: wait_until takes an exception in its predicate for "not yet"

    def check_acked_never_ahead() -> None:
        for kid, cfg in site.kiosks.items():
            acked = kiosk_status(cfg, site.tmp_path / f"{kid}-data")["acked"]  # read first: commits only grow
            committed = stored(site.hub_dir, kiosk_id=kid)
            if acked > committed:
                ahead.append(f"{kid} acked {acked} with {committed} committed")

    def worker_failed(times: int) -> bool:
        check_acked_never_ahead()
        return log_path.read_text(errors="replace").count("database busy or failing") >= failures_before + times

    site.net.cut(site.worker_host, site.database_host)
    cut_at = time.monotonic()
    try:
        # the statement in flight fails (DEAD_LINK_S), then a reconnect (CONNECT_TIMEOUT_S)
        wait_until(lambda: worker_failed(1), timeout=3 * DEAD_LINK_S, interval=0.2, message="the worker noticing")
        noticed_s = time.monotonic() - cut_at
        wait_until(
            lambda: worker_failed(2), timeout=3 * CONNECT_TIMEOUT_S, interval=0.2, message="a reconnect timing out"
        )
        wait_until(
            lambda: oracle_count(site.hub_dir, WORKER_SESSIONS, site.worker_host.address) == 0,
            timeout=3 * DEAD_LINK_S,
            message="the server ending the cut-off worker's sessions (and their locks)",
        )
        held = stored(site.hub_dir)
    finally:
        site.net.restore(site.worker_host, site.database_host)
    assert not ahead, f"acknowledged beyond what the cut-off database committed: {ahead[:5]}"
    print(f"\nnetwork-faults: worker noticed the dead database link after {noticed_s:.1f} s (bound {DEAD_LINK_S} s)")
    wait_until(lambda: stored(site.hub_dir) > held, timeout=60, message="the worker storing again")
    check_acked_never_ahead()
    site.wait_done()
