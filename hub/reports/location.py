"""One location in depth: trend per day or ISO week, hour × weekday heatmap, kiosks, reasons for unhappy answers.

Everything reads the rollups; days, hours and weekdays are the location's local ones (bucketed at ingest in its
IANA zone, so a DST day has 23 or 25 hours but is one day).
"""

from __future__ import annotations

import json
from datetime import date
from typing import Any

from feedback.scores import score
from hub.reports.opening_hours import from_kiosk_settings
from hub.reports.ranges import DayRange
from hub.reports.scoring import MIN_RESPONSES, NONE, main_scale, period_counts, scored
from hub.store import Store

GRANULARITIES = ("day", "week")
THIN_CELL = 10  # a heatmap cell with fewer answers shows its count, not an index that 1-2 taps could make 100


def _bucket(day: str, granularity: str) -> str:
    if granularity == "day":
        return day
    year, week, _ = date.fromisoformat(day).isocalendar()
    return f"{year}-W{week:02d}"


def trend(
    store: Store,
    location_id: str,
    days: DayRange,
    *,
    granularity: str,
    include_misuse: bool,
    include_closed: bool = False,
) -> list[dict[str, Any]]:
    """Per local day (or ISO week, Monday first): total, Happy Index, % positive and counts per face."""
    rows = store.reads.daily(
        location_id, days.first, days.last, include_misuse=include_misuse, include_closed=include_closed
    )
    buckets: dict[str, dict[int, list[int]]] = {}
    for day, scale, *faces in rows:
        by_scale = buckets.setdefault(_bucket(day, granularity), {})
        counts = by_scale.setdefault(scale, [0] * scale)
        for face in range(scale):
            counts[face] += faces[face]
    return [{"period": period, **scored(by_scale)} for period, by_scale in buckets.items()]


def heatmap(
    store: Store, location_id: str, days: DayRange, *, include_misuse: bool, include_closed: bool = False
) -> list[dict[str, Any]]:
    """Cells ``{weekday 1-7 (ISO, Monday first), hour 0-23, total, happy_index, is_thin}`` that have answers;
    ``is_thin``: fewer than ``THIN_CELL`` answers, too few for the index to mean anything."""
    rows = store.reads.hour_cells(
        location_id, days.first, days.last, include_misuse=include_misuse, include_closed=include_closed
    )
    cells: dict[tuple[int, int], dict[int, list[int]]] = {}
    for weekday, hour, scale, face, n in rows:
        cells.setdefault((weekday, hour), {}).setdefault(scale, [0] * scale)[face] += n
    out = []
    for (weekday, hour), by_scale in sorted(cells.items()):
        s = score(by_scale)
        out.append(
            {
                "weekday": weekday,
                "hour": hour,
                "total": s.total,
                "happy_index": s.happy_index,
                "is_thin": s.total < THIN_CELL,
            }
        )
    return out


def kiosks(
    store: Store,
    location_id: str,
    days: DayRange,
    *,
    include_misuse: bool,
    include_closed: bool = False,
    question: str | None = None,
) -> list[dict[str, Any]]:
    """Per kiosk that answered at this location in the range (a moved kiosk appears where it stood); of
    ``question``'s answers only when given (counted from the raw ratings)."""
    first, last = days.first, days.last
    rows: list[tuple[Any, ...]] = (
        store.reads.kiosk_cells(location_id, first, last, include_misuse=include_misuse, include_closed=include_closed)
        if question is None
        else list(
            store.questions.kiosk_cells(
                location_id,
                first,
                last,
                question=question,
                include_misuse=include_misuse,
                include_closed=include_closed,
            )
        )
    )
    per: dict[str, dict[int, list[int]]] = {}
    for kiosk_id, scale, face, n in rows:
        per.setdefault(kiosk_id, {}).setdefault(scale, [0] * scale)[face] += n
    here = {r[0]: r for r in store.reads.kiosks_here(location_id)}
    out = []
    for kiosk_id in sorted(set(per) | set(here)):
        state = here.get(kiosk_id)
        known = store.registry.find_kiosk(kiosk_id)
        out.append(
            {
                "id": kiosk_id,
                "name": known.name if known else None,
                **scored(per.get(kiosk_id, {})),
                "is_here_now": state is not None,
                "is_online": bool(state[2]) if state else None,
                "last_seen_ms": state[3] if state else None,
            }
        )
    return out


