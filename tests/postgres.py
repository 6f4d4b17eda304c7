"""A real PostgreSQL for tests: ``initdb`` + ``pg_ctl`` (Debian's postgresql package) in a temp dir on a free port.

It runs as ``nobody`` when the tests run as root (PostgreSQL refuses to run as root), listens on 127.0.0.1 (or on
a test host's address) with trust authentication, and is stopped (``pg_ctl stop -m fast``) and removed when the
session ends. A missing server binary fails the test that needs it: nothing is skipped.
"""

from __future__ import annotations

import glob
import os
import shutil
import subprocess
import tempfile
import uuid
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any, Protocol

import psycopg
import pytest

from hub.store import Store
from hub.store.postgresql import PostgresStore
from hub.store.sqlite import SqliteStore
from tests.harness import free_port, wait_until

USER = "hub"
ENGINES = ["sqlite", "postgresql"]
# a test module running on both store engines: ``pytestmark = both_engines``; each of its tests that uses the store
# (the ``engine`` fixture, through ``database``) runs once per engine (``tests/conftest.py``)
both_engines = pytest.mark.both_engines
TEMPLATE = "hub_template"  # the hub's schema, migrated once per session


def pg_binary(name: str) -> str:
    """``initdb``/``pg_ctl`` from PATH, else from Debian's /usr/lib/postgresql/<version>/bin (newest first)."""
    found = shutil.which(name)
    if found:
        return found
    for path in sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"), reverse=True):
        return path
    raise AssertionError(f"{name} is not installed: run scripts/setup (it installs Debian's postgresql)")


class PostgresServer:
    def __init__(self, *, fsync: bool = False, host: str = "127.0.0.1", launcher: Sequence[str] = ()) -> None:
        """``host``: the address it listens on; ``launcher``: a command prefix that starts it elsewhere
        (``TestHost.launcher``: on a test host)."""
        self.fsync = fsync  # off for tests (they kill hub processes, never the machine); on for benchmarks
        self.host, self.launcher = host, tuple(launcher)
        self.port = free_port()
        self.dir = Path(tempfile.mkdtemp(prefix="hub-pg-"))
        self.data = self.dir / "data"
        self.log = self.dir / "postgres.log"
        self._as_root = os.geteuid() == 0
        self._template_ready = False

    def _run(self, *args: str) -> subprocess.CompletedProcess[bytes]:
        cmd = ["runuser", "-u", "nobody", "--", *args] if self._as_root else list(args)
        return subprocess.run([*self.launcher, *cmd], capture_output=True, check=False, cwd=self.dir)

    def start(self) -> PostgresServer:
        if self._as_root:
            shutil.chown(self.dir, "nobody")
        done = self._run(
            pg_binary("initdb"),
            "-D",
            str(self.data),
            "-U",
            USER,
            "--auth=trust",
            "-E",
            "UTF8",
            "--locale=C.UTF-8",
            "-N",
        )
        assert done.returncode == 0, f"initdb failed: {done.stderr.decode(errors='replace')}"
        if self.host != "127.0.0.1":  # initdb trusts the loopback only; a test host's clients come from elsewhere
            with open(self.data / "pg_hba.conf", "a") as hba:
                hba.write("host all all 0.0.0.0/0 trust\n")
        self.start_server()
        return self

    def start_server(self) -> None:
        options = f"-p {self.port} -k {self.dir} -c listen_addresses={self.host} -c max_connections=200"
        if not self.fsync:
            options += " -c fsync=off"
        done = self._run(pg_binary("pg_ctl"), "-D", str(self.data), "-l", str(self.log), "-o", options, "-w", "start")
        assert done.returncode == 0, f"pg_ctl start failed: {done.stderr.decode(errors='replace')}\n{self.log_tail()}"
        wait_until(lambda: self._answers(), timeout=30, message="PostgreSQL accepting connections")

    def stop_server(self, mode: str = "fast") -> None:
        self._run(pg_binary("pg_ctl"), "-D", str(self.data), "-m", mode, "-w", "stop")

    def _answers(self) -> bool:
        with psycopg.connect(self.url("postgres"), connect_timeout=2) as conn:
            return conn.execute("SELECT 1").fetchone() == (1,)

    def url(self, database: str) -> str:
        return f"postgresql://{USER}@{self.host}:{self.port}/{database}"

    def new_database(self, *, migrated: bool = True) -> str:
        """A fresh database, its URL: a copy of a template the hub's migrations ran on once this session (a copy
        takes a fraction of the time the migrations take), or empty."""
        name = "t_" + uuid.uuid4().hex[:12]
        template = ""
        if migrated:
            if not self._template_ready:
                self._make_template()
            template = f" TEMPLATE {TEMPLATE}"
        with psycopg.connect(self.url("postgres"), autocommit=True) as conn:
            conn.execute(f"CREATE DATABASE {name}{template}")  # a generated name, no user input
        return self.url(name)

    def _make_template(self) -> None:
        from hub.store import open_store

        with psycopg.connect(self.url("postgres"), autocommit=True) as conn:
            conn.execute(f"CREATE DATABASE {TEMPLATE}")
        open_store(self.url(TEMPLATE)).close()  # migrated, then closed: a template must have no connections
        self._template_ready = True

    def log_tail(self, lines: int = 30) -> str:
        try:
            return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""

    def close(self) -> None:
        self.stop_server("fast")
        shutil.rmtree(self.dir, ignore_errors=True)


class Rows(Protocol):
    def fetchone(self) -> Any: ...
    def fetchall(self) -> list[Any]: ...
    def __iter__(self) -> Iterator[Any]: ...


class Sql(Protocol):
    """An engine's own connection: ``execute(sql, args)`` with ``?`` placeholders, on either engine."""

    def execute(self, sql: str, args: Any = (), /) -> Rows: ...


def sql_of(db: Store) -> Sql:
    """The store's own connection, for tests that check the tables themselves rather than trust the store's
    reads (``hub.store.postgresql.connection.Conn`` takes the same ``?`` placeholders as ``sqlite3``)."""
    assert isinstance(db, SqliteStore | PostgresStore), type(db)
    return db.conn
