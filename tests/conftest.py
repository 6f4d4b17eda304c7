from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

os.environ.setdefault("KIVY_NO_ARGS", "1")

from tests.harness import OUTPUT, HubProcess
from tests.postgres import PostgresServer


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


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[PostgresServer]:
    """One real PostgreSQL for the session (initdb + pg_ctl on a free port), stopped at the end."""
    server = PostgresServer().start()
    yield server
    server.close()


@pytest.fixture
def pg_url(postgres_server: PostgresServer) -> str:
    """The URL of a fresh, empty PostgreSQL database for this test."""
    return postgres_server.new_database()


@pytest.fixture(params=["sqlite", "postgresql"])
def engine(request: pytest.FixtureRequest) -> str:
    """The store engine a test runs against (suites opt in by using it)."""
    return str(request.param)


@pytest.fixture
def database(engine: str, request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str | None:
    """For the PostgreSQL engine: a fresh database's URL, also set as ``HUB_DATABASE`` (the hub CLI's default
    for ``--database``, inherited by hub processes the test starts); None for SQLite (``hub.db`` in a data dir)."""
    if engine != "postgresql":
        monkeypatch.delenv("HUB_DATABASE", raising=False)
        return None
    url = str(request.getfixturevalue("pg_url"))
    monkeypatch.setenv("HUB_DATABASE", url)
    return url
