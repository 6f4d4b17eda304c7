"""What the store parts written once for both engines (``hub.store.portable``) need from an engine: a connection
shaped like ``sqlite3.Connection`` (:class:`Db`) and the few things the engines spell differently (:class:`Engine`).

The portable parts' SQL is the part of SQL both engines run: ``?`` placeholders (PostgreSQL's ``Conn``
translates them), ``INSERT … ON CONFLICT (columns) DO NOTHING / DO UPDATE SET … = excluded.…``,
``IS DISTINCT FROM``, ``CAST``. What is not common goes through the engine: its write transaction (and a table's
serialisation in it), the ISO weekday of a ``local_day``, and the join that fixes SQLite's loop order.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass
from typing import Any, Protocol


class Rows(Protocol):
    """A statement's result (``sqlite3.Cursor`` or PostgreSQL's ``Cursor``)."""

    @property
    def rowcount(self) -> int: ...
    def fetchone(self) -> Any: ...
    def fetchall(self) -> list[Any]: ...
    def __iter__(self) -> Iterator[Any]: ...


class Db(Protocol):
    """A connection in autocommit mode: each statement outside a transaction commits on its own."""

    @property
    def in_transaction(self) -> bool: ...
    def execute(self, sql: str, args: Sequence[Any] = ..., /) -> Rows: ...
    def executemany(self, sql: str, rows: Iterable[Sequence[Any]], /) -> Rows: ...


@dataclass(frozen=True, slots=True)
class Engine:
    name: str
    # one write transaction on the connection: committed when the block ends, rolled back on an exception; a busy
    # or unreachable database raises StoreUnavailable
    write: Callable[[Any], AbstractContextManager[Any]]
    # SQL for the ISO weekday (1 = Monday … 7 = Sunday) of a 'YYYY-MM-DD' column
    iso_weekday: Callable[[str], str]
    # the join keyword that keeps the written table order: SQLite's CROSS JOIN; PostgreSQL plans joins well itself
    ordered_join: str
    # re-judge the stored answers of these locations against their opening hours (the engine's rollups module)
    reflag_locations: Callable[[Any, Iterable[str]], int]
    # the column that orders rows by insertion where a table has no key of its own (SQLite's rowid)
    row_id: str
    # inside a write transaction: no other transaction writes this table until it ends (SQLite's write transaction
    # is the only writer already; PostgreSQL locks the table against other writers, readers go on)
    serialise: Callable[[Any, str], None]
