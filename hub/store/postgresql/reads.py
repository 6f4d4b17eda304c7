"""Read-side queries over the rollups on PostgreSQL (as ``hub.store.sqlite.reads``): counts for the dashboard's
reports. Days are local calendar days of each location (bucketed at ingest in its IANA zone); ``misuse`` rows
are left out unless asked for."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from hub.store.postgresql.connection import Db

_FACES = "sum(f0)::bigint, sum(f1)::bigint, sum(f2)::bigint, sum(f3)::bigint, sum(f4)::bigint"
_COLUMNS = [f"{kind}{face}" for kind in "fm" for face in range(5)]  # rollup_cum: f kept, m flagged as misuse
Counts = dict[int, list[int]]


def _misuse(include_misuse: bool) -> str:
    return "" if include_misuse else " AND misuse = 0"


class Reads:
    def __init__(self, db: Db) -> None:
        self.db = db

    def counts_by_scale(self, location_ids: list[str], first: date, last: date, *, include_misuse: bool) -> Counts:
        """``{scale: [count per face]}`` of the locations over the days."""
        if not location_ids:
            return {}
        rows = self.db.execute(
            "SELECT scale, face, sum(n)::bigint FROM rollup_hourly WHERE location_id = ANY(%s)"
            f" AND local_day BETWEEN %s AND %s{_misuse(include_misuse)} GROUP BY scale, face",
            (location_ids, first.isoformat(), last.isoformat()),
        ).fetchall()
        out: Counts = {}
        for scale, face, n in rows:
            out.setdefault(scale, [0] * scale)[face] = n
        return out

    def misuse_count(self, location_id: str, first: date, last: date) -> int:
        return int(
            self.db.scalar(
                "SELECT coalesce(sum(n), 0) FROM rollup_hourly WHERE location_id = %s AND local_day BETWEEN %s AND %s"
                " AND misuse = 1",
                (location_id, first.isoformat(), last.isoformat()),
            )
        )

    def period_counts(
        self, location_ids: list[str], periods: list[tuple[date, date]], *, include_misuse: bool
    ) -> dict[tuple[str, int], tuple[Counts, int]]:
        """``{(location, period index): ({scale: counts}, misuse_excluded)}`` for each ``(first, last)`` period.

        Reads the cumulative rollup: a period's counts are the running totals at its last day minus those at the
        day before it, so the cost is a few index seeks per location whatever the length of the range.
        """
        if not location_ids or not periods:
            return {}
        points = sorted({d for first, last in periods for d in (last, first - timedelta(days=1))})
        diffs = ", ".join(
            f"sum(CASE x.k WHEN {points.index(last)} THEN c.{col} WHEN {points.index(first - timedelta(days=1))}"
            f" THEN -c.{col} ELSE 0 END)::bigint"
            for first, last in periods
            for col in _COLUMNS
        )
        # per location and scale, per point: the last day with a row at or before the point (one index seek)
        rows = self.db.all(
            f"WITH x(k, day) AS (VALUES {', '.join('(%s::int, %s::text)' for _ in points)})"
            f" SELECT p.location_id, p.scale, {diffs} FROM rollup_scales p CROSS JOIN x"
            " JOIN LATERAL (SELECT * FROM rollup_cum d WHERE d.location_id = p.location_id AND d.scale = p.scale"
            " AND d.local_day <= x.day ORDER BY d.local_day DESC LIMIT 1) c ON true"
            " WHERE p.location_id = ANY(%s) GROUP BY p.location_id, p.scale",
            (*[v for i, d in enumerate(points) for v in (i, d.isoformat())], location_ids),
        )
        out: dict[tuple[str, int], tuple[Counts, int]] = {}
        for loc, scale, *values in rows:
            for i in range(len(periods)):
                kept = values[10 * i : 10 * i + scale]
                flagged = values[10 * i + 5 : 10 * i + 5 + scale]
                if include_misuse:
                    kept = [a + b for a, b in zip(kept, flagged, strict=True)]
                by_scale, excluded = out.get((loc, i)) or ({}, 0)
                if any(kept):
                    by_scale[scale] = kept
                out[(loc, i)] = (by_scale, excluded if include_misuse else excluded + sum(flagged))
        return out

    def daily(self, location_id: str, first: date, last: date, *, include_misuse: bool) -> list[tuple[Any, ...]]:
        """``(local_day, scale, f0, f1, f2, f3, f4)`` per day and scale, by day."""
        return self.db.execute(
            f"SELECT local_day, scale, {_FACES} FROM rollup_daily WHERE location_id = %s"
            f" AND local_day BETWEEN %s AND %s{_misuse(include_misuse)} GROUP BY local_day, scale ORDER BY local_day",
            (location_id, first.isoformat(), last.isoformat()),
        ).fetchall()

    def hour_cells(self, location_id: str, first: date, last: date, *, include_misuse: bool) -> list[tuple[Any, ...]]:
        """``(ISO weekday, local hour, scale, face, n)``."""
        return self.db.execute(
            "SELECT weekday, local_hour, scale, face, sum(n)::bigint FROM rollup_hourly WHERE location_id = %s"
            f" AND local_day BETWEEN %s AND %s{_misuse(include_misuse)} GROUP BY weekday, local_hour, scale, face",
            (location_id, first.isoformat(), last.isoformat()),
        ).fetchall()

    def kiosk_cells(self, location_id: str, first: date, last: date, *, include_misuse: bool) -> list[tuple[Any, ...]]:
        """``(kiosk_id, scale, face, n)`` of the taps counted for this location (a moved kiosk where it stood)."""
        return self.db.execute(
            "SELECT kiosk_id, scale, face, sum(n)::bigint FROM rollup_hourly WHERE location_id = %s"
            f" AND local_day BETWEEN %s AND %s{_misuse(include_misuse)} GROUP BY kiosk_id, scale, face",
            (location_id, first.isoformat(), last.isoformat()),
        ).fetchall()

    def kiosks_here(self, location_id: str) -> list[tuple[Any, ...]]:
        """``(kiosk_id, location_id, is_online, last_seen_ms)`` of the kiosks standing here now."""
        return self.db.execute(
            "SELECT k.id, k.location_id, s.is_online, s.last_seen_ms FROM kiosks k"
            " LEFT JOIN kiosk_state s ON s.kiosk_id = k.id WHERE k.location_id = %s",
            (location_id,),
        ).fetchall()

    def unhappy_reasons(
        self, location_id: str, first: date, last: date, *, include_misuse: bool
    ) -> tuple[int, list[tuple[str, int]]]:
        """Unhappy answers (faces below the middle of the scale) and ``(reason, n)`` given with them."""
        rows = self.db.execute(
            "SELECT reason, sum(n)::bigint FROM rollup_reasons WHERE location_id = %s AND local_day BETWEEN %s"
            f" AND %s AND face * 2 < scale - 1{_misuse(include_misuse)}"
            ' GROUP BY reason ORDER BY sum(n) DESC, reason COLLATE "C"',
            (location_id, first.isoformat(), last.isoformat()),
        ).fetchall()
        unhappy = self.db.scalar(
            "SELECT coalesce(sum(n), 0) FROM rollup_hourly WHERE location_id = %s AND local_day BETWEEN %s AND %s"
            f" AND face * 2 < scale - 1{_misuse(include_misuse)}",
            (location_id, first.isoformat(), last.isoformat()),
        )
        return int(unhappy), [(r, int(n)) for r, n in rows]

    def opening_hours_json(self, location_id: str) -> str | None:
        row = self.db.execute("SELECT opening_hours FROM locations WHERE id = %s", (location_id,)).fetchone()
        return row[0] if row else None
