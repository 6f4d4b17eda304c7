"""Results per question: which question was asked when (with its texts per language and their history), a store
report narrowed to one question, and a trend split per question so two questions never blend into one index.

Reads ``store.questions`` (raw ratings, indexed by location, question and day); the rollups pool questions.
"""

from __future__ import annotations

from typing import Any

from feedback.scores import score
from hub.reports.location import _bucket
from hub.reports.ranges import DayRange
from hub.reports.scoring import main_scale, scored
from hub.store import Store


def _latest(history: list[dict[str, Any]]) -> dict[str, str]:
    texts: dict[str, str] = {}
    for entry in history:
        texts[entry["language"]] = entry["text"]  # oldest first: the latest wins
    return texts


def asked(
    store: Store, location_id: str, days: DayRange, *, include_misuse: bool, include_closed: bool = False
) -> list[dict[str, Any]]:
    """Each question answered in the days, in the order first asked: id, its latest texts per language, their
    history, first and last local day, answers."""
    rows = store.questions.asked(
        location_id, days.first, days.last, include_misuse=include_misuse, include_closed=include_closed
    )
    history = store.questions.history([r[0] for r in rows])
    out = []
    for qid, first, last, n in rows:
        item = {"id": qid, "texts": _latest(history.get(qid, [])), "history": history.get(qid, [])}
        out.append({**item, "first_day": first, "last_day": last, "total": n})
    return out


def asked_at(
    store: Store, locations: list[Any], days: DayRange, *, include_misuse: bool, include_closed: bool = False
) -> list[dict[str, Any]]:
    """Each question answered in the days at any of the locations, first asked first: id, latest texts per
    language, first and last local day, how many of the locations got answers to it (the pickers' list)."""
    rows = store.questions.asked_at(
        [loc.id for loc in locations],
        days.first,
        days.last,
        include_misuse=include_misuse,
        include_closed=include_closed,
    )
    history = store.questions.history([r[0] for r in rows])
    return [
        {"id": qid, "texts": _latest(history.get(qid, [])), "first_day": first, "last_day": last, "location_count": n}
        for qid, first, last, n in rows
    ]


Rows = list[tuple[str, str, int, int, int]]


def _per_day(rows: Rows, granularity: str) -> dict[str, dict[str, dict[int, list[int]]]]:
    """``{question: {bucket: {scale: counts}}}``."""
    out: dict[str, dict[str, dict[int, list[int]]]] = {}
    for day, qid, scale, face, n in rows:
        by_scale = out.setdefault(qid, {}).setdefault(_bucket(day, granularity), {})
        by_scale.setdefault(scale, [0] * scale)[face] += n
    return out


def trend_by_question(
    store: Store,
    location_id: str,
    days: DayRange,
    *,
    granularity: str,
    include_misuse: bool,
    include_closed: bool = False,
) -> dict[str, list[dict[str, Any]]]:
    """``{question_id: trend points}``: one series per question (a change of question splits the trend)."""
    rows = store.questions.daily(
        location_id, days.first, days.last, question=None, include_misuse=include_misuse, include_closed=include_closed
    )
    return {
        qid: [{"period": period, **scored(by_scale)} for period, by_scale in buckets.items()]
        for qid, buckets in _per_day(rows, granularity).items()
    }


def _total(rows: list[tuple[str, str, int, int, int]]) -> dict[int, list[int]]:
    out: dict[int, list[int]] = {}
    for _, _, scale, face, n in rows:
        out.setdefault(scale, [0] * scale)[face] += n
    return out


def narrowed(
    store: Store,
    location_id: str,
    days: DayRange,
    previous: DayRange,
    *,
    question: str,
    granularity: str,
    include_misuse: bool,
    include_closed: bool = False,
) -> dict[str, Any]:
    """Summary (with change), trend and heatmap of one question's answers only."""
    now_rows = store.questions.daily(
        location_id,
        days.first,
        days.last,
        question=question,
        include_misuse=include_misuse,
        include_closed=include_closed,
    )
    before_rows = store.questions.daily(
        location_id,
        previous.first,
        previous.last,
        question=question,
        include_misuse=include_misuse,
        include_closed=include_closed,
    )
    now, before = _total(now_rows), _total(before_rows)
    cur, prev = scored(now), scored(before)
    cells: dict[tuple[int, int], dict[int, list[int]]] = {}
    for weekday, hour, scale, face, n in store.questions.hour_cells(
        location_id,
        days.first,
        days.last,
        question=question,
        include_misuse=include_misuse,
        include_closed=include_closed,
    ):
        cells.setdefault((weekday, hour), {}).setdefault(scale, [0] * scale)[face] += n
    heat = []
    for (weekday, hour), by_scale in sorted(cells.items()):
        s = score(by_scale)
        heat.append(
            {"weekday": weekday, "hour": hour, "total": s.total, "happy_index": s.happy_index, "is_thin": s.total < 10}
        )
    series = _per_day(now_rows, granularity).get(question, {})
    return {
        "summary": {
            **cur,
            "scale": main_scale(now),
            "previous": {k: prev[k] for k in ("total", "happy_index", "pct_positive")},
            "change_index": None
            if cur["happy_index"] is None or prev["happy_index"] is None
            else round(cur["happy_index"] - prev["happy_index"], 1),
        },
        "trend": [{"period": period, **scored(by_scale)} for period, by_scale in series.items()],
        "heatmap": heat,
    }


def misuse_of(store: Store, location_id: str, days: DayRange, *, question: str) -> int:
    """Answers to ``question`` flagged as misuse in the days (left out by default)."""
    return _answers(store, location_id, days, question, True, True) - _answers(
        store, location_id, days, question, False, True
    )


def closed_of(store: Store, location_id: str, days: DayRange, *, question: str, include_misuse: bool) -> int:
    """Answers to ``question`` given outside opening hours and not already left out as misuse."""
    return _answers(store, location_id, days, question, include_misuse, True) - _answers(
        store, location_id, days, question, include_misuse, False
    )


def _answers(store: Store, location_id: str, days: DayRange, question: str, misuse: bool, closed: bool) -> int:
    rows = store.questions.daily(
        location_id, days.first, days.last, question=question, include_misuse=misuse, include_closed=closed
    )
    return sum(r[4] for r in rows)
