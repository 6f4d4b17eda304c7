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
from tests.postgres import ENGINES, PostgresServer


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
def hub(hubs: Callable[..., HubProcess], tmp_path: Path, database: str | None) -> HubProcess:
    """A hub with its managed broker on free ports (provision kiosks, then ``start()`` it), on SQLite, or on
    PostgreSQL in a module marked ``both_engines``."""
    return hubs(tmp_path / "hub")


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    """Headless Debian Chromium, one per test module."""
    with chromium() as b:
        yield b


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[PostgresServer]:
    """One real PostgreSQL for the session (initdb + pg_ctl on a free port), stopped and removed at the end."""
    server = PostgresServer().start()
    yield server
    server.close()


@pytest.fixture
def pg_url(postgres_server: PostgresServer) -> str:
    """The URL of a fresh PostgreSQL database for this test, the hub's schema already in it."""
    return postgres_server.new_database()


@pytest.fixture
def engine(request: pytest.FixtureRequest) -> str:
    """The store engine a test runs on: SQLite unless the test is parametrised (``both_engines``)."""
    return str(getattr(request, "param", "sqlite"))


@pytest.fixture
def database(engine: str, request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str | None:
    """For the PostgreSQL engine: a fresh database's URL, also set as ``HUB_DATABASE`` (the hub CLI's default for
    ``--database``, inherited by the hub processes the test starts); None for SQLite (``hub.db`` in a data dir)."""
    if engine != "postgresql":
        monkeypatch.delenv("HUB_DATABASE", raising=False)
        return None
    url = str(request.getfixturevalue("pg_url"))
    monkeypatch.setenv("HUB_DATABASE", url)
    return url


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """Tests marked ``both_engines`` that use the store run once on SQLite and once on PostgreSQL."""
    if metafunc.definition.get_closest_marker("both_engines") and "engine" in metafunc.fixturenames:
        metafunc.parametrize("engine", ENGINES, indirect=True)
