"""Rows for the CSV exports on PostgreSQL, streamed through a server-side cursor on a connection of their own
(no row cap, constant memory; the store's own connection stays free for other calls meanwhile)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from typing import Any

from hub.store.postgresql.connection import connect, unavailable_on_failure

RATING_FIELDS = (
    "kiosk_id",
    "seq",
    "local_day",
    "local_hour",
    "time_ms",
    "face",
    "scale",
    "question",
    "reason",
    "misuse",
    "misuse_device",
    "time_flag",
    "received_ms",
)


class Exports:
    def __init__(self, url: str) -> None:
        self.url = url

    def _stream(self, sql: str, args: tuple[Any, ...]) -> Iterator[tuple[Any, ...]]:
        conn = connect(self.url)
        try:
            with unavailable_on_failure(), conn.transaction(), conn.cursor(name="hub_export") as cur:
                cur.itersize = 2000
                cur.execute(sql, args)
                yield from cur
        finally:
            conn.close()

    def ratings(
        self, location_id: str, first: date, last: date, *, start_ms: int, end_ms: int, include_misuse: bool
    ) -> Iterator[tuple[Any, ...]]:
        """One location's raw ratings in the local days (and instants) given, in time order: ``RATING_FIELDS``."""
        return self._stream(
            f"SELECT {', '.join(RATING_FIELDS)} FROM ratings WHERE location_id = %s AND time_ms >= %s"
            " AND time_ms < %s AND local_day BETWEEN %s AND %s"
            + ("" if include_misuse else " AND misuse = 0")
            + " ORDER BY time_ms, kiosk_id, seq",
            (location_id, start_ms, end_ms, first.isoformat(), last.isoformat()),
        )

    def daily(self, location_id: str, first: date, last: date) -> Iterator[tuple[Any, ...]]:
        """``(local_day, scale, misuse, f0..f4)`` of one location's daily rollup."""
        return self._stream(
            "SELECT local_day, scale, misuse, f0, f1, f2, f3, f4 FROM rollup_daily WHERE location_id = %s"
            " AND local_day BETWEEN %s AND %s ORDER BY local_day, scale, misuse",
            (location_id, first.isoformat(), last.isoformat()),
        )
