"""Whole tables as rows, for ``hub db copy`` (``hub.store.copy``): read, counted, and loaded with ``COPY``."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

from hub.errors import CopyFailed
from hub.store.postgresql.connection import Db, unavailable_on_failure


class Tables:
    def __init__(self, db: Db) -> None:
        self.db = db

    def columns(self, table: str) -> list[str]:
        rows = self.db.all(
            "SELECT column_name FROM information_schema.columns WHERE table_schema = current_schema()"
            " AND table_name = %s ORDER BY ordinal_position",
            (table,),
        )
        return [r[0] for r in rows]

    def rows(self, table: str, columns: list[str]) -> Iterator[tuple[Any, ...]]:
        yield from self.db.all(f"SELECT {', '.join(columns)} FROM {_checked(table)}")

    def count(self, table: str) -> int:
        return int(self.db.scalar(f"SELECT count(*) FROM {_checked(table)}"))

    def load(self, table: str, columns: list[str], rows: Iterable[tuple[Any, ...]]) -> None:
        """Append ``rows`` with one ``COPY`` in one transaction; a serial ``id`` continues after the highest."""
        with self.db.transaction() as conn, unavailable_on_failure():
            with conn.cursor().copy(f"COPY {_checked(table)} ({', '.join(columns)}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
            if table == "rejected":
                conn.execute("SELECT setval(pg_get_serial_sequence('rejected', 'id'), coalesce(max(id), 0) + 1, false)"
                             " FROM rejected")  # fmt: skip


def _checked(table: str) -> str:
    if not table.replace("_", "").isalnum():
        raise CopyFailed(f"not a table name: {table!r}")
    return table
