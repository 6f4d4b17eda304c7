"""Rows for the CSV exports, streamed from a connection of their own through a server-side cursor (no row cap,
constant memory)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from typing import Any

from hub.reports.flags import SQL as FLAGS_SQL
from hub.store.postgresql.connection import Conn, translate
from hub.store.sqlite.exports import RATING_FIELDS

__all__ = ["RATING_FIELDS", "Exports"]


class Exports:
    def __init__(self, url: str) -> None:
        self.url = url

    def _stream(self, sql: str, args: tuple[Any, ...]) -> Iterator[tuple[Any, ...]]:
        conn = Conn(self.url)
        try:
            with conn.raw.transaction(), conn.raw.cursor(name="hub_export") as cur:
                text, order = translate(sql)
                assert order is None, "plain ? placeholders"
                cur.execute(text, args)
                yield from cur
        finally:
            conn.close()

    def ratings(
        self,
        location_id: str,
        first: date,
        last: date,
        *,
        start_ms: int,
        end_ms: int,
        include_misuse: bool,
        include_closed: bool = False,
        question: str | None = None,
    ) -> Iterator[tuple[Any, ...]]:
        """One location's raw ratings in the local days (and instants) given, in time order: ``RATING_FIELDS``;
        only the answers to ``question`` when given."""
        return self._stream(
            f"SELECT {', '.join(RATING_FIELDS)} FROM ratings WHERE location_id = ? AND time_ms >= ?"
            " AND time_ms < ? AND local_day BETWEEN ? AND ?"
            + ("" if include_misuse else " AND misuse = 0")
            + ("" if include_closed else " AND closed = 0")
            + ("" if question is None else " AND question = ?")
            + " ORDER BY time_ms, kiosk_id, seq",
            (location_id, start_ms, end_ms, first.isoformat(), last.isoformat())
            + (() if question is None else (question,)),
        )

    def daily(
        self, location_id: str, first: date, last: date, *, question: str | None = None
    ) -> Iterator[tuple[Any, ...]]:
        """``(local_day, scale, flags, f0..f4)`` of one location's daily rollup (``hub.reports.flags``), or with
        ``question`` the same counted from that question's raw ratings (the rollups pool every question)."""
        days = (location_id, first.isoformat(), last.isoformat())
        if question is None:
            return self._stream(
                "SELECT local_day, scale, misuse, f0, f1, f2, f3, f4 FROM rollup_daily WHERE location_id = ?"
                " AND local_day BETWEEN ? AND ? ORDER BY local_day, scale, misuse",
                days,
            )
        faces = ", ".join(f"count(*) FILTER (WHERE face = {f})" for f in range(5))
        return self._stream(
            f"SELECT local_day, scale, {FLAGS_SQL} AS flags, {faces} FROM ratings WHERE location_id = ?"
            " AND local_day BETWEEN ? AND ? AND question = ?"
            " GROUP BY local_day, scale, flags ORDER BY local_day, scale, flags",
            (*days, question),
        )
