"""One MQTT client id per hub process on a store (``hub/client_ids.py``), over real processes: a second ``hub
serve`` or ``hub ingest`` with an id in use exits with one line; once the first stops, the id is free again."""

from __future__ import annotations

import socket
import subprocess
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from hub.client_ids import client_lease, holder_place
from hub.clock import wall_ms
from tests.harness import ExternalBroker, HubProcess, IngestWorker, hub_store, wait_until

LEASE_S = 2.0


@pytest.fixture
def broker(tmp_path: Path, database: str | None) -> Iterator[ExternalBroker]:
    """A Mosquitto of the hub in ``tmp_path / "hub"`` (on the test's engine: ``database``), started."""
    (tmp_path / "hub").mkdir()
    b = ExternalBroker(tmp_path / "hub").start()
    yield b
    b.stop()


def refusal(proc: subprocess.Popen[bytes] | None, log: Path) -> str:
    """The last line of a process that must have refused to start (exit 2)."""
    assert proc is not None
    assert proc.wait(60) == 2, log.read_text(errors="replace")
    return log.read_text(errors="replace").strip().splitlines()[-1]


def holder_pid(data_dir: Path, client_id: str) -> int | None:
    with hub_store(data_dir) as store:
        holder = store.leases.holder(client_lease(client_id), now_ms=wall_ms())
    return None if holder is None else holder_place(holder)[1]


def in_use(client_id: str, pid: int) -> str:
    return (
        f"error: --client-id {client_id} is in use by another hub process on this store (host"
        f" {socket.gethostname()}, pid {pid}): give each hub serve and hub ingest process its own --client-id (one"
        " that was killed frees its id within --lease-s)"
    )


@pytest.mark.both_engines
@pytest.mark.parametrize("client_id", ["x", None])  # None: both use the default, hub-ingest-1
def test_a_second_serve_with_a_client_id_in_use_is_refused_until_the_first_stops(
    broker: ExternalBroker, tmp_path: Path, client_id: str | None
) -> None:
    """Two ``hub serve`` on one store with one client id (given, or both the default): the second exits 2 naming
    the id, the first's host and pid and the flag; after the first stops (SIGTERM) the second starts and holds it."""
    data = tmp_path / "hub"
    flags = ("--client-id", client_id) if client_id else ()
    a = HubProcess(data, mqtt_url=broker.hub_url(), log_name="a", extra_args=flags)
    b = HubProcess(data, mqtt_url=broker.hub_url(), log_name="b", extra_args=flags)
    try:
        a.start()
        assert a.proc is not None
        b.start(wait=False)
        assert refusal(b.proc, b.log_path) == in_use(client_id or "hub-ingest-1", a.proc.pid)
        assert "connected" not in b.log_tail(), "refused before connecting to the broker"
        a.stop()
        assert holder_pid(data, client_id or "hub-ingest-1") is None, "an orderly stop releases the id"
        b.start()
        assert b.proc is not None and holder_pid(data, client_id or "hub-ingest-1") == b.proc.pid
        leads = httpx.get(b.url + "/healthz", timeout=5).json()["leads"]
        assert not [n for n in leads if n.startswith("mqtt-client:")], "an identity, not leader work"
    finally:
        a.stop()
        b.stop()


@pytest.mark.both_engines
def test_a_killed_serve_frees_its_client_id_on_this_host_at_once_and_elsewhere_after_the_lease(
    broker: ExternalBroker, tmp_path: Path
) -> None:
    """A SIGKILLed ``hub serve`` on this host does not block its restart (its pid is gone); an id held from another
    host is refused until that holder's lease runs out (``--lease-s``), then taken."""
    data = tmp_path / "hub"
    args = ("--client-id", "x", "--lease-s", str(LEASE_S))
    a = HubProcess(data, mqtt_url=broker.hub_url(), log_name="a", extra_args=args)
    try:
        a.start()
        a.kill()
        a.start()  # as systemd's Restart= would, at once
        assert a.proc is not None and holder_pid(data, "x") == a.proc.pid
        a.stop()
        with hub_store(data) as store:  # a live process on another machine holds it, for LEASE_S
            assert store.leases.take(client_lease("x"), "far-host:4242:abc", now_ms=wall_ms(), ttl_ms=2000)
        a.start(wait=False)
        assert refusal(a.proc, a.log_path) == in_use("x", 4242).replace(socket.gethostname(), "far-host")
        wait_until(lambda: holder_pid(data, "x") is None, timeout=LEASE_S + 5, message="the far lease running out")
        a.start()
        assert a.proc is not None and holder_pid(data, "x") == a.proc.pid
    finally:
        a.stop()


@pytest.mark.parametrize("engine", ["postgresql"], indirect=True)  # workers need a store they can share
def test_a_second_ingest_worker_with_a_client_id_in_use_is_refused_until_the_first_stops(
    broker: ExternalBroker, tmp_path: Path, engine: str
) -> None:
    """Two ``hub ingest`` with one ``--client-id``: the second exits 2 with the line and never connects; after the
    first stops (SIGTERM) the same id starts and connects; a ``hub serve`` cannot take a worker's id either."""
    data = tmp_path / "hub"
    first = IngestWorker(tmp_path, mqtt_url=broker.hub_url(), client_id="w1", log_name="first").start()
    second = IngestWorker(tmp_path, mqtt_url=broker.hub_url(), client_id="w1", log_name="second")
    serve = HubProcess(data, mqtt_url=broker.hub_url(), log_name="serve", extra_args=("--client-id", "w1"))
    try:
        wait_until(first.connections, timeout=30, message="the first worker connected")
        assert first.proc is not None
        second.start()
        assert refusal(second.proc, second.log_path) == in_use("w1", first.proc.pid)
        assert second.connections() == 0
        serve.start(wait=False)
        assert refusal(serve.proc, serve.log_path) == in_use("w1", first.proc.pid)
        first.stop()
        assert first.proc.returncode == 0
        second.start()
        wait_until(second.connections, timeout=30, message="the second worker connected under w1")
        assert second.proc is not None and holder_pid(data, "w1") == second.proc.pid
    finally:
        serve.stop()
        first.stop()
        second.stop()
