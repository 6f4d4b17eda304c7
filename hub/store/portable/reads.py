"""Read-side queries over the rollups: counts for the dashboard's reports. Days are local calendar days of each
location (bucketed at ingest in its IANA zone). Flagged answers (misuse, outside opening hours: the rollups'
``misuse`` column holds both, ``hub.reports.flags``) are left out unless asked for."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from hub.reports.flags import MISUSE, OUTSIDE_HOURS, VALUES, counted, left_out_as
from hub.store.engine import Db, Engine
from hub.store.portable.cumulative import COLUMNS, GROUPS
from hub.store.records import PeriodCounts

_FACES = "sum(f0), sum(f1), sum(f2), sum(f3), sum(f4)"
Counts = dict[int, list[int]]


def _misuse(include_misuse: bool, include_closed: bool = False) -> str:
    """The condition on the rollups' flags column for the answers a report counts."""
    kept = counted(include_misuse=include_misuse, include_closed=include_closed)
    return "" if len(kept) == len(VALUES) else f" AND misuse IN ({', '.join(map(str, kept))})"


def _marks(n: int) -> str:
    return ",".join("?" * n)


class Reads:
    def __init__(self, conn: Db, engine: Engine) -> None:
        self.engine = engine
        self.conn = conn

    def counts_by_scale(
        self, location_ids: list[str], first: date, last: date, *, include_misuse: bool, include_closed: bool = False
    ) -> Counts:
        """``{scale: [count per face]}`` of the locations over the days."""
        if not location_ids:
            return {}
        rows = self.conn.execute(
            f"SELECT scale, face, sum(n) FROM rollup_hourly WHERE location_id IN ({_marks(len(location_ids))})"
            f" AND local_day BETWEEN ? AND ?{_misuse(include_misuse, include_closed)} GROUP BY scale, face",
            (*location_ids, first.isoformat(), last.isoformat()),
        ).fetchall()
        out: Counts = {}
        for scale, face, n in rows:
            out.setdefault(scale, [0] * scale)[face] = n
        return out

    def misuse_count(self, location_id: str, first: date, last: date) -> int:
        """Answers flagged as misuse (whatever their other flag)."""
        return self._flagged(location_id, first, last, (MISUSE, MISUSE | OUTSIDE_HOURS))

    def closed_count(self, location_id: str, first: date, last: date, *, include_misuse: bool) -> int:
        """Answers given outside opening hours, less those already counted as misuse when misuse is left out."""
        values = (OUTSIDE_HOURS,) if not include_misuse else (OUTSIDE_HOURS, MISUSE | OUTSIDE_HOURS)
        return self._flagged(location_id, first, last, values)

    def _flagged(self, location_id: str, first: date, last: date, values: tuple[int, ...]) -> int:
        return int(
            self.conn.execute(
                "SELECT coalesce(sum(n), 0) FROM rollup_hourly WHERE location_id = ? AND local_day BETWEEN ? AND ?"
                f" AND misuse IN ({', '.join(map(str, values))})",
                (location_id, first.isoformat(), last.isoformat()),
            ).fetchone()[0]
        )

    def period_counts(
        self,
        location_ids: list[str],
        periods: list[tuple[date, date]],
        *,
        include_misuse: bool,
        include_closed: bool = False,
    ) -> dict[tuple[str, int], PeriodCounts]:
        """``{(location, period index): PeriodCounts}`` for each ``(first, last)`` period.

        Reads the cumulative rollup: a period's counts are the running totals at its last day minus those at the
        day before it, so the cost is a few index seeks per location whatever the length of the range.
        """
        if not location_ids or not periods:
            return {}
        points = sorted({d for first, last in periods for d in (last, first - timedelta(days=1))})
        diffs = ", ".join(
            f"sum(CASE x.k WHEN {points.index(last)} THEN c.{col} WHEN {points.index(first - timedelta(days=1))}"
            f" THEN -c.{col} ELSE 0 END)"
            for first, last in periods
            for col in COLUMNS
        )
        # per location and scale, per point: one seek for the last day with a row at or before the point and one for
        # that row (SQLite's CROSS JOIN fixes that loop order: left to itself its planner scans a location's rows)
        rows = self.conn.execute(
            f"WITH x(k, day) AS (VALUES {', '.join('(?, ?)' for _ in points)})"
            f" SELECT p.location_id, p.scale, {diffs} FROM rollup_scales p"
            f" CROSS JOIN x {self.engine.ordered_join} rollup_cum c"
            " ON c.location_id = p.location_id AND c.scale = p.scale"
            " AND c.local_day = (SELECT d.local_day FROM rollup_cum d WHERE d.location_id = p.location_id"
            " AND d.scale = p.scale AND d.local_day <= x.day ORDER BY d.local_day DESC LIMIT 1)"
            f" WHERE p.location_id IN ({_marks(len(location_ids))}) GROUP BY p.location_id, p.scale",
            (*[v for i, d in enumerate(points) for v in (i, d.isoformat())], *location_ids),
        ).fetchall()
        kept_values = counted(include_misuse=include_misuse, include_closed=include_closed)
        width = len(COLUMNS)
        out: dict[tuple[str, int], PeriodCounts] = {}
        for loc, scale, *values in rows:
            for i in range(len(periods)):
                kept = [0] * scale
                left_out = {"misuse": 0, "closed": 0}
                for value in range(len(GROUPS)):
                    faces = values[width * i + 5 * value : width * i + 5 * value + scale]
                    if value in kept_values:
                        kept = [a + b for a, b in zip(kept, faces, strict=True)]
                    else:
                        left_out[left_out_as(value, include_misuse=include_misuse) or "closed"] += sum(faces)
                got = out.get((loc, i)) or PeriodCounts({})
                if any(kept):
                    got.by_scale[scale] = kept
                out[(loc, i)] = PeriodCounts(
                    got.by_scale, got.misuse_excluded + left_out["misuse"], got.closed_excluded + left_out["closed"]
                )
        return out

    def daily(
        self, location_id: str, first: date, last: date, *, include_misuse: bool, include_closed: bool = False
    ) -> list[tuple[Any, ...]]:
        """``(local_day, scale, f0, f1, f2, f3, f4)`` per day and scale, by day."""
        return self.conn.execute(
            f"SELECT local_day, scale, {_FACES} FROM rollup_daily WHERE location_id = ? AND local_day BETWEEN ? AND ?"
            f"{_misuse(include_misuse, include_closed)} GROUP BY local_day, scale ORDER BY local_day",
            (location_id, first.isoformat(), last.isoformat()),
        ).fetchall()

    def hour_cells(
        self, location_id: str, first: date, last: date, *, include_misuse: bool, include_closed: bool = False
    ) -> list[tuple[Any, ...]]:
        """``(ISO weekday, local hour, scale, face, n)``."""
        return self.conn.execute(
            "SELECT weekday, local_hour, scale, face, sum(n) FROM rollup_hourly WHERE location_id = ?"
            f" AND local_day BETWEEN ? AND ?{_misuse(include_misuse, include_closed)}"
            " GROUP BY weekday, local_hour, scale, face",
            (location_id, first.isoformat(), last.isoformat()),
        ).fetchall()

    def kiosk_cells(
        self, location_id: str, first: date, last: date, *, include_misuse: bool, include_closed: bool = False
    ) -> list[tuple[Any, ...]]:
        """``(kiosk_id, scale, face, n)`` of the taps counted for this location (a moved kiosk where it stood)."""
        return self.conn.execute(
            "SELECT kiosk_id, scale, face, sum(n) FROM rollup_hourly WHERE location_id = ?"
            f" AND local_day BETWEEN ? AND ?{_misuse(include_misuse, include_closed)} GROUP BY kiosk_id, scale, face",
            (location_id, first.isoformat(), last.isoformat()),
        ).fetchall()

    def kiosks_here(self, location_id: str) -> list[tuple[Any, ...]]:
        """``(kiosk_id, location_id, is_online, last_seen_ms)`` of the kiosks standing here now."""
        return self.conn.execute(
            "SELECT k.id, k.location_id, s.is_online, s.last_seen_ms FROM kiosks k"
            " LEFT JOIN kiosk_state s ON s.kiosk_id = k.id WHERE k.location_id = ?",
            (location_id,),
        ).fetchall()

    def unhappy_reasons(
        self, location_id: str, first: date, last: date, *, include_misuse: bool, include_closed: bool = False
    ) -> tuple[int, list[tuple[str, int]]]:
        """Unhappy answers (faces below the middle of the scale) and ``(reason, n)`` given with them."""
        rows = self.conn.execute(
            "SELECT reason, sum(n) FROM rollup_reasons WHERE location_id = ? AND local_day BETWEEN ? AND ?"
            f" AND face * 2 < scale - 1{_misuse(include_misuse, include_closed)}"
            " GROUP BY reason ORDER BY sum(n) DESC, reason",
            (location_id, first.isoformat(), last.isoformat()),
        ).fetchall()
        unhappy = self.conn.execute(
            "SELECT coalesce(sum(n), 0) FROM rollup_hourly WHERE location_id = ? AND local_day BETWEEN ? AND ?"
            f" AND face * 2 < scale - 1{_misuse(include_misuse, include_closed)}",
            (location_id, first.isoformat(), last.isoformat()),
        ).fetchone()[0]
        return int(unhappy), [(r, int(n)) for r, n in rows]

    def opening_hours_json(self, location_id: str) -> str | None:
        row = self.conn.execute("SELECT opening_hours FROM locations WHERE id = ?", (location_id,)).fetchone()
        return row[0] if row else None