def reasons(
    store: Store,
    location_id: str,
    days: DayRange,
    *,
    include_misuse: bool,
    include_closed: bool = False,
    question: str | None = None,
) -> dict[str, Any]:
    """Follow-up reasons given with unhappy answers (faces below the middle of the scale), most frequent first;
    of ``question``'s answers only when given (counted from the raw ratings)."""
    first, last = days.first, days.last
    unhappy, rows = (
        store.reads.unhappy_reasons(
            location_id, first, last, include_misuse=include_misuse, include_closed=include_closed
        )
        if question is None
        else store.questions.unhappy_reasons(
            location_id, first, last, question=question, include_misuse=include_misuse, include_closed=include_closed
        )
    )
    given = sum(n for _, n in rows)
    return {
        "unhappy_answers": unhappy,
        "with_reason": given,
        "reasons": [{"reason": r, "n": n, "pct": round(100.0 * n / given, 1) if given else None} for r, n in rows],
    }


def opening_hours(raw: str | None) -> dict[str, list[int] | None]:
    """Stored opening hours ``{"1": [open_hour, close_hour], ..., "7": null}`` (ISO weekdays), or {}."""
    if not raw:
        return {}
    try:
        doc = json.loads(raw)
    except ValueError:
        return {}
    return doc if isinstance(doc, dict) else {}


def configured_hours(store: Store, location_id: str) -> dict[str, list[int] | None]:
    """Opening hours from the kiosks' remote settings (location scope over organisation scope), if any."""
    found: object = None
    for doc in (store.settings.get("all"), store.settings.get("location", location_id)):
        found = doc.get("opening_hours", found)
    return from_kiosk_settings(found)


def report(
    store: Store,
    location: Any,
    days: DayRange,
    previous: DayRange,
    *,
    granularity: str = "day",
    include_misuse: bool = False,
    include_closed: bool = False,
    question: str | None = None,
) -> dict[str, Any]:
    """Everything the location page shows, in one document; ``question`` narrows the kiosks and reasons (the
    route narrows the rest with ``hub.reports.questions.narrowed``)."""
    counts = period_counts(
        store, [location.id], days, previous, include_misuse=include_misuse, include_closed=include_closed
    )
    now, excluded, closed = counts.get((location.id, True), NONE)
    before = counts.get((location.id, False), NONE).by_scale
    cur, prev = scored(now), scored(before)
    shown_hours = opening_hours(store.reads.opening_hours_json(location.id)) or configured_hours(store, location.id)
    return {
        "location": {
            "id": location.id,
            "name": location.name,
            "timezone": location.timezone,
            "region_id": location.region_id,
            "response_interval_s": location.response_interval_s,
            "opening_hours": shown_hours,
        },
        "min_n": MIN_RESPONSES,
        "include_misuse": include_misuse,
        "include_closed": include_closed,
        "granularity": granularity,
        "summary": {
            **cur,
            "misuse_excluded": excluded,
            "closed_excluded": closed,
            "scale": main_scale(now),
            "previous": {k: prev[k] for k in ("total", "happy_index", "pct_positive")},
            "change_index": None
            if cur["happy_index"] is None or prev["happy_index"] is None
            else round(cur["happy_index"] - prev["happy_index"], 1),
        },
        "trend": trend(
            store,
            location.id,
            days,
            granularity=granularity,
            include_misuse=include_misuse,
            include_closed=include_closed,
        ),
        "heatmap": heatmap(store, location.id, days, include_misuse=include_misuse, include_closed=include_closed),
        "kiosks": kiosks(
            store, location.id, days, include_misuse=include_misuse, include_closed=include_closed, question=question
        ),
        "reasons": reasons(
            store, location.id, days, include_misuse=include_misuse, include_closed=include_closed, question=question
        ),
    }
