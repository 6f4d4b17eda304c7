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
        return [row[1] for row in self.conn.execute(f"PRAGMA table_info({_checked(table)})")]

    def rows(self, table: str, columns: list[str]) -> Iterator[tuple[Any, ...]]:
        yield from self.conn.execute(f"SELECT {', '.join(columns)} FROM {_checked(table)}")

    def count(self, table: str) -> int:
        return int(self.conn.execute(f"SELECT count(*) FROM {_checked(table)}").fetchone()[0])

    def load(self, table: str, columns: list[str], rows: Iterable[tuple[Any, ...]]) -> None:
        raise CopyFailed("copying into a SQLite store is not supported: copy into PostgreSQL")


def _checked(table: str) -> str:
    if not table.replace("_", "").isalnum():
        raise CopyFailed(f"not a table name: {table!r}")
    return table
