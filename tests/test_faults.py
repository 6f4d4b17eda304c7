"""Fault injection over real processes. Each test asserts 0 ratings lost and 0 counted twice."""

from __future__ import annotations

import os
import shutil
import signal
import sqlite3
import tomllib
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest

from feedback import protocol as p
from tests.harness import (
    ExternalBroker,
    HubProcess,
    KioskRun,
    hub_store,
    kiosk_status,
    provision,
    rolled_up,
    stored,
    wait_until,
)
from tests.mqtt_client import RawClient


def assert_counted_exactly_once(hub_dir: Path, kiosks: dict[str, Path], tmp_path: Path) -> None:
    """Every rating each kiosk recorded is at the hub once, in ratings and in the rollups; outboxes drained."""
    expected = 0
    for kid, cfg in kiosks.items():
        st = kiosk_status(cfg, tmp_path / f"{kid}-data")
        assert st["pending"] == 0, f"{kid} still has {st['pending']} pending"
        expected += st["last_seq"]
        held = stored(hub_dir, kiosk_id=kid)
        with hub_store(hub_dir) as store:
            top = store.ops.max_seq(kid)
        assert (held, top) == (st["last_seq"], st["last_seq"]), f"{kid}: hub holds {held} (max seq {top})"
    assert stored(hub_dir) == expected
    assert rolled_up(hub_dir) == expected


def restart_and_check(hub: HubProcess, run: KioskRun, kiosks: dict[str, Path], tmp_path: Path) -> None:
    """Bring the hub back, let the kiosk finish, and check nothing was lost or counted twice."""
    hub.start()
    try:
        assert run.wait(150) == 0
        assert_counted_exactly_once(hub.data_dir, kiosks, tmp_path)
    finally:
        hub.stop()


def hub_ratings(hub_dir: Path) -> int:
    try:
        return stored(hub_dir)
    except sqlite3.OperationalError:
        return 0


@pytest.fixture
def external(tmp_path: Path) -> Iterator[ExternalBroker]:
    broker = ExternalBroker(tmp_path / "hub")
    yield broker
    broker.stop()


def test_broker_sigkill_mid_stream_loses_nothing(hub: HubProcess, tmp_path: Path) -> None:
    """SIGKILL the managed Mosquitto while two kiosks stream; the hub restarts it and every tap counts once."""
    kiosks = provision(
        hub.data_dir,
        location="sto",
        kiosks=["a", "b"],
        broker_url=hub.broker_url,
        out_dir=tmp_path,
        uplink="batch_size = 10\nreplay_jitter_s = 0.2",
    )
    hub.start()
    runs = [
        KioskRun(cfg, tmp_path / f"{kid}-data", "--taps", "1200", "--rate", "300", "--wait-acked", "90")
        for kid, cfg in kiosks.items()
    ]
    wait_until(lambda: hub_ratings(hub.data_dir) >= 300, timeout=30, message="ratings flowing")
    first_pid = hub.broker_pid()
    os.kill(first_pid, signal.SIGKILL)
    wait_until(lambda: hub.broker_pid() != first_pid, timeout=20, message="broker restarted by the hub")
    assert [r.wait(150) for r in runs] == [0, 0]
    assert_counted_exactly_once(hub.data_dir, kiosks, tmp_path)


def test_hub_sigkill_mid_batch_and_restart_loses_nothing(
    tmp_path: Path, external: ExternalBroker, hubs: Callable[..., HubProcess]
) -> None:
    """SIGKILL the hub (external broker keeps its session) while a kiosk replays a backlog; restart; all count once."""
    hub_dir = tmp_path / "hub"
    kiosks = provision(
        hub_dir,
        location="sto",
        kiosks=["a"],
        broker_url=external.kiosk_url,
        out_dir=tmp_path,
        uplink="replay_jitter_s = 0.2\nack_timeout_s = 3",
    )
    external.start()
    hub = hubs(hub_dir, mqtt_url=external.hub_url())
    cfg = kiosks["a"]
    assert KioskRun(cfg, tmp_path / "a-data", "--taps", "20000", "--offline").wait() == 0
    hub.start()
    run = KioskRun(cfg, tmp_path / "a-data", "--taps", "10", "--wait-acked", "120")
    wait_until(lambda: hub_ratings(hub_dir) >= 2000, timeout=60, message="backlog draining")
    hub.kill()
    assert hub_ratings(hub_dir) < 20010, "the kill should land mid-drain"
    restart_and_check(hub, run, kiosks, tmp_path)


