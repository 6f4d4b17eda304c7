"""One SQLite connection as the hub uses it: WAL, synchronous=FULL, autocommit with explicit transactions."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from hub.errors import StoreUnavailable


def connect(path: str | Path, *, read_only: bool = False) -> sqlite3.Connection:
    """A connection to the hub database at ``path`` (created when missing, unless ``read_only``)."""
    p = Path(path)
    if read_only:
        return sqlite3.connect(p.resolve().as_uri() + "?mode=ro", uri=True, check_same_thread=False)
    p.parent.mkdir(parents=True, exist_ok=True)
    conn = sqlite3.connect(str(p), isolation_level=None, timeout=30.0, check_same_thread=False)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=FULL")
    conn.execute("PRAGMA busy_timeout=30000")
    conn.execute("PRAGMA foreign_keys=ON")
    return conn


@contextmanager
def immediate(conn: sqlite3.Connection) -> Iterator[sqlite3.Connection]:
    """One write transaction (``BEGIN IMMEDIATE`` takes the write lock up front): commit, or roll back on any
    exception. The connections here run in autocommit mode (``isolation_level=None``)."""
    conn.execute("BEGIN IMMEDIATE")
    try:
        yield conn
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    conn.execute("COMMIT")


@contextmanager
def write(conn: sqlite3.Connection) -> Iterator[sqlite3.Connection]:
    """:func:`immediate`, with a busy or failing database raised as :class:`StoreUnavailable` (the portable
    parts' write transaction)."""
    with unavailable_when_busy(), immediate(conn) as c:
        yield c


@contextmanager
def unavailable_when_busy() -> Iterator[None]:
    """SQLite's "database is locked", "busy" and disk errors as :class:`StoreUnavailable` (retry later); any
    other error stays what it is."""
    try:
        yield
    except sqlite3.OperationalError as exc:
        text = str(exc)
        if "locked" in text or "busy" in text or "disk" in text:
            raise StoreUnavailable(text) from exc
        raise
