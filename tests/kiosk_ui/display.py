"""A private X display for Kivy: Xvfb on a free display number (the tests fail without it)."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

from tests.harness import require_binary, wait_until

SCREEN = "1920x1920x24"  # room for 1080×1920 portrait and 1920×1080 landscape windows


class Xvfb:
    def __init__(self, log_path: Path) -> None:
        self.binary = require_binary("Xvfb")
        self.log_path = log_path
        self.number = next(
            n
            for n in range(90, 400)
            if not Path(f"/tmp/.X{n}-lock").exists() and not Path(f"/tmp/.X11-unix/X{n}").exists()
        )
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def display(self) -> str:
        return f":{self.number}"

    def start(self) -> Xvfb:
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        with open(self.log_path, "ab") as log:
            self.proc = subprocess.Popen(
                [self.binary, self.display, "-screen", "0", SCREEN, "-nolisten", "tcp"], stdout=log, stderr=log
            )

        def up() -> bool:
            assert self.proc is not None
            if self.proc.poll() is not None:
                raise AssertionError(f"Xvfb exited with {self.proc.returncode}; see {self.log_path}")
            return Path(f"/tmp/.X11-unix/X{self.number}").exists()

        wait_until(up, timeout=15, message=f"Xvfb {self.display}")
        os.environ["DISPLAY"] = self.display
        return self

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(10)