def test_kiosk_sigkill_mid_run_and_rerun_loses_nothing(hub: HubProcess, tmp_path: Path) -> None:
    """SIGKILL a kiosk while it taps and sends; a rerun sends what was recorded before the kill."""
    kiosks = provision(hub.data_dir, location="sto", kiosks=["a"], broker_url=hub.broker_url, out_dir=tmp_path)
    hub.start()
    cfg, data = kiosks["a"], tmp_path / "a-data"
    run = KioskRun(cfg, data, "--taps", "5000", "--rate", "1000")
    wait_until(lambda: kiosk_status(cfg, data)["last_seq"] >= 500, timeout=30, message="kiosk tapping")
    run.kill()
    recorded = kiosk_status(cfg, data)["last_seq"]
    assert 500 <= recorded < 5000
    assert KioskRun(cfg, data, "--taps", "5", "--wait-acked", "60").wait(90) == 0
    assert kiosk_status(cfg, data)["last_seq"] == recorded + 5
    assert_counted_exactly_once(hub.data_dir, kiosks, tmp_path)


def test_hub_offline_longer_than_a_broker_queue_then_back(
    tmp_path: Path, external: ExternalBroker, hubs: Callable[..., HubProcess]
) -> None:
    """With the hub down, a kiosk sends >1000 single-rating messages; when the hub returns all count once."""
    hub_dir = tmp_path / "hub"
    kiosks = provision(
        hub_dir,
        location="sto",
        kiosks=["a"],
        broker_url=external.kiosk_url,
        out_dir=tmp_path,
        uplink="batch_size = 1\nwindow_batches = 1000\nreplay_jitter_s = 0.2",
    )
    external.start()
    hub = hubs(hub_dir, mqtt_url=external.hub_url())
    hub.start()  # the hub's persistent session and subscription now exist at the broker
    hub.kill()  # no orderly offline status: kiosks learn of it only from the broker's will, later
    cfg = kiosks["a"]
    run = KioskRun(cfg, tmp_path / "a-data", "--taps", "1500", "--rate", "500", "--wait-acked", "120")
    wait_until(
        lambda: kiosk_status(cfg, tmp_path / "a-data")["last_seq"] >= 1500,
        timeout=60,
        message="1500 taps recorded while the hub is down",
    )
    restart_and_check(hub, run, kiosks, tmp_path)


def test_same_batch_replayed_three_times_counts_once(hub: HubProcess, tmp_path: Path) -> None:
    """A kiosk that sends the same batch three times is counted once and acknowledged each time."""
    kiosks = provision(hub.data_dir, location="sto", kiosks=["a"], broker_url=hub.broker_url, out_dir=tmp_path)
    hub.start()
    cfg, data = kiosks["a"], tmp_path / "a-data"
    assert KioskRun(cfg, data, "--taps", "50", "--offline").wait() == 0
    from kiosk.outbox import Outbox

    batch = Outbox(data / "outbox.db", kiosk_id="a").sendable(after_seq=0, limit=50)
    raw = RawClient.for_kiosk(cfg, hub.mqtt_port)
    try:
        assert not raw.connect().is_failure
        assert raw.subscribe(p.kiosk_topic("a", p.ACK))[0].value == 1
        payload = p.encode_ratings("a", batch)
        for _ in range(3):
            assert not raw.publish(p.kiosk_topic("a", p.RATINGS), payload).is_failure
        acks = [p.decode_ack(bytes(raw.messages.get(timeout=20).payload)) for _ in range(3)]
    finally:
        raw.close()
    assert [a.acked_through for a in acks] == [50, 50, 50]
    assert stored(hub.data_dir) == 50
    assert rolled_up(hub.data_dir) == 50


