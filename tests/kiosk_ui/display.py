"""A private X display for Kivy: Xvfb on a display number it picks itself (the tests fail without it).

Xvfb chooses the number (``-displayfd``): other test runs on the same machine start X servers too, and
picking a free number by looking at /tmp/.X11-unix raced with them (a grab then reached the wrong server).
"""

from __future__ import annotations

import contextlib
import os
import subprocess
from pathlib import Path
from typing import Any

from tests.harness import require_binary, wait_until

SCREEN = "1920x1920x24"  # room for 1080×1920 portrait and 1920×1080 landscape windows


class Xvfb:
    """An X server without a window manager (as xinit starts one on a kiosk)."""

    def __init__(self, log_path: Path, *, screen: str = SCREEN, set_display: bool = True) -> None:
        self.binary = require_binary("Xvfb")
        self.log_path = log_path
        self.screen = screen
        self.set_display = set_display  # export DISPLAY for this process (the session's server) or not
        self.number: int | None = None
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def display(self) -> str:
        return f":{self.number}"

    def start(self) -> Xvfb:
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        read_fd, write_fd = os.pipe()
        with open(self.log_path, "ab") as log:
            self.proc = subprocess.Popen(
                [self.binary, "-displayfd", str(write_fd), "-screen", "0", self.screen, "-nolisten", "tcp"],
                stdout=log,
                stderr=log,
                pass_fds=(write_fd,),
            )
        os.close(write_fd)
        os.set_blocking(read_fd, False)
        answer = b""

        def numbered() -> bool:
            nonlocal answer
            assert self.proc is not None
            if self.proc.poll() is not None:
                raise AssertionError(f"Xvfb exited with {self.proc.returncode}; see {self.log_path}")
            with contextlib.suppress(BlockingIOError):
                answer += os.read(read_fd, 64)
            return answer.endswith(b"\n")

        try:
            wait_until(numbered, timeout=15, message="Xvfb's display number")
        finally:
            os.close(read_fd)
        self.number = int(answer)
        wait_until(lambda: Path(f"/tmp/.X11-unix/X{self.number}").exists(), timeout=15, message=f"Xvfb {self.display}")
        if self.set_display:
            os.environ["DISPLAY"] = self.display
        return self

    def grab(self) -> Any:
        """What the screen shows now (the root window, as a PIL RGB image)."""
        from PIL import ImageGrab

        return ImageGrab.grab(xdisplay=self.display).convert("RGB")

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(10)
