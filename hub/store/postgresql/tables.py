"""Whole tables as rows, for ``hub db copy`` (``hub.store.copy``): read, counted, and loaded with ``COPY``."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

from hub.store.postgresql.connection import Conn, transaction, unavailable_on_failure
from hub.store.sqlite.tables import checked, quoted

# tables whose ``id`` the database numbers: after a copy it continues after the highest copied
IDENTITY_TABLES = frozenset({"rejected", "sign_in_failures", "alert_rules", "alerts", "deliveries", "audit_log"})


class Tables:
    def __init__(self, conn: Conn) -> None:
        self.conn = conn

    def columns(self, table: str) -> list[str]:
        rows = self.conn.execute(
            "SELECT column_name FROM information_schema.columns WHERE table_schema = current_schema()"
            " AND table_name = ? ORDER BY ordinal_position",
            (table,),
        )
        return [r[0] for r in rows]

    def rows(self, table: str, columns: list[str]) -> Iterator[tuple[Any, ...]]:
        yield from self.conn.execute(f"SELECT {quoted(columns)} FROM {checked(table)}")

    def count(self, table: str) -> int:
        return int(self.conn.execute(f"SELECT count(*) FROM {checked(table)}").fetchone()[0])

    def load(self, table: str, columns: list[str], rows: Iterable[tuple[Any, ...]]) -> None:
        """Append ``rows`` with one ``COPY`` in one transaction, the table's triggers off meanwhile (the copied
        rollups are counted already)."""
        name = checked(table)
        with transaction(self.conn), unavailable_on_failure():
            raw = self.conn.raw
            raw.execute(f"ALTER TABLE {name} DISABLE TRIGGER USER")
            with raw.cursor().copy(f"COPY {name} ({quoted(columns)}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
            raw.execute(f"ALTER TABLE {name} ENABLE TRIGGER USER")
            if table in IDENTITY_TABLES:
                raw.execute(
                    f"SELECT setval(pg_get_serial_sequence('{name}', 'id'), coalesce(max(id), 0) + 1, false)"
                    f" FROM {name}"
                )