def test_hub_data_loss_is_refilled_from_the_kiosks_history(hub: HubProcess, tmp_path: Path) -> None:
    """A hub restored from an old backup asks kiosks to resend; their kept history fills the gap exactly."""
    kiosks = provision(hub.data_dir, location="sto", kiosks=["a", "b"], broker_url=hub.broker_url, out_dir=tmp_path)
    hub.start()
    for kid, cfg in kiosks.items():
        assert KioskRun(cfg, tmp_path / f"{kid}-data", "--taps", "100", "--wait-acked", "60").wait() == 0
    backup = tmp_path / "backup.db"
    src = sqlite3.connect(hub.data_dir / "hub.db")
    dst = sqlite3.connect(backup)
    src.backup(dst)
    src.close()
    dst.close()
    for kid, cfg in kiosks.items():
        assert KioskRun(cfg, tmp_path / f"{kid}-data", "--taps", "300", "--wait-acked", "60").wait() == 0
    hub.stop()
    for suffix in ("", "-wal", "-shm"):
        (hub.data_dir / f"hub.db{suffix}").unlink(missing_ok=True)
    shutil.copy(backup, hub.data_dir / "hub.db")
    assert hub_ratings(hub.data_dir) == 200
    hub.start()
    # kiosk a taps nothing new: its birth status reveals the loss; kiosk b taps once more: a gap reveals it
    ra = KioskRun(kiosks["a"], tmp_path / "a-data", "--taps", "0", "--wait-acked", "60")
    rb = KioskRun(kiosks["b"], tmp_path / "b-data", "--taps", "1", "--wait-acked", "60")
    assert (ra.wait(90), rb.wait(90)) == (0, 0)
    assert_counted_exactly_once(hub.data_dir, kiosks, tmp_path)


def test_reflashed_kiosk_with_a_fresh_outbox_does_not_reuse_seqs(hub: HubProcess, tmp_path: Path) -> None:
    """A kiosk whose SD card was wiped starts a new outbox under its old id: its taps are renumbered after
    what the hub holds instead of being taken for duplicates."""
    kiosks = provision(hub.data_dir, location="sto", kiosks=["a"], broker_url=hub.broker_url, out_dir=tmp_path)
    hub.start()
    cfg = kiosks["a"]
    assert KioskRun(cfg, tmp_path / "a-data", "--taps", "50", "--wait-acked", "60").wait() == 0
    shutil.rmtree(tmp_path / "a-data")  # the re-flash
    assert KioskRun(cfg, tmp_path / "a-data", "--taps", "30", "--offline").wait() == 0
    assert kiosk_status(cfg, tmp_path / "a-data")["last_seq"] == 30
    assert KioskRun(cfg, tmp_path / "a-data", "--taps", "5", "--wait-acked", "60").wait() == 0
    assert kiosk_status(cfg, tmp_path / "a-data")["last_seq"] == 85
    assert stored(hub.data_dir) == 85
    with hub_store(hub.data_dir) as store:
        assert store.ops.max_seq() == 85
        assert store.ops.rejected_count() == 0


def test_a_reused_seq_with_another_tap_is_kept_as_a_conflict(hub: HubProcess, tmp_path: Path) -> None:
    """Two different ratings under one (kiosk, seq): the second is kept and counted as seq_conflict, not dropped."""
    kiosks = provision(hub.data_dir, location="sto", kiosks=["a"], broker_url=hub.broker_url, out_dir=tmp_path)
    hub.start()
    cfg, data = kiosks["a"], tmp_path / "a-data"
    assert KioskRun(cfg, data, "--taps", "3", "--offline").wait() == 0
    from kiosk.outbox import Outbox

    first = Outbox(data / "outbox.db", kiosk_id="a").sendable(after_seq=0, limit=3)
    shutil.rmtree(data)
    assert KioskRun(cfg, data, "--taps", "3", "--offline").wait() == 0
    second = Outbox(data / "outbox.db", kiosk_id="a").sendable(after_seq=0, limit=3)
    raw = RawClient.for_kiosk(cfg, hub.mqtt_port)
    try:
        assert not raw.connect().is_failure
        raw.subscribe(p.kiosk_topic("a", p.ACK))
        for batch in (first, first, second):
            assert not raw.publish(p.kiosk_topic("a", p.RATINGS), p.encode_ratings("a", batch)).is_failure
        acks = [p.decode_ack(bytes(raw.messages.get(timeout=20).payload)) for _ in range(3)]
    finally:
        raw.close()
    assert [dict(a.rejected) for a in acks] == [{}, {}, {1: "seq_conflict", 2: "seq_conflict", 3: "seq_conflict"}]
    assert stored(hub.data_dir) == 3
    with hub_store(hub.data_dir) as store:
        assert store.ops.rejected_count(reason="seq_conflict") == 3
    listed = [r for r in hub.api("/api/rejections")["recent"] if r["reason"] == "seq_conflict"]
    assert sorted(r["seq"] for r in listed) == [1, 2, 3], "/api/rejections names the seq of every refused rating"


