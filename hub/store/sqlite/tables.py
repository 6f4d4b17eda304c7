"""Whole tables, read as rows for ``hub db copy`` (``hub.store.copy``): the SQLite engine is a copy's source.
A copy *into* SQLite is refused: its triggers would count the copied rollups a second time."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Iterator
from typing import Any

from hub.errors import CopyFailed


class Tables:
    def __init__(self, conn: sqlite3.Connection) -> None:
        self.conn = conn

    def columns(self, table: str) -> list[str]:
        return [row[1] for row in self.conn.execute(f"PRAGMA table_info({checked(table)})")]

    def rows(self, table: str, columns: list[str]) -> Iterator[tuple[Any, ...]]:
        yield from self.conn.execute(f"SELECT {quoted(columns)} FROM {checked(table)}")

    def count(self, table: str) -> int:
        return int(self.conn.execute(f"SELECT count(*) FROM {checked(table)}").fetchone()[0])

    def load(self, table: str, columns: list[str], rows: Iterable[tuple[Any, ...]]) -> None:
        raise CopyFailed("copying into a SQLite store is not supported: copy into PostgreSQL")


def quoted(columns: list[str]) -> str:
    """Column names as a list for SQL, each quoted (``window`` is a keyword in PostgreSQL)."""
    for c in columns:
        checked(c)
    return ", ".join(f'"{c}"' for c in columns)


def checked(table: str) -> str:
    """A table name put into SQL: only letters, digits and ``_``."""
    if not table.replace("_", "").isalnum():
        raise CopyFailed(f"not a table name: {table!r}")
    return table
