"""Full screen as a store runs it: `python -m kiosk run` on a bare X server (Xvfb, no window manager) of each
size kiosks ship with, judged from what the screen shows (the root window), not from what Kivy believes."""

from __future__ import annotations

import signal
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.harness import ROOT, wait_until
from tests.kiosk_ui.conftest import SHOTS
from tests.kiosk_ui.display import Xvfb
from tests.kiosk_ui.pixels import drawn_share, faces_box
from tests.kiosk_ui.test_cli import BASE, kivy_env


@pytest.mark.parametrize(("w", "h"), [(800, 480), (1280, 800), (1080, 1920), (1920, 1080)])
def test_full_screen_fills_a_bare_x_screen(tmp_path: Path, w: int, h: int) -> None:
    """Under X without a window manager the kiosk's drawing covers the whole screen and the faces span it
    (landscape: most of the width; portrait: large, in the lower half)."""
    x = Xvfb(tmp_path / "xvfb.log", screen=f"{w}x{h}x24", set_display=False).start()
    cfg = tmp_path / "k.toml"
    cfg.write_text(BASE.format(port=9) + '[ui]\nfullscreen = true\nstaff_pin = "2468"\n')
    log = tmp_path / "kiosk.log"
    with open(log, "wb") as out:
        proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "kiosk",
                "run",
                "--config",
                str(cfg),
                "--data-dir",
                str(tmp_path / "data"),
                "--log-level",
                "info",
            ],
            stdout=out,
            stderr=subprocess.STDOUT,
            env={**kivy_env(tmp_path), "DISPLAY": x.display},
            cwd=ROOT,
        )
    try:
        shot: list[Any] = []

        def faces_drawn() -> bool:
            assert proc.poll() is None, log.read_text()
            shot[:] = [x.grab()]
            return faces_box(shot[0], 4) is not None and drawn_share(shot[0]) > 0.99

        wait_until(lambda: "ready: 4 faces" in log.read_text(), timeout=60, message=f"kiosk ready (log: {log})")
        try:  # every grab is an X client: poll gently (an X server admits a limited number of clients)
            wait_until(faces_drawn, timeout=30, interval=0.5, message=f"the kiosk drawn on {w}x{h} (log: {log})")
        except AssertionError:
            if shot:
                shot[0].save(SHOTS / f"fullscreen-{w}x{h}-failed.png")
            raise
        img = shot[0]
        img.save(SHOTS / f"fullscreen-{w}x{h}.png")
        assert drawn_share(img) > 0.999  # (before: 42 % × 44 % of 1920×1080 was drawn, the rest black)
        box = faces_box(img, 4)
        assert box is not None
        left, top, right, bottom = box
        if w > h:
            assert right - left >= 0.7 * w, box
        else:
            assert top >= 0.4 * h and right - left >= 0.75 * w and bottom - top >= 0.3 * h, box
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(30)
        finally:
            if proc.poll() is None:
                proc.kill()
            x.stop()
