"""A re-flashed kiosk (same id, empty storage) while the old device's last messages are still queued for the hub:
accepted by the broker, not yet stored. Every confirmed tap of both devices is counted once (issue 9)."""

from __future__ import annotations

import json
import os
import shutil
import signal
import uuid
from pathlib import Path

from feedback import protocol as p
from feedback.rating import Rating
from tests.harness import HubProcess, KioskRun, hub_store, kiosk_status, provision, rolled_up, stored, wait_until
from tests.mqtt_client import RawClient

OLD_LAST = 310  # the old device's taps: 1..10 stored by the hub, 11..310 only accepted by the broker


def old_device_sends_its_last_taps(cfg: Path, port: int) -> None:
    """Play the old device: publish seqs 11..310 (three full batches) and wait for each PUBACK."""
    raw = RawClient.for_kiosk(cfg, port)
    try:
        assert not raw.connect().is_failure
        for first in range(11, OLD_LAST + 1, 100):
            batch = [
                Rating("a", seq, str(uuid.uuid4()), seq % 4, 4, "q1", 1_780_000_000_000 + seq, "old-boot", seq)
                for seq in range(first, min(first + 100, OLD_LAST + 1))
            ]
            assert not raw.publish(p.kiosk_topic("a", p.RATINGS), p.encode_ratings("a", batch)).is_failure
    finally:
        raw.close()


def wait_for_fresh_birth_at_the_broker(hub: HubProcess) -> None:
    """Block until the new device's fresh birth has reached the broker (seen by a spy with the hub's login)."""
    secret = json.loads((hub.data_dir / "secrets.json").read_text())["hub_mqtt_password"]
    spy = RawClient(hub.mqtt_port, username="hub", password=secret, client_id="spy-reflash")
    try:
        assert not spy.connect().is_failure
        spy.subscribe(p.kiosk_topic("a", p.STATUS))

        def fresh_birth_seen() -> bool:
            while not spy.messages.empty():
                status = p.decode_status(bytes(spy.messages.get().payload))
                if status.kind == "birth" and status.fresh:
                    return True
            return False

        wait_until(fresh_birth_seen, timeout=30, message="the new device's fresh birth at the broker")
    finally:
        spy.close()


def assert_both_devices_counted_once(hub: HubProcess, cfg: Path, data: Path, new_taps: int) -> None:
    st = kiosk_status(cfg, data)
    assert st["pending"] == 0
    assert st["last_seq"] == OLD_LAST + new_taps, "the new device numbers its taps above everything the hub held"
    assert stored(hub.data_dir, kiosk_id="a") == OLD_LAST + new_taps
    assert rolled_up(hub.data_dir, kiosk_id="a") == OLD_LAST + new_taps
    with hub_store(hub.data_dir) as store:
        assert store.ops.max_seq("a") == OLD_LAST + new_taps
        assert store.ops.rejected_count(reason="seq_conflict") == 0


def test_reflash_while_the_hub_is_paused_loses_no_confirmed_tap(hub: HubProcess, tmp_path: Path) -> None:
    """The hub is stopped (SIGSTOP) while the old device's last 300 taps and the new device's birth queue up at
    the broker; after SIGCONT the birth is answered only after those taps: 0 lost, 0 counted twice."""
    cfg = provision(hub.data_dir, location="sto", kiosks=["a"], broker_url=hub.broker_url, out_dir=tmp_path)["a"]
    hub.start()
    data = tmp_path / "a-data"
    assert KioskRun(cfg, data, "--taps", "10", "--wait-acked", "60").wait() == 0
    assert hub.proc is not None
    os.kill(hub.proc.pid, signal.SIGSTOP)
    try:
        old_device_sends_its_last_taps(cfg, hub.mqtt_port)
        shutil.rmtree(data)  # the re-flash: same id, empty storage
        new = KioskRun(cfg, data, "--taps", "5", "--wait-acked", "120")
        wait_for_fresh_birth_at_the_broker(hub)
    finally:
        os.kill(hub.proc.pid, signal.SIGCONT)
    assert new.wait(150) == 0
    assert_both_devices_counted_once(hub, cfg, data, 5)


def test_reflash_while_the_hub_is_busy_with_another_backlog_loses_no_confirmed_tap(
    hub: HubProcess, tmp_path: Path
) -> None:
    """The hub drains another kiosk's 20,000-tap backlog while the old device's last taps and the new device's
    birth queue behind it: the new device still numbers above all of them, and both kiosks count once."""
    kiosks = provision(hub.data_dir, location="sto", kiosks=["a", "b"], broker_url=hub.broker_url, out_dir=tmp_path)
    cfg, data = kiosks["a"], tmp_path / "a-data"
    hub.start()
    assert KioskRun(cfg, data, "--taps", "10", "--wait-acked", "60").wait() == 0
    assert KioskRun(kiosks["b"], tmp_path / "b-data", "--taps", "20000", "--offline").wait() == 0
    backlog = KioskRun(kiosks["b"], tmp_path / "b-data", "--taps", "0", "--wait-acked", "150")
    wait_until(lambda: stored(hub.data_dir, kiosk_id="b") >= 500, timeout=60, message="b's backlog draining")
    old_device_sends_its_last_taps(cfg, hub.mqtt_port)
    shutil.rmtree(data)
    new = KioskRun(cfg, data, "--taps", "5", "--wait-acked", "150")
    assert (new.wait(180), backlog.wait(180)) == (0, 0)
    assert_both_devices_counted_once(hub, cfg, data, 5)
    assert stored(hub.data_dir, kiosk_id="b") == rolled_up(hub.data_dir, kiosk_id="b") == 20000
