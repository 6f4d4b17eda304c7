"""Pushed updates: the hub tells an open page, by server-sent event, which of its stores just got answers."""

from __future__ import annotations

import json
import threading
from pathlib import Path

import httpx

from tests.dashboard.test_browser import add_user
from tests.harness import HubProcess, KioskRun, hub_cmd, provision, wait_until


def test_a_stored_tap_is_pushed_to_the_streams_that_may_see_its_store(tmp_path: Path) -> None:
    """After a kiosk's taps are committed, a manager's event stream names her store — and never another's."""
    hub = HubProcess(tmp_path / "hub")
    configs = provision(hub.data_dir, location="sto", kiosks=["k-sto"], broker_url=hub.broker_url, out_dir=tmp_path)
    configs |= provision(hub.data_dir, location="gbg", kiosks=["k-gbg"], broker_url=hub.broker_url, out_dir=tmp_path)
    add_user(hub.data_dir, "anna", "--role", "manager", "--location", "sto")
    token = hub_cmd("token", "create", "--role", "manager", "--user", "anna", "--data-dir", str(hub.data_dir)).strip()
    hub.start()
    events: list[dict[str, list[str]]] = []
    opened = threading.Event()
    stop = threading.Event()

    failures: list[BaseException] = []

    def listen() -> None:
        headers = {"Authorization": f"Bearer {token}"}
        try:
            with httpx.stream("GET", hub.url + "/api/events", headers=headers, timeout=30) as r:
                assert r.headers["content-type"].startswith("text/event-stream")
                for line in r.iter_lines():
                    opened.set()
                    if line.startswith("data: "):
                        events.append(json.loads(line[6:]))
                    if stop.is_set():
                        return
        except httpx.TransportError as exc:  # the hub closing the stream as it stops is how this one ends
            if not stop.is_set():
                failures.append(exc)
        except AssertionError as exc:
            failures.append(exc)

    reader = threading.Thread(target=listen, daemon=True)
    reader.start()
    try:
        wait_until(lambda: opened.is_set() or bool(failures), message="event stream open")
        assert failures == []
        other = KioskRun(configs["k-gbg"], tmp_path / "gbg-data", "--taps", "3", "--wait-acked", "30")
        assert other.wait() == 0
        mine = KioskRun(configs["k-sto"], tmp_path / "sto-data", "--taps", "2", "--wait-acked", "30")
        assert mine.wait() == 0
        wait_until(lambda: bool(events), message="an event for anna's store")
        assert events[0] == {"location_ids": ["sto"]} and all(e["location_ids"] == ["sto"] for e in events)
        anonymous = httpx.get(hub.url + "/api/events", timeout=5)
        assert anonymous.status_code == 401
    finally:
        stop.set()
        hub.stop()
        reader.join(10)
    assert failures == [] and not reader.is_alive()
