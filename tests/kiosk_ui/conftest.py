"""One real kiosk app per test session (Kivy runs one App per process), in a real window under Xvfb,
connected through its real uplink to a real hub and broker. Each test starts on the home screen with the
session's UI config."""

from __future__ import annotations

import asyncio
import dataclasses
import os
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.harness import OUTPUT, HubProcess, provision
from tests.kiosk_ui.display import Xvfb

SHOTS = OUTPUT / "kiosk"
KIOSK_ID = "ui-kiosk"
UI_TOML = """
[ui]
faces = 4
language = "sv"
languages = ["sv", "en"]
followup_faces = [0, 1]
thank_you_s = 0.6
followup_timeout_s = 1.0
attract_after_s = 60.0
response_interval_s = 0.0
staff_pin = "2468"
fullscreen = false
"""


def without_table(toml: str, name: str) -> str:
    """``toml`` minus its ``[name]`` table (the hub writes a [ui] table; the tests bring their own)."""
    out, skipping = [], False
    for line in toml.splitlines(keepends=True):
        if line.startswith("["):
            skipping = line.strip() == f"[{name}]"
        if not skipping:
            out.append(line)
    return "".join(out)


@pytest.fixture(scope="session")
def xvfb() -> Iterator[Xvfb]:
    """A private X server; Kivy opens its window there."""
    x = Xvfb(SHOTS / "xvfb.log").start()
    yield x
    x.stop()


@pytest.fixture(scope="session")
def ui_hub(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[HubProcess, Path]]:
    """A real hub with its managed broker, and the kiosk config it issued (plus a test [ui] table)."""
    base = tmp_path_factory.mktemp("kiosk-ui")
    hub = HubProcess(base / "hub", log_name="hub-kiosk-ui")
    configs = provision(hub.data_dir, location="ui-store", kiosks=[KIOSK_ID], broker_url=hub.broker_url, out_dir=base)
    cfg = configs[KIOSK_ID]
    cfg.write_text(without_table(cfg.read_text(), "ui") + UI_TOML)
    hub.start()
    yield hub, cfg
    hub.stop()


@pytest.fixture(scope="session")
def kiosk(xvfb: Xvfb, ui_hub: tuple[HubProcess, Path], tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    """The running app and a driver for it."""
    if "kivy.core.window" in sys.modules:  # a test module imported it at collection: wrong size and KIVY_HOME
        raise AssertionError("Kivy's window was created before the kiosk fixture; import kivy inside tests")
    # a Kivy home of its own: Kivy writes its config.ini there, and `kiosk run` children get their own too
    os.environ["KIVY_HOME"] = str(tmp_path_factory.mktemp("kivy-home"))
    os.environ["KIVY_NO_ARGS"] = "1"
    # SDL's silent audio device: the press sound plays (and finishes) here as on a kiosk with a speaker, also on
    # a test machine with no sound card, and makes no noise on one with speakers
    os.environ["SDL_AUDIODRIVER"] = "dummy"
    from kiosk.app import KioskApp
    from kiosk.config import load_config
    from kiosk.remote_config import RemoteConfig
    from kiosk.window import configure_kivy

    config = load_config(ui_hub[1], data_dir=tmp_path_factory.mktemp("kiosk-data"))
    configure_kivy(fullscreen=False, size=(1280, 800))
    from tests.kiosk_ui.driver import KioskDriver  # imports the Window: after configure_kivy

    loop = asyncio.new_event_loop()
    app = KioskApp(config, remote=RemoteConfig(config))  # wired as run_app wires it
    task = loop.create_task(app.async_run(async_lib="asyncio"))
    driver = KioskDriver(app, loop, task, base_ui=config.ui, hub=ui_hub[0], xvfb=xvfb)
    driver.until(lambda: app.root is not None and driver.screen == "home", timeout=30, message="app started")
    yield driver
    app.stop()
    driver.until(lambda: task.done(), timeout=15, message="app stopped")
    loop.close()


@pytest.fixture
def kiosk_ui(kiosk: Any) -> Iterator[Any]:
    """The app on its home screen with the session's UI config; back to that afterwards."""
    from kivy.core.window import Window

    def reset() -> None:
        if tuple(Window.size) != (1280, 800):
            Window.size = (1280, 800)
            kiosk.until(lambda: tuple(Window.size) == (1280, 800), message="window size restored")
        kiosk.app.apply_ui_config(kiosk.base_ui)
        kiosk.app.go_home()
        kiosk.wait_screen("home")
        kiosk.quiet()

    reset()
    yield kiosk
    reset()


@pytest.fixture
def set_ui(kiosk_ui: Any) -> Callable[..., None]:
    """Apply the session UI config with some fields changed, like the hub's remote config would."""

    def apply(**changes: Any) -> None:
        kiosk_ui.app.apply_ui_config(dataclasses.replace(kiosk_ui.base_ui, **changes))
        kiosk_ui.frames(1)

    return apply
