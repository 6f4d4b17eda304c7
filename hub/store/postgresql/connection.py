"""One PostgreSQL connection as the hub uses it (psycopg 3): autocommit with explicit transactions, opened again
after the server dropped it, every connection, serialisation or lock-wait failure raised as ``StoreUnavailable``.

The store's statements keep the SQLite engine's placeholders (``?`` in order, ``?N`` by position), so each
PostgreSQL module reads side by side with its SQLite twin; :class:`Conn` turns them into psycopg's ``%s``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from functools import lru_cache
from typing import Any

import psycopg
from psycopg import pq

from hub.errors import StoreUnavailable

Row = tuple[Any, ...]
CONNECT_TIMEOUT_S = 10
# a statement waiting this long for a lock (a long recompute, an operator's LOCK TABLE) gives up: the ingest
# backs off and retries (StoreUnavailable), HTTP answers 503, rather than queueing behind it without bound
LOCK_TIMEOUT_MS = 5_000
# a network path to the server that goes silent (a cable pulled, a switch down: no RST, no ICMP) fails the
# statement waiting on it after about this long, on both ends, rather than after the kernel's retransmission
# timeout (~15 minutes; hours for an idle connection): the ingest backs off and reconnects, acking nothing
# meanwhile, and the server ends the cut-off session, releasing its locks. TCP keep-alives probe an idle link
# (5 s idle, then 5 probes 1 s apart), TCP_USER_TIMEOUT bounds data left unacknowledged. A slow statement is not
# affected: the peer's kernel acknowledges the packets while the server works.
DEAD_LINK_S = 10
KEEPALIVE_IDLE_S, KEEPALIVE_INTERVAL_S = 5, 1
KEEPALIVE_COUNT = (DEAD_LINK_S - KEEPALIVE_IDLE_S) // KEEPALIVE_INTERVAL_S

# the server's end of the same connection (settings any user may set for their own session)
_SESSION_OPTIONS = " ".join(
    f"-c {name}={value}"
    for name, value in (
        ("lock_timeout", LOCK_TIMEOUT_MS),
        ("tcp_keepalives_idle", KEEPALIVE_IDLE_S),
        ("tcp_keepalives_interval", KEEPALIVE_INTERVAL_S),
        ("tcp_keepalives_count", KEEPALIVE_COUNT),
        ("tcp_user_timeout", DEAD_LINK_S * 1000),
    )
)


_TOKENS = re.compile(r"'(?:[^']|'')*'|\?(\d*)|%")


@lru_cache(maxsize=1024)
def translate(sql: str) -> tuple[str, tuple[int, ...] | None]:
    """``sql`` with ``?``/``?N`` as ``%s`` (and ``%`` doubled outside literals), and which argument each takes
    (None: the arguments in order)."""
    order: list[int] = []
    numbered = False

    def replace(m: re.Match[str]) -> str:
        nonlocal numbered
        text = m.group(0)
        if text.startswith("'"):
            return text.replace("%", "%%")
        if text == "%":
            return "%%"
        if m.group(1):
            numbered = True
            order.append(int(m.group(1)) - 1)
        else:
            order.append(len(order))
        return "%s"

    out = _TOKENS.sub(replace, sql)
    return out, (tuple(order) if numbered else None)


@contextmanager
def unavailable_on_failure() -> Iterator[None]:
    """psycopg's ``OperationalError`` — a lost or refused connection, a server shutting down, a serialisation
    failure or deadlock (SQLSTATE class 40), a lock wait over ``LOCK_TIMEOUT_MS`` — as :class:`StoreUnavailable`:
    nothing was committed, retry later. Any other error (a bug, a constraint) stays what it is."""
    try:
        yield
    except psycopg.OperationalError as exc:
        raise StoreUnavailable(f"PostgreSQL: {str(exc).strip()[:300]}") from exc


def connect(url: str) -> psycopg.Connection[Row]:
    """:raises StoreUnavailable: the server does not answer or refuses us"""
    with unavailable_on_failure():
        return psycopg.connect(
            url,
            autocommit=True,
            connect_timeout=CONNECT_TIMEOUT_S,
            keepalives=1,
            keepalives_idle=KEEPALIVE_IDLE_S,
            keepalives_interval=KEEPALIVE_INTERVAL_S,
            keepalives_count=KEEPALIVE_COUNT,
            tcp_user_timeout=DEAD_LINK_S * 1000,
            options=_SESSION_OPTIONS,
        )


class Cursor:
    """A statement's result, typed like ``sqlite3.Cursor`` (rows are ``Any``: the statement says what they hold)."""

    def __init__(self, cur: psycopg.Cursor[Row]) -> None:
        self._cur = cur

    @property
    def rowcount(self) -> int:
        return self._cur.rowcount

    def fetchone(self) -> Any:
        with unavailable_on_failure():
            return self._cur.fetchone()

    def fetchall(self) -> list[Any]:
        with unavailable_on_failure():
            return self._cur.fetchall()

    def __iter__(self) -> Iterator[Any]:
        return iter(self.fetchall())


class Conn:
    """The connection of one ``PostgresStore``, shaped like the ``sqlite3.Connection`` the SQLite parts use:
    ``execute``/``executemany`` return cursors; outside a transaction every statement commits on its own."""

    def __init__(self, url: str) -> None:
        self.url = url
        self._raw: psycopg.Connection[Row] | None = connect(url)

    @property
    def raw(self) -> psycopg.Connection[Row]:
        """The psycopg connection, opened again when the server dropped it (never inside a transaction)."""
        if self._raw is None or self._raw.closed or self._raw.broken:
            self._raw = None
            self._raw = connect(self.url)
        return self._raw

    @property
    def in_transaction(self) -> bool:
        return self._raw is not None and self._raw.info.transaction_status != pq.TransactionStatus.IDLE

    def execute(self, sql: str, args: Sequence[Any] = ()) -> Cursor:
        text, order = translate(sql)
        with unavailable_on_failure():
            return Cursor(self.raw.execute(text, _arrange(args, order)))

    def executemany(self, sql: str, rows: Iterable[Sequence[Any]]) -> Cursor:
        text, order = translate(sql)
        with unavailable_on_failure():
            cur = self.raw.cursor()
            cur.executemany(text, [_arrange(r, order) for r in rows])
            return Cursor(cur)

    @contextmanager
    def transaction(self) -> Iterator[Conn]:
        """One transaction (a savepoint inside another): committed when the block ends, rolled back on any
        exception."""
        with unavailable_on_failure(), self.raw.transaction():
            yield self

    def close(self) -> None:
        if self._raw is not None:
            self._raw.close()


def _arrange(args: Sequence[Any], order: tuple[int, ...] | None) -> Sequence[Any]:
    return args if order is None else [args[i] for i in order]


@contextmanager
def transaction(conn: Conn) -> Iterator[Conn]:
    """``conn.transaction()``, named for reading beside the SQLite parts' ``immediate(conn)``."""
    with conn.transaction() as c:
        yield c
