"""Beyond one period: the same period last year, and a summary per region. Pure over the store's counts."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from feedback.scores import score_many
from hub.reports.ranges import MAX_RANGE_DAYS, DayRange
from hub.reports.scoring import NONE, ByPeriod, period_counts, scored
from hub.store import Store


def year_before(day: date) -> date:
    """The same calendar day a year earlier (29 February becomes the 28th)."""
    return day.replace(year=day.year - 1, day=28) if (day.month, day.day) == (2, 29) else day.replace(year=day.year - 1)


def year_ago_of(days: DayRange) -> DayRange:
    """The same days a year earlier (a leap day can make it one day longer: the longest range is kept)."""
    first, last = year_before(days.first), year_before(days.last)
    return DayRange(max(first, last - timedelta(days=MAX_RANGE_DAYS - 1)), last)


def _sum(into: dict[int, list[int]], by_scale: dict[int, list[int]]) -> None:
    for scale, counts in by_scale.items():
        row = into.setdefault(scale, [0] * scale)
        for face, n in enumerate(counts):
            row[face] += n


def _change(now: float | None, before: float | None) -> float | None:
    return None if now is None or before is None else round(now - before, 1)


def year_ago(
    store: Store,
    locations: list[Any],
    days: DayRange,
    *,
    include_misuse: bool,
    include_closed: bool = False,
    question: str | None = None,
) -> dict[str, Any]:
    """``{"by_location": {id: {total, happy_index, pct_positive}}, "all": {...}}`` for the same days a year ago
    (of ``question``'s answers only when given)."""
    ids = [loc.id for loc in locations]
    counts = period_counts(
        store,
        ids,
        year_ago_of(days),
        None,
        include_misuse=include_misuse,
        include_closed=include_closed,
        question=question,
    )
    every: dict[int, list[int]] = {}
    out: dict[str, dict[str, Any]] = {}
    for loc in locations:
        by_scale = counts.get((loc.id, True), NONE).by_scale
        _sum(every, by_scale)
        s = score_many(by_scale)
        out[loc.id] = {"total": s.total, "happy_index": s.happy_index, "pct_positive": s.pct_positive}
    s = score_many(every)
    return {"by_location": out, "all": {"total": s.total, "happy_index": s.happy_index, "pct_positive": s.pct_positive}}


def regions(
    store: Store,
    locations: list[Any],
    days: DayRange,
    previous: DayRange,
    *,
    include_misuse: bool,
    include_closed: bool = False,
    question: str | None = None,
    counts: ByPeriod | None = None,
) -> list[dict[str, Any]]:
    """One row per region of the caller's locations (``id: null`` for those without one): score, change against
    the previous period, stores counted (of ``question``'s answers only when given); ``counts``: those of
    ``period_counts`` for these days when already read."""
    ids = [loc.id for loc in locations]
    if counts is None:
        counts = period_counts(
            store, ids, days, previous, include_misuse=include_misuse, include_closed=include_closed, question=question
        )
    names = dict(store.registry.regions())
    now: dict[str | None, dict[int, list[int]]] = {}
    before: dict[str | None, dict[int, list[int]]] = {}
    stores: dict[str | None, int] = {}  # locations per region
    for loc in locations:
        stores[loc.region_id] = stores.get(loc.region_id, 0) + 1
        _sum(now.setdefault(loc.region_id, {}), counts.get((loc.id, True), NONE).by_scale)
        _sum(before.setdefault(loc.region_id, {}), counts.get((loc.id, False), NONE).by_scale)
    rows = []
    for rid in sorted(stores, key=lambda r: (r is None, names.get(r or "", r or ""))):
        cur, prev = scored(now[rid]), score_many(before[rid])
        rows.append(
            {
                "id": rid,
                "name": names.get(rid) if rid else None,
                "location_count": stores[rid],
                **cur,
                "previous": {"total": prev.total, "happy_index": prev.happy_index, "pct_positive": prev.pct_positive},
                "change_index": _change(cur["happy_index"], prev.happy_index),
            }
        )
    return rows
