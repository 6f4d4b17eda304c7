"""Read-side queries over the rollups: what managers see. Days are the location's local calendar days."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

import sqlite_utils

from feedback.scores import score

MAX_RANGE_DAYS = 3660


class BadRange(ValueError):
    """A date range that is reversed or too long."""


@dataclass(frozen=True, slots=True)
class DayRange:
    first: date
    last: date

    def __post_init__(self) -> None:
        if self.last < self.first:
            raise BadRange(f"'to' ({self.last}) is before 'from' ({self.first})")
        if (self.last - self.first).days >= MAX_RANGE_DAYS:
            raise BadRange(f"a range may span at most {MAX_RANGE_DAYS} days")


def _misuse_filter(include_misuse: bool) -> str:
    return "" if include_misuse else " AND misuse = 0"


def counts_by_scale(db: sqlite_utils.Database, location_ids: list[str], days: DayRange, *,
                    include_misuse: bool = False) -> dict[int, list[int]]:
    if not location_ids:
        return {}
    marks = ",".join("?" * len(location_ids))
    rows = db.conn.execute(
        f"SELECT scale, face, sum(n) FROM rollup_hourly WHERE location_id IN ({marks})"
        f" AND local_day BETWEEN ? AND ?{_misuse_filter(include_misuse)} GROUP BY scale, face",
        (*location_ids, days.first.isoformat(), days.last.isoformat()),
    ).fetchall()
    out: dict[int, list[int]] = {}
    for scale, face, n in rows:
        out.setdefault(scale, [0] * scale)[face] = n
    return out


def summary(db: sqlite_utils.Database, location_id: str, days: DayRange, *,
            include_misuse: bool = False) -> dict[str, Any]:
    """Totals, counts per face, Happy Index, % positive and 95 % interval for one location."""
    by_scale = counts_by_scale(db, [location_id], days, include_misuse=include_misuse)
    s = score(by_scale)
    main = max(by_scale, key=lambda sc: sum(by_scale[sc])) if by_scale else None
    misuse_row = db.conn.execute(
        "SELECT coalesce(sum(n), 0) FROM rollup_hourly WHERE location_id = ? AND local_day BETWEEN ? AND ?"
        " AND misuse = 1", (location_id, days.first.isoformat(), days.last.isoformat()),
    ).fetchone()
    return {
        "location_id": location_id,
        "from": days.first.isoformat(),
        "to": days.last.isoformat(),
        **s.as_dict(),
        "scale": main,
        "counts": by_scale[main] if main is not None else [],
        "counts_by_scale": {str(k): v for k, v in sorted(by_scale.items())},
        "misuse_excluded": 0 if include_misuse else misuse_row[0],
        "include_misuse": include_misuse,
    }
