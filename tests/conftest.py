from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser

os.environ.setdefault("KIVY_NO_ARGS", "1")

from tests.browser import chromium
from tests.harness import OUTPUT, HubProcess


@pytest.fixture
def output_dir(request: pytest.FixtureRequest) -> Path:
    """A folder under ./test-output for this test's screenshots and logs (kept after the run)."""
    path = OUTPUT / request.node.name.replace("/", "_").replace("[", "-").replace("]", "")
    path.mkdir(parents=True, exist_ok=True)
    return Path(path)


@pytest.fixture
def hubs(tmp_path: Path) -> Iterator[Callable[..., HubProcess]]:
    """Make hub processes (``HubProcess`` arguments; not started) that are stopped after the test, whatever it
    did to them: the one factory for hubs a single test runs."""
    made: list[HubProcess] = []

    def make(data_dir: Path | None = None, **kwargs: Any) -> HubProcess:
        h = HubProcess(data_dir or tmp_path / f"hub-{len(made) + 1}", **kwargs)
        made.append(h)
        return h

    yield make
    for h in made:
        h.stop()


@pytest.fixture
def hub(hubs: Callable[..., HubProcess], tmp_path: Path) -> HubProcess:
    """A hub with its managed broker on free ports (provision kiosks, then ``start()`` it)."""
    return hubs(tmp_path / "hub")


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    """Headless Debian Chromium, one per test module."""
    with chromium() as b:
        yield b
