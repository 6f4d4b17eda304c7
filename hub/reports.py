"""Read-side queries over the rollups: what managers see. Days are the location's local calendar days."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import sqlite_utils

from feedback.scores import Score, intervals_overlap, score, score_many

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


def counts_by_scale(
    db: sqlite_utils.Database, location_ids: list[str], days: DayRange, *, include_misuse: bool = False
) -> dict[int, list[int]]:
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


def summary(
    db: sqlite_utils.Database, location_id: str, days: DayRange, *, include_misuse: bool = False
) -> dict[str, Any]:
    """Totals, counts per face, Happy Index, % positive and 95 % interval for one location."""
    by_scale = counts_by_scale(db, [location_id], days, include_misuse=include_misuse)
    s = score(by_scale)
    main = max(by_scale, key=lambda sc: sum(by_scale[sc])) if by_scale else None
    misuse_row = db.conn.execute(
        "SELECT coalesce(sum(n), 0) FROM rollup_hourly WHERE location_id = ? AND local_day BETWEEN ? AND ?"
        " AND misuse = 1",
        (location_id, days.first.isoformat(), days.last.isoformat()),
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
_COLUMNS = [f"{kind}{face}" for kind in "fm" for face in range(5)]  # rollup_cum: f kept, m flagged as misuse


def _marks(n: int) -> str:
    return ",".join("?" * n)


def _add(into: dict[int, list[int]], scale: int, faces: tuple[int, ...]) -> None:
    row = into.setdefault(scale, [0] * scale)
    for face in range(scale):
        row[face] += faces[face]


def main_scale(by_scale: dict[int, list[int]]) -> int | None:
    """The scale most answers were given on (the one a distribution per face is drawn for)."""
    if len(by_scale) == 1:
        return next(iter(by_scale))
    return max(by_scale, key=lambda sc: (sum(by_scale[sc]), sc)) if by_scale else None


def scored(by_scale: dict[int, list[int]], *, min_n: int = MIN_RESPONSES, s: Score | None = None) -> dict[str, Any]:
    """Score fields for a count table, with the scale, counts per face and the few-answers flag."""
    main = main_scale(by_scale)
    s = s or score_many(by_scale)
    return {
        "total": s.total,
        "happy_index": s.happy_index,
        "pct_positive": s.pct_positive,
        "ci95": None if s.ci_low is None else [s.ci_low, s.ci_high],
        "scale": main,
        "counts": by_scale[main] if main is not None else [],
        "is_low_n": s.total < min_n,
    }


def period_counts(
    db: sqlite_utils.Database,
    location_ids: list[str],
    days: DayRange,
    previous: DayRange | None,
    *,
    include_misuse: bool,
) -> dict[tuple[str, bool], tuple[dict[int, list[int]], int]]:
    """``{(location, is_current): ({scale: counts}, misuse_excluded)}`` for the range and the previous one.

    Reads the cumulative rollup: a period's counts are the running totals at its last day minus those at the
    day before it, so the cost is a few index seeks per location whatever the length of the range.
    """
    if not location_ids:
        return {}
    periods = [(True, days)] + ([(False, previous)] if previous is not None else [])
    points = sorted({d for _, r in periods for d in (r.last, r.first - timedelta(days=1))})
    diffs = ", ".join(
        f"sum(CASE x.k WHEN {points.index(r.last)} THEN c.{col} WHEN {points.index(r.first - timedelta(days=1))}"
        f" THEN -c.{col} ELSE 0 END)"
        for _, r in periods
        for col in _COLUMNS
    )
    # CROSS JOIN fixes the loop order: per location and scale, per point, one seek for the last day with a row
    # at or before the point and one for that row (left to itself the planner scans a location's rows)
    rows = db.conn.execute(
        f"WITH x(k, day) AS (VALUES {', '.join('(?, ?)' for _ in points)})"
        f" SELECT p.location_id, p.scale, {diffs} FROM rollup_scales p"
        " CROSS JOIN x CROSS JOIN rollup_cum c ON c.location_id = p.location_id AND c.scale = p.scale"
        " AND c.local_day = (SELECT d.local_day FROM rollup_cum d WHERE d.location_id = p.location_id"
        " AND d.scale = p.scale AND d.local_day <= x.day ORDER BY d.local_day DESC LIMIT 1)"
        f" WHERE p.location_id IN ({_marks(len(location_ids))}) GROUP BY p.location_id, p.scale",
        (*[v for i, d in enumerate(points) for v in (i, d.isoformat())], *location_ids),
    ).fetchall()
    out: dict[tuple[str, bool], tuple[dict[int, list[int]], int]] = {}
    for loc, scale, *values in rows:
        for i, (is_current, _) in enumerate(periods):
            kept = values[10 * i : 10 * i + scale]
            flagged = values[10 * i + 5 : 10 * i + 5 + scale]
            if include_misuse:
                kept = [a + b for a, b in zip(kept, flagged, strict=True)]
            by_scale, excluded = out.get((loc, is_current)) or ({}, 0)
            if any(kept):
                by_scale[scale] = kept
            out[(loc, is_current)] = (by_scale, excluded if include_misuse else excluded + sum(flagged))
    return out


def _change(now: float | None, before: float | None) -> float | None:
    return None if now is None or before is None else round(now - before, 1)


def overview(
    db: sqlite_utils.Database, locations: list[Any], days: DayRange, previous: DayRange, *, include_misuse: bool = False
) -> dict[str, Any]:
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
        cur, prev = scored(now), score_many(before)
        rows.append(
            {
                "id": loc.id,
                "name": loc.name,
                "region_id": loc.region_id,
                "timezone": loc.timezone,
                **cur,
                "misuse_excluded": excluded,
                "previous": {"total": prev.total, "happy_index": prev.happy_index, "pct_positive": prev.pct_positive},
                "change_index": _change(cur["happy_index"], prev.happy_index),
                "change_pct_positive": _change(cur["pct_positive"], prev.pct_positive),
            }
        )
    total_now, total_before = scored(all_now), scored(all_before)
    return {
        "min_n": MIN_RESPONSES,
        "include_misuse": include_misuse,
        "locations": rows,
        "all": {
            **total_now,
            "previous": {k: total_before[k] for k in ("total", "happy_index", "pct_positive")},
            "change_index": _change(total_now["happy_index"], total_before["happy_index"]),
        },
    }


def compare(
    db: sqlite_utils.Database, locations: list[Any], days: DayRange, *, include_misuse: bool = False
) -> dict[str, Any]:
    """Locations ranked by Happy Index with their 95 % intervals.

    Only locations with at least ``MIN_RESPONSES`` answers get a rank; ``overlaps_next`` marks a rank whose
    interval overlaps the next one's: the difference between the two is not significant.
    """
    counts = period_counts(db, [loc.id for loc in locations], days, None, include_misuse=include_misuse)
    items = []
    for loc in locations:
        by_scale, _ = counts.get((loc.id, True), ({}, 0))
        s = score_many(by_scale)
        items.append((loc, s, scored(by_scale, s=s)))
    ranked = sorted((it for it in items if not it[2]["is_low_n"]), key=lambda it: -(it[1].happy_index or 0.0))
    unranked = sorted((it for it in items if it[2]["is_low_n"]), key=lambda it: (-it[1].total, it[0].name))
    rows = []
    for i, (loc, s, fields) in enumerate(ranked):
        nxt = ranked[i + 1][1] if i + 1 < len(ranked) else None
        rows.append(
            {
                "rank": i + 1,
                "id": loc.id,
                "name": loc.name,
                "region_id": loc.region_id,
                **fields,
                "overlaps_next": None if nxt is None else intervals_overlap(s, nxt),
            }
        )
    for loc, _, fields in unranked:
        rows.append(
            {"rank": None, "id": loc.id, "name": loc.name, "region_id": loc.region_id, **fields, "overlaps_next": None}
        )
    return {"min_n": MIN_RESPONSES, "include_misuse": include_misuse, "locations": rows}
