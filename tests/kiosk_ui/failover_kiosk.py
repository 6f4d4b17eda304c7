"""A kiosk app in a window and a process of its own, for test_staff_failover: its config lists two brokers, and
Kivy runs one App per process (the session's app is bound to one broker). Driven by the same
:class:`~tests.kiosk_ui.driver.KioskDriver` as the session's app; talks to the test in JSON lines.

``python -m tests.kiosk_ui.failover_kiosk CONFIG DATA_DIR SHOT`` (DISPLAY and KIVY_HOME set):

1. prints ``{"step": "on-first", ...}`` once it is online through the first broker;
2. waits for a line on stdin (the test SIGKILLed that broker), taps a face at once, waits for the second broker;
3. waits for the hub's ack of the tap, opens the staff panel (corner hold + PIN 2468), saves a screenshot of
   it to SHOT and prints ``{"step": "done", ...}``: the panel's text, the label's text and the uplink state.
"""

from __future__ import annotations

import asyncio
import dataclasses
import json
import sys
import threading
from pathlib import Path
from typing import Any


def say(**fields: Any) -> None:
    print(json.dumps(fields), flush=True)


def main(config_path: Path, data_dir: Path, shot: Path) -> None:
    from kiosk.app import KioskApp
    from kiosk.config import load_config
    from kiosk.remote_config import RemoteConfig
    from kiosk.window import configure_kivy

    config = load_config(config_path, data_dir=data_dir)
    first, second = (str(a) for a in config.broker.addresses)
    configure_kivy(fullscreen=False, size=(1280, 800))
    from tests.kiosk_ui.driver import KioskDriver  # imports the Window: after configure_kivy
    from tests.kiosk_ui.test_staff_and_layout import enter_pin, hold_corner

    killed = threading.Event()

    def wait_for_the_kill() -> None:
        sys.stdin.readline()
        killed.set()

    threading.Thread(target=wait_for_the_kill, daemon=True).start()
    loop = asyncio.new_event_loop()
    app = KioskApp(config, remote=RemoteConfig(config))  # wired as run_app wires it
    task = loop.create_task(app.async_run(async_lib="asyncio"))
    k = KioskDriver(app, loop, task, base_ui=config.ui)
    try:
        k.until(lambda: app.root is not None and k.screen == "home", timeout=30, message="app started")
        k.until(lambda: app.is_online and app.uplink_state.broker == first, timeout=30, message=f"online via {first}")
        say(step="on-first", broker=app.uplink_state.broker)
        k.until(killed.is_set, timeout=30, message="the test to kill the first broker")
        start = k.last_seq()
        k.touch(k.face(3))  # at once: the uplink is still finding the second broker
        seq = int(k.wait_rows(start, 1)[0]["seq"])
        k.until(
            lambda: (s := app.uplink_state).is_connected and s.broker == second,
            timeout=30,
            message=f"connected to {second}",
        )
        k.until(lambda: k.rows(seq - 1)[0]["acked_at_ms"] is not None, timeout=30, message="the tap acknowledged")
        hold_corner(k)
        enter_pin(k, "2468")
        k.wait_screen("staff")
        k.until(
            lambda: "Last failover:[/b] never" not in app.staff_text and "Pending ratings:[/b] 0" in app.staff_text,
            timeout=10,
            message="the panel's facts with the failover",
        )
        k.screenshot(shot)
        facts = app.sm.get_screen("staff").ids.facts
        label, fits = facts.text, facts.text_height(facts.font_size) <= facts.height
        say(
            step="done",
            seq=seq,
            staff_text=app.staff_text,
            label=label,
            fits=fits,
            state=dataclasses.asdict(app.uplink_state),
        )
        k.touch(app.sm.get_screen("staff").ids.close)
        k.wait_screen("home")
    finally:
        app.stop()
        k.until(lambda: task.done(), timeout=15, message="app stopped")
        loop.close()


if __name__ == "__main__":
    main(Path(sys.argv[1]), Path(sys.argv[2]), Path(sys.argv[3]))
