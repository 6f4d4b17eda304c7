"""One PostgreSQL connection as the hub uses it (psycopg 3): autocommit with explicit transactions, reconnected
when the server dropped it, and every connection or serialisation failure raised as ``StoreUnavailable``."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

import psycopg

from hub.errors import StoreUnavailable

Row = tuple[Any, ...]
Conn = psycopg.Connection[Row]
CONNECT_TIMEOUT_S = 10
# a statement waiting this long for a lock (a long recompute, an operator's LOCK TABLE) gives up: the ingest
# backs off and retries (StoreUnavailable), HTTP answers 503, rather than queueing behind it without bound
LOCK_TIMEOUT_MS = 5_000


def connect(url: str) -> Conn:
    """:raises StoreUnavailable: the server does not answer or refuses us"""
    with unavailable_on_failure():
        return psycopg.connect(
            url, autocommit=True, connect_timeout=CONNECT_TIMEOUT_S, options=f"-c lock_timeout={LOCK_TIMEOUT_MS}"
        )


@contextmanager
def unavailable_on_failure() -> Iterator[None]:
    """psycopg's ``OperationalError`` — a lost or refused connection, a server shutting down, a serialisation
    failure or deadlock (SQLSTATE class 40), a lock wait over ``LOCK_TIMEOUT_MS`` — as
    :class:`StoreUnavailable`: nothing was committed, retry later. Any other error (a bug, a constraint) stays
    what it is."""
    try:
        yield
    except psycopg.OperationalError as exc:
        raise StoreUnavailable(f"PostgreSQL: {str(exc).strip()[:300]}") from exc


class Db:
    """The connection of one ``PostgresStore``: opened again on the next call after the server dropped it."""

    def __init__(self, url: str) -> None:
        self.url = url
        self._conn: Conn | None = connect(url)

    @property
    def conn(self) -> Conn:
        if self._conn is None or self._conn.closed or self._conn.broken:
            self._conn = None
            self._conn = connect(self.url)
        return self._conn

    @contextmanager
    def transaction(self) -> Iterator[Conn]:
        """One transaction: committed when the block ends, rolled back on any exception."""
        with unavailable_on_failure():
            conn = self.conn
            with conn.transaction():
                yield conn

    def execute(self, sql: str, args: Sequence[Any] = ()) -> psycopg.Cursor[Row]:
        with unavailable_on_failure():
            return self.conn.execute(sql, args)

    def all(self, sql: str, args: Sequence[Any] = ()) -> list[Row]:
        with unavailable_on_failure():
            return self.conn.execute(sql, args).fetchall()

    def one(self, sql: str, args: Sequence[Any] = ()) -> Row | None:
        with unavailable_on_failure():
            return self.conn.execute(sql, args).fetchone()

    def scalar(self, sql: str, args: Sequence[Any] = ()) -> Any:
        row = self.one(sql, args)
        assert row is not None, "a scalar query returns one row"
        return row[0]

    def close(self) -> None:
        if self._conn is not None:
            self._conn.close()
