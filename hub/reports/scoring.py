"""Scores for what managers see: per location, over all of them, ranked. Pure over the store's counts; days are
each location's local calendar days."""

from __future__ import annotations

from datetime import date
from typing import Any

from feedback.scores import Score, intervals_overlap, score, score_many
from hub.reports.ranges import DayRange
from hub.store import Store
from hub.store.records import PeriodCounts


def summary(
    store: Store, location_id: str, days: DayRange, *, include_misuse: bool = False, include_closed: bool = False
) -> dict[str, Any]:
    """Totals, counts per face, Happy Index, % positive and 95 % interval for one location."""
    by_scale = store.reads.counts_by_scale(
        [location_id], days.first, days.last, include_misuse=include_misuse, include_closed=include_closed
    )
    s = score(by_scale)
    main = max(by_scale, key=lambda sc: sum(by_scale[sc])) if by_scale else None
    misuse = store.reads.misuse_count(location_id, days.first, days.last)
    return {
        "location_id": location_id,
        "from": days.first.isoformat(),
        "to": days.last.isoformat(),
        **s.as_dict(),
        "scale": main,
        "counts": by_scale[main] if main is not None else [],
        "counts_by_scale": {str(k): v for k, v in sorted(by_scale.items())},
        "misuse_excluded": 0 if include_misuse else misuse,
        "closed_excluded": 0
        if include_closed
        else store.reads.closed_count(location_id, days.first, days.last, include_misuse=include_misuse),
        "include_misuse": include_misuse,
        "include_closed": include_closed,
    }


# ---------------------------------------------------------------------------------------------- dashboard
MIN_RESPONSES = 30  # below this many answers a score is shown with a "few answers" badge and not ranked


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


ByPeriod = dict[tuple[str, bool], PeriodCounts]  # (location, is_current period) -> its counts
NONE = PeriodCounts({})  # a location without answers in a period


def period_counts(
    store: Store,
    location_ids: list[str],
    days: DayRange,
    previous: DayRange | None,
    *,
    include_misuse: bool,
    include_closed: bool = False,
    question: str | None = None,
) -> ByPeriod:
    """``{(location, is_current): PeriodCounts}`` for the range and the previous one; with
    ``question``, of that question's answers only (see ``_question_counts``)."""
    periods = [(days.first, days.last)] + ([(previous.first, previous.last)] if previous is not None else [])
    if question is None:
        counts = store.reads.period_counts(
            location_ids, periods, include_misuse=include_misuse, include_closed=include_closed
        )
    else:
        counts = _question_counts(
            store,
            location_ids,
            periods,
            question=question,
            include_misuse=include_misuse,
            include_closed=include_closed,
        )
    return {(loc, i == 0): value for (loc, i), value in counts.items()}


def _question_counts(
    store: Store,
    location_ids: list[str],
    periods: list[tuple[date, date]],
    *,
    question: str,
    include_misuse: bool,
    include_closed: bool = False,
) -> dict[tuple[str, int], PeriodCounts]:
    """One question's counts per location and period. The rollups pool questions, so where ``question`` was the
    only one answered at a store in a period (the usual case: questions change seldom) they hold exactly its
    answers and are read as they are; only where several were answered are the raw ratings counted."""
    out: dict[tuple[str, int], PeriodCounts] = {}
    for i, (first, last) in enumerate(periods):
        answered = store.questions.answered_in(location_ids, first, last)
        alone = [loc for loc in location_ids if answered.get(loc) == {question}]
        mixed = [loc for loc in location_ids if question in answered.get(loc, ()) and len(answered[loc]) > 1]
        pooled = store.reads.period_counts(
            alone, [(first, last)], include_misuse=include_misuse, include_closed=include_closed
        )
        raw = store.questions.period_counts(
            mixed, [(first, last)], question=question, include_misuse=include_misuse, include_closed=include_closed
        )
        for part in (pooled, raw):
            out.update({(loc, i): value for (loc, _), value in part.items()})
    return out


def _change(now: float | None, before: float | None) -> float | None:
    return None if now is None or before is None else round(now - before, 1)


def asked_where(store: Store, locations: list[Any], question: str | None) -> set[str] | None:
    """The ids of the locations that ever got an answer to ``question`` (None without a question)."""
    return None if question is None else store.questions.answered_at([loc.id for loc in locations], question)


def overview(
    store: Store,
    locations: list[Any],
    days: DayRange,
    previous: DayRange,
    *,
    include_misuse: bool = False,
    include_closed: bool = False,
    question: str | None = None,
    counts: ByPeriod | None = None,
) -> dict[str, Any]:
    """One row per location: score now and in the previous period, change, few-answers flag; plus totals. With
    ``question``: its answers only, and ``was_asked`` false for a store that never got an answer to it.
    ``counts``: ``period_counts`` of these days already read (the overview route shares them with the regions)."""
    ids = [loc.id for loc in locations]
    if counts is None:
        counts = period_counts(
            store, ids, days, previous, include_misuse=include_misuse, include_closed=include_closed, question=question
        )
    asked = asked_where(store, locations, question)
    rows = []
    all_now: dict[int, list[int]] = {}
    all_before: dict[int, list[int]] = {}
    for loc in locations:
        now, excluded, closed = counts.get((loc.id, True), NONE)
        before = counts.get((loc.id, False), NONE).by_scale
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
                "closed_excluded": closed,
                "previous": {"total": prev.total, "happy_index": prev.happy_index, "pct_positive": prev.pct_positive},
                "change_index": _change(cur["happy_index"], prev.happy_index),
                "change_pct_positive": _change(cur["pct_positive"], prev.pct_positive),
                "was_asked": None if asked is None else loc.id in asked,
            }
        )
    total_now, total_before = scored(all_now), scored(all_before)
    return {
        "min_n": MIN_RESPONSES,
        "include_misuse": include_misuse,
        "include_closed": include_closed,
        "question": question,
        "locations": rows,
        "all": {
            **total_now,
            "previous": {k: total_before[k] for k in ("total", "happy_index", "pct_positive")},
            "change_index": _change(total_now["happy_index"], total_before["happy_index"]),
        },
    }


def compare(
    store: Store,
    locations: list[Any],
    days: DayRange,
    *,
    include_misuse: bool = False,
    include_closed: bool = False,
    question: str | None = None,
) -> dict[str, Any]:
    """Locations ranked by Happy Index with their 95 % intervals (of ``question``'s answers only when given).

    Only locations with at least ``MIN_RESPONSES`` answers get a rank; ``overlaps_next`` marks a rank whose
    interval overlaps the next one's: the difference between the two is not significant.
    """
    ids = [loc.id for loc in locations]
    counts = period_counts(
        store, ids, days, None, include_misuse=include_misuse, include_closed=include_closed, question=question
    )
    asked = asked_where(store, locations, question)
    items = []
    for loc in locations:
        by_scale = counts.get((loc.id, True), NONE).by_scale
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
                "was_asked": None if asked is None else loc.id in asked,
            }
        )
    for loc, _, fields in unranked:
        was_asked = None if asked is None else loc.id in asked
        rows.append(
            {
                "rank": None,
                "id": loc.id,
                "name": loc.name,
                "region_id": loc.region_id,
                **fields,
                "overlaps_next": None,
                "was_asked": was_asked,
            }
        )
    return {
        "min_n": MIN_RESPONSES,
        "include_misuse": include_misuse,
        "include_closed": include_closed,
        "question": question,
        "locations": rows,
    }
