from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

os.environ.setdefault("KIVY_NO_ARGS", "1")

from tests.harness import OUTPUT, HubProcess


@pytest.fixture
def output_dir(request: pytest.FixtureRequest) -> Path:
    """A folder under ./test-output for this test's screenshots and logs (kept after the run)."""
    path = OUTPUT / request.node.name.replace("/", "_").replace("[", "-").replace("]", "")
    path.mkdir(parents=True, exist_ok=True)
    return Path(path)


@pytest.fixture
def hub(tmp_path: Path) -> Iterator[HubProcess]:
    """A running hub with its managed broker on free ports."""
    h = HubProcess(tmp_path / "hub")
    # provision before start so the broker's password file has the kiosks; tests add more as they go
    yield h
    h.stop()