def backlog_of_3000(hub: HubProcess, tmp_path: Path) -> dict[str, Path]:
    """Kiosk ``a`` (1 s ack timeout) whose birth the started hub has answered, with 3,000 taps queued offline."""
    kiosks = provision(
        hub.data_dir,
        location="sto",
        kiosks=["a"],
        broker_url=hub.broker_url,
        out_dir=tmp_path,
        uplink="replay_jitter_s = 0.1\nack_timeout_s = 1",
    )
    cfg, data = kiosks["a"], tmp_path / "a-data"
    hub.start()
    assert KioskRun(cfg, data, "--taps", "1", "--wait-acked", "30").wait() == 0  # the hub has answered its birth
    assert KioskRun(cfg, data, "--taps", "3000", "--offline").wait() == 0
    return kiosks


def duplicates_received(hub: HubProcess) -> float:
    metrics = httpx.get(hub.url + "/metrics", timeout=10).text
    found = [line for line in metrics.splitlines() if line.startswith("hub_ratings_duplicate_total")]
    return float(found[0].split()[-1]) if found else 0.0


def test_a_hub_slower_than_the_ack_timeout_gets_no_window_again(hub: HubProcess, tmp_path: Path) -> None:
    """A hub stalled (SIGSTOP) for several ack timeouts while a kiosk's backlog waits at the broker is asked what it
    holds instead of being sent the window again: no duplicate reaches it (the fleet-reconnect resend storm), and
    every tap counts once."""
    kiosks = backlog_of_3000(hub, tmp_path)
    cfg, data = kiosks["a"], tmp_path / "a-data"
    assert hub.proc is not None
    os.kill(hub.proc.pid, signal.SIGSTOP)
    try:
        run = KioskRun(cfg, data, "--taps", "1", "--wait-acked", "90", "--log-level", "info")
        log = run.log_path
        wait_until(lambda: log.exists() and "asking the hub" in log.read_text(), timeout=30, message="ack timeout")
        wait_until(lambda: log.read_text().count("asking the hub") >= 3, timeout=30, message="three timeouts")
    finally:
        os.kill(hub.proc.pid, signal.SIGCONT)
    assert run.wait(120) == 0
    assert_counted_exactly_once(hub.data_dir, kiosks, tmp_path)
    assert duplicates_received(hub) == 0


def test_a_kiosk_reconnecting_with_batches_in_flight_asks_instead_of_resending_its_window(
    hub: HubProcess, tmp_path: Path
) -> None:
    """A kiosk's 3,000 ratings wait at the broker for a stalled hub (SIGSTOP) when the kiosk loses its connection
    (another client takes over its session): after reconnecting it asks the hub what it holds rather than sending
    the window again, so no duplicate reaches the hub, and every tap counts once."""
    kiosks = backlog_of_3000(hub, tmp_path)
    cfg, data = kiosks["a"], tmp_path / "a-data"
    assert hub.proc is not None
    os.kill(hub.proc.pid, signal.SIGSTOP)  # for less than the broker's 15 s keep-alive grace: no hub will
    try:
        run = KioskRun(cfg, data, "--taps", "1", "--wait-acked", "90", "--log-level", "info")
        log = run.log_path
        wait_until(lambda: log.exists() and "asking the hub" in log.read_text(), timeout=10, message="window sent")
        doc = broker_login(cfg)
        thief = RawClient(hub.mqtt_port, username=doc["username"], password=doc["password"], client_id="kiosk-a")
        assert thief.connect() == 0  # the broker ends the kiosk's session: its link drops
        thief.close()
        wait_until(lambda: log.read_text().count("connected to") >= 2, timeout=10, message="kiosk reconnected")
        # still stalled a while after the reconnect (the kiosk asks again after its timeout): time enough for a
        # kiosk that resent its window to have done so
        wait_until(
            lambda: "asking the hub" in log.read_text().rsplit("connected to", 1)[1], timeout=10, message="asked again"
        )
    finally:
        os.kill(hub.proc.pid, signal.SIGCONT)
    assert run.wait(120) == 0
    assert "disconnected" in log.read_text()
    assert_counted_exactly_once(hub.data_dir, kiosks, tmp_path)
    assert duplicates_received(hub) == 0


def broker_login(config: Path) -> dict[str, str]:
    """The kiosk's broker credentials from its config file."""
    broker = tomllib.loads(config.read_text())["broker"]
    return {"username": broker["username"], "password": broker["password"]}
