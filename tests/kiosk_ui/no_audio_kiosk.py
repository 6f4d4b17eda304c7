"""A kiosk app in a process of its own, for test_press_sound: press_sound on, no uplink, two face taps; prints
what it saw as one JSON line. ``python -m tests.kiosk_ui.no_audio_kiosk DATA_DIR`` (DISPLAY set)."""

from __future__ import annotations

import json
import sqlite3
import sys
from pathlib import Path
from typing import Any


def main(data_dir: Path) -> None:
    from kiosk.app import KioskApp
    from kiosk.config import parse_config
    from kiosk.window import configure_kivy

    configure_kivy(fullscreen=False, size=(800, 480))
    from kivy.clock import Clock
    from kivy.tests.common import UnitTestTouch

    doc = {
        "kiosk": {"id": "no-audio", "location": "sto"},
        "broker": {"url": "mqtt://127.0.0.1:9", "password": "x"},
        "ui": {"followup_faces": [], "response_interval_s": 0.0, "press_sound": True, "fullscreen": False},
    }
    app = KioskApp(parse_config(doc, data_dir=data_dir), with_uplink=False)
    out: dict[str, Any] = {"screens_after_tap": []}
    faces = [3, 1]

    def step(_dt: float) -> None:
        sm = app.sm
        if app._unsettled and not all(f.done() for f in app._unsettled):
            return
        if sm.current == "thanks":
            app.go_home()
            return
        if sm.current != "home" or sm.transition.is_active or app.gate.seconds_until_quiet(_now()) > 0:
            return
        if not faces:
            app.stop()
            return
        face = sm.get_screen("home").face_buttons()[faces[0]]
        centre = face.to_window(*face.center)
        if centre != out.get("centre"):  # the layout has not settled yet
            out["centre"] = centre
            return
        faces.pop(0)
        touch = UnitTestTouch(*centre)
        touch.touch_down()
        touch.touch_up()
        out["screens_after_tap"].append(sm.current)

    Clock.schedule_interval(step, 0.05)
    app.run()
    conn = sqlite3.connect(data_dir / "outbox.db")
    out["faces"] = [r[0] for r in conn.execute("SELECT face FROM outbox ORDER BY seq")]
    conn.close()
    out.pop("centre", None)
    out.update(played=app.press_sound.played, problem=app.press_sound.problem)
    print(json.dumps(out))


def _now() -> float:
    import time

    return time.monotonic()


if __name__ == "__main__":
    main(Path(sys.argv[1]))
