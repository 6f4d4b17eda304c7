"""Read-side queries over the rollups: what managers see. Days are the location's local calendar days."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

import sqlite_utils

from feedback.scores import intervals_overlap, score

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


# ---------------------------------------------------------------------------------------------- dashboard
MIN_RESPONSES = 30  # below this many answers a score is shown with a "few answers" badge and not ranked
_FACES = "sum(f0), sum(f1), sum(f2), sum(f3), sum(f4)"


def _marks(n: int) -> str:
    return ",".join("?" * n)


def _add(into: dict[int, list[int]], scale: int, faces: tuple[int, ...]) -> None:
    row = into.setdefault(scale, [0] * scale)
    for face in range(scale):
        row[face] += faces[face]


def main_scale(by_scale: dict[int, list[int]]) -> int | None:
    """The scale most answers were given on (the one a distribution per face is drawn for)."""
    return max(by_scale, key=lambda sc: (sum(by_scale[sc]), sc)) if by_scale else None


def scored(by_scale: dict[int, list[int]], *, min_n: int = MIN_RESPONSES) -> dict[str, Any]:
    """Score fields for a count table, with the scale, counts per face and the few-answers flag."""
    main = main_scale(by_scale)
    s = score(by_scale)
    return {**s.as_dict(), "scale": main, "counts": by_scale[main] if main is not None else [],
            "is_low_n": s.total < min_n}


def period_counts(db: sqlite_utils.Database, location_ids: list[str], days: DayRange, previous: DayRange | None,
                  *, include_misuse: bool) -> dict[tuple[str, bool], tuple[dict[int, list[int]], int]]:
    """``{(location, is_current): ({scale: counts}, misuse_excluded)}`` from the daily rollup, one query."""
    if not location_ids:
        return {}
    first = (previous or days).first.isoformat()
    rows = db.conn.execute(
        f"SELECT location_id, local_day >= ?, scale, misuse, {_FACES} FROM rollup_daily"
        f" WHERE location_id IN ({_marks(len(location_ids))}) AND local_day BETWEEN ? AND ?"
        " GROUP BY location_id, local_day >= ?, scale, misuse",
        (days.first.isoformat(), *location_ids, first, days.last.isoformat(), days.first.isoformat()),
    ).fetchall()
    out: dict[tuple[str, bool], tuple[dict[int, list[int]], int]] = {}
    for loc, is_current, scale, misuse, *faces in rows:
        by_scale, excluded = out.get((loc, bool(is_current)), ({}, 0))
        if misuse and not include_misuse:
            excluded += sum(faces)
        else:
            _add(by_scale, scale, tuple(faces))
        out[(loc, bool(is_current))] = (by_scale, excluded)
    return out


def _change(now: float | None, before: float | None) -> float | None:
    return None if now is None or before is None else round(now - before, 1)


def overview(db: sqlite_utils.Database, locations: list[Any], days: DayRange, previous: DayRange, *,
             include_misuse: bool = False) -> dict[str, Any]:
    """One row per location: score now and in the previous period, change, few-answers flag; plus totals."""
    counts = period_counts(db, [loc.id for loc in locations], days, previous, include_misuse=include_misuse)
    rows = []
    all_now: dict[int, list[int]] = {}
    all_before: dict[int, list[int]] = {}
    for loc in locations:
        now, excluded = counts.get((loc.id, True), ({}, 0))
        before, _ = counts.get((loc.id, False), ({}, 0))
        for sc, c in now.items():
            _add(all_now, sc, tuple(c))
        for sc, c in before.items():
            _add(all_before, sc, tuple(c))
        cur, prev = scored(now), scored(before)
        rows.append({
            "id": loc.id, "name": loc.name, "region_id": loc.region_id, "timezone": loc.timezone, **cur,
            "misuse_excluded": excluded,
            "previous": {k: prev[k] for k in ("total", "happy_index", "pct_positive")},
            "change_index": _change(cur["happy_index"], prev["happy_index"]),
            "change_pct_positive": _change(cur["pct_positive"], prev["pct_positive"]),
        })
    total_now, total_before = scored(all_now), scored(all_before)
    return {"min_n": MIN_RESPONSES, "include_misuse": include_misuse, "locations": rows,
            "all": {**total_now, "previous": {k: total_before[k] for k in ("total", "happy_index", "pct_positive")},
                    "change_index": _change(total_now["happy_index"], total_before["happy_index"])}}


def compare(db: sqlite_utils.Database, locations: list[Any], days: DayRange, *,
            include_misuse: bool = False) -> dict[str, Any]:
    """Locations ranked by Happy Index with their 95 % intervals.

    Only locations with at least ``MIN_RESPONSES`` answers get a rank; ``overlaps_next`` marks a rank whose
    interval overlaps the next one's: the difference between the two is not significant.
    """
    counts = period_counts(db, [loc.id for loc in locations], days, None, include_misuse=include_misuse)
    items = []
    for loc in locations:
        by_scale, _ = counts.get((loc.id, True), ({}, 0))
        items.append((loc, score(by_scale), scored(by_scale)))
    ranked = sorted((it for it in items if not it[2]["is_low_n"]), key=lambda it: -(it[1].happy_index or 0.0))
    unranked = sorted((it for it in items if it[2]["is_low_n"]), key=lambda it: (-it[1].total, it[0].name))
    rows = []
    for i, (loc, s, fields) in enumerate(ranked):
        nxt = ranked[i + 1][1] if i + 1 < len(ranked) else None
        rows.append({
            "rank": i + 1, "id": loc.id, "name": loc.name, "region_id": loc.region_id, **fields,
            "overlaps_next": None if nxt is None else intervals_overlap(s, nxt),
        })
    for loc, _, fields in unranked:
        rows.append({"rank": None, "id": loc.id, "name": loc.name, "region_id": loc.region_id, **fields,
                     "overlaps_next": None})
    return {"min_n": MIN_RESPONSES, "include_misuse": include_misuse, "locations": rows}
