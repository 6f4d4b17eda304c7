"""Broker failover as staff see it: the real app, in a real window, its config listing two brokers."""

from __future__ import annotations

import json
import queue
import subprocess
import sys
import threading
from pathlib import Path
from typing import Any

from tests.harness import ROOT, ExternalBroker, HubProcess, provision, rolled_up, stored, wait_until
from tests.kiosk_ui.conftest import SHOTS, without_table
from tests.kiosk_ui.display import Xvfb
from tests.kiosk_ui.test_cli import kivy_env

KIOSK = "fo-kiosk"
UI = """
[ui]
language = "en"
languages = ["en"]
followup_faces = []
thank_you_s = 0.6
response_interval_s = 0.0
staff_pin = "2468"
fullscreen = false
"""
UPLINK = "\n[uplink]\nkeepalive_s = 4\nreplay_jitter_s = 0.2\nack_timeout_s = 3\n"


def panel(text: str) -> dict[str, str]:
    """The staff panel's lines: label → value."""
    return dict(line.removeprefix("[b]").split(":[/b] ", 1) for line in text.splitlines())


def test_staff_panel_in_the_window_names_the_second_broker_after_the_first_is_sigkilled(
    xvfb: Xvfb, tmp_path: Path
) -> None:
    """The kiosk app is online through broker A; A is SIGKILLed and a face is tapped in the window at once; the
    app moves to B, the hub acknowledges the tap through B, and the staff panel (corner hold + PIN) says
    "connected (B)" and "Last failover: <time> (from A to B)". The hub stored the tap exactly once."""
    data = tmp_path / "hub"
    data.mkdir()
    brokers = [ExternalBroker(data, name="broker-a"), ExternalBroker(data, name="broker-b")]
    a, b = brokers
    cfg = provision(data, location="sto", kiosks=[KIOSK], broker_url=[x.kiosk_url for x in brokers], out_dir=tmp_path)[
        KIOSK
    ]
    cfg.write_text(without_table(cfg.read_text(), "ui") + UI + UPLINK)
    shot = SHOTS / "staff-panel-failover.png"
    shot.unlink(missing_ok=True)
    hub: HubProcess | None = None
    child: subprocess.Popen[str] | None = None
    log = tmp_path / "failover-kiosk.log"
    try:
        for x in brokers:
            x.start()
        hub = HubProcess(data, mqtt_url=[x.hub_url() for x in brokers])  # set before start: stopped if it fails
        hub.start()
        with open(log, "w") as err:
            child = subprocess.Popen(
                [sys.executable, "-m", "tests.kiosk_ui.failover_kiosk", str(cfg), str(tmp_path / "k"), str(shot)],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=err,
                text=True,
                env=kivy_env(tmp_path),
                cwd=ROOT,
            )
        said = lines_of(child)
        first = wait_until(
            lambda: step(child, said, "on-first"), timeout=40, message=f"the app online via A (log: {log})"
        )
        assert first.get("broker") == f"127.0.0.1:{a.port}", (first, log.read_text()[-3000:])
        a.kill()
        assert child.stdin is not None
        child.stdin.write("killed\n")
        child.stdin.flush()
        done = wait_until(lambda: step(child, said, "done"), timeout=40, message=f"the staff panel read (log: {log})")
        assert done["step"] == "done", (done, log.read_text()[-3000:])
        assert child.wait(20) == 0, log.read_text()
    finally:
        if child is not None and child.poll() is None:
            child.kill()
            child.wait(10)
        if hub is not None:
            hub.stop()
        for x in brokers:
            x.stop()
    facts = panel(done["staff_text"])
    assert done["label"] == done["staff_text"], "the label on the glass shows the panel's text"
    assert "→" not in done["label"], "the kiosk's font has no arrow: it was drawn as a box"
    assert done["fits"], "every fact in sight: the wrapped failover line pushed the last one out"
    assert facts["Broker"] == f"connected (127.0.0.1:{b.port})"
    when, move = facts["Last failover"].split(" (", 1)
    assert move == f"from 127.0.0.1:{a.port} to 127.0.0.1:{b.port})" and len(when) == len("2026-01-01 12:00:00")
    assert facts["Pending ratings"] == "0" and facts["Last hub ack"] != "never"
    state = done["state"]
    assert (state["broker"], state["failover_from"], state["failovers"], state["is_failback"]) == (
        f"127.0.0.1:{b.port}",
        f"127.0.0.1:{a.port}",
        1,
        False,
    )
    assert stored(data, kiosk_id=KIOSK) == rolled_up(data, kiosk_id=KIOSK) == 1  # the tap, exactly once
    assert stored(data, kiosk_id=KIOSK, seq=done["seq"]) == 1
    assert shot.stat().st_size > 0


def lines_of(child: subprocess.Popen[str]) -> queue.Queue[dict[str, Any]]:
    """The child's JSON lines, as they come (read by a thread: a pipe read would block the poll)."""
    said: queue.Queue[dict[str, Any]] = queue.Queue()

    def read() -> None:
        assert child.stdout is not None
        for line in child.stdout:
            if line.startswith("{"):
                said.put(json.loads(line))

    threading.Thread(target=read, daemon=True).start()
    return said


def step(child: subprocess.Popen[str], said: queue.Queue[dict[str, Any]], name: str) -> dict[str, Any] | None:
    """The child's line for step ``name`` once it came (earlier steps are taken off on the way); an "exited" step
    if the child ended without it."""
    while not said.empty():
        got = said.get()
        if got["step"] == name:
            return got
    if child.poll() is not None:  # no waiting out the deadline for a line that cannot come
        return {"step": "exited", "returncode": child.returncode}
    return None
