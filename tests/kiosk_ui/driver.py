"""Drives the real kiosk app: Kivy's own main loop runs on asyncio (``App.async_run``) and the tests run
it until a condition holds, then touch the window with simulated touches (kivy.tests.common)."""

from __future__ import annotations

import asyncio
import shutil
import sqlite3
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from kivy.core.window import Window
from kivy.tests.common import UnitTestTouch

from kiosk.app import KioskApp
from kiosk.config import UiConfig
from tests.harness import HubProcess
from tests.kiosk_ui.display import Xvfb


def rgb_at(img: Any, x: int, y: int) -> tuple[int, int, int]:
    r, g, b = img.getpixel((x, y))[:3]
    return int(r), int(g), int(b)


class KioskDriver:
    def __init__(
        self,
        app: KioskApp,
        loop: asyncio.AbstractEventLoop,
        task: asyncio.Task[Any],
        *,
        base_ui: UiConfig,
        hub: HubProcess | None = None,
        xvfb: Xvfb | None = None,
    ) -> None:
        """``hub`` and ``xvfb``: the session's (None for an app in a process of its own, failover_kiosk.py)."""
        self.app = app
        self.loop = loop
        self.task = task
        self.base_ui = base_ui  # the session's [ui]; each test starts from it
        self.hub = hub
        self.xvfb = xvfb  # the X server the window is on: its screen is what shoppers see
        self.flips = 0
        self._recorder: Any = None
        Window.bind(on_flip=self._flipped)

    def _flipped(self, *_: Any) -> None:
        self.flips += 1

    # ------------------------------------------------------------------------------------------ loop
    def until(self, predicate: Callable[[], Any], *, timeout: float = 10.0, message: str = "condition") -> Any:
        """Run the app's main loop until ``predicate()`` is truthy; fail after ``timeout`` seconds."""

        async def poll() -> Any:
            deadline = time.monotonic() + timeout
            while time.monotonic() < deadline:
                value = predicate()
                if value:
                    return value
                if self.task.done():
                    self.task.result()  # the app crashed: raise its exception here
                    raise AssertionError("the kiosk app stopped")
                await asyncio.sleep(0.005)
            raise AssertionError(f"timed out after {timeout} s waiting for {message}")

        return self.loop.run_until_complete(poll())

    def frames(self, n: int = 2) -> None:
        """Let ``n`` more frames reach the screen."""
        target = self.flips + n

        def drawn() -> bool:
            Window.canvas.ask_update()  # Kivy skips frames where nothing changed
            return self.flips >= target

        self.until(drawn, message=f"{n} frames drawn")

    def record_pixels(self, points: list[tuple[int, int]]) -> list[list[tuple[int, int, int]]]:
        """Start reading the colours at ``points`` (window coordinates) off the X screen after every frame
        flipped from now on (what the glass shows); the returned list fills up as frames are drawn (call
        :meth:`stop_recording` to end)."""
        import os

        from PIL import ImageGrab

        frames: list[list[tuple[int, int, int]]] = []

        def read(*_: Any) -> None:
            left, top = Window.left, Window.top
            shot = ImageGrab.grab(
                bbox=(left, top, left + Window.width, top + Window.height), xdisplay=os.environ["DISPLAY"]
            ).convert("RGB")
            frames.append([rgb_at(shot, int(x), int(Window.height - 1 - y)) for x, y in points])

        self._recorder = read
        Window.bind(on_flip=read)
        return frames

    def stop_recording(self) -> None:
        Window.unbind(on_flip=self._recorder)

    # ------------------------------------------------------------------------------------------ touch
    def quiet(self) -> None:
        """Wait (running the app) until a new touch is no longer taken for a duplicate of the last one."""
        self.until(lambda: self.app.gate.seconds_until_quiet(time.monotonic()) == 0, message="touch quiet")

    def touch(self, widget: Any) -> UnitTestTouch:
        self.quiet()
        self.until(lambda: not self.app.sm.transition.is_active, message="screen transition over")
        x, y = self.settled_centre(widget)
        t = UnitTestTouch(x, y)
        t.touch_down()
        t.touch_up()
        return t

    def settled_centre(self, widget: Any) -> tuple[float, float]:
        """The widget's centre in window coordinates once a frame no longer moves it (nested layouts, such
        as chip rows sized from their parent, can take a frame or two to settle)."""
        deadline = time.monotonic() + 10.0
        previous = None
        while time.monotonic() < deadline:
            self.frames(1)
            x, y = widget.to_window(*widget.center)
            if (x, y) == previous:
                return x, y
            previous = (x, y)
        raise AssertionError(f"{widget} kept moving for 10 s")

    def touch_at(self, x: float, y: float) -> UnitTestTouch:
        self.quiet()
        t = UnitTestTouch(x, y)
        t.touch_down()
        t.touch_up()
        return t

    # ------------------------------------------------------------------------------------------ state
    @property
    def screen(self) -> str:
        """The screen the app switched to (it is on the glass from the next frame)."""
        return str(self.app.sm.current)

    def showing(self, name: str) -> bool:
        """``name`` is the screen on the glass: switched to, transition over, so touches reach it."""
        sm = self.app.sm
        return bool(sm.current == name and not sm.transition.is_active and sm.children == [sm.current_screen])

    def wait_screen(self, name: str, timeout: float = 10.0) -> None:
        self.until(lambda: self.showing(name), timeout=timeout, message=f"screen {name!r} (now {self.screen!r})")

    def home(self) -> Any:
        return self.app.sm.get_screen("home")

    def face(self, i: int) -> Any:
        return self.home().face_buttons()[i]

    def screenshot(self, path: Path) -> Path:
        self.frames(3)
        path.parent.mkdir(parents=True, exist_ok=True)
        taken = Path(Window.screenshot(name=str(path)))
        shutil.move(taken, path)
        return path

    # ------------------------------------------------------------------------------------------ outbox
    def rows(self, after_seq: int = 0) -> list[dict[str, Any]]:
        conn = sqlite3.connect(f"file:{self.app.kiosk_config.outbox_path}?mode=ro", uri=True, timeout=10)
        conn.row_factory = sqlite3.Row
        try:
            return [dict(r) for r in conn.execute("SELECT * FROM outbox WHERE seq > ? ORDER BY seq", (after_seq,))]
        finally:
            conn.close()

    def last_seq(self) -> int:
        rows = self.rows()
        return int(rows[-1]["seq"]) if rows else 0

    def wait_rows(self, after_seq: int, n: int, **match: Any) -> list[dict[str, Any]]:
        """Run the app until ``n`` rows after ``after_seq`` exist (and the last matches ``match``)."""

        def got() -> list[dict[str, Any]] | None:
            rows = self.rows(after_seq)
            if len(rows) >= n and all(rows[-1][k] == v for k, v in match.items()):
                return rows
            return None

        return list(self.until(got, message=f"{n} outbox rows after seq {after_seq} with {match}"))
