"""CSV exports, streamed row by row from the store (no row cap, constant memory), filtered by permission.

``ratings.csv`` holds one line per stored tap, flagged ones included (its ``misuse`` and
``outside_opening_hours`` columns say what the reports leave out; ``imported`` = 1: history imported from another
system), with the store's name and the face's label; ``daily.csv`` one line per location, local day and scale,
counted as the reports count. Both come as UTF-8 with a BOM, comma- or semicolon-separated (``csv_text``).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime
from itertools import groupby
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Request
from fastapi.responses import StreamingResponse

from feedback.scores import score
from hub.api.csv_text import SEPARATORS, csv_lines, safe_cell
from hub.api.deps import (
    CurrentPrincipal,
    IdsQ,
    QuestionQ,
    RegionQ,
    StoreDep,
    reference_today,
    require_answered,
    selected_locations,
)
from hub.api.report_params import CountedDep, RangeDep
from hub.reports.flags import counted, left_out_as
from hub.reports.localtime import day_bounds_ms, zone
from hub.reports.ranges import Period
from hub.store import Store
from hub.store.records import Location
from hub.web.i18n import STRINGS

RATING_COLUMNS = [
    "location_id",
    "location_name",
    "kiosk_id",
    "seq",
    "local_day",
    "local_hour",
    "local_time",
    "utc_time",
    "face",
    "face_label",
    "scale",
    "question",
    "reason",
    "misuse",
    "outside_opening_hours",
    "misuse_device",
    "time_flag",
    "received_utc",
    "imported",
]
DAILY_COLUMNS = [
    "location_id",
    "location_name",
    "local_day",
    "scale",
    "responses",
    "face_0",
    "face_1",
    "face_2",
    "face_3",
    "face_4",
    "happy_index",
    "pct_positive",
    "misuse_excluded",
    "outside_opening_hours_excluded",
]
SeparatorQ = Annotated[
    Literal["comma", "semicolon"],
    Query(description="field separator: semicolon (with decimal commas) for Excel in the Nordic countries"),
]
LangQ = Annotated[Literal["sv", "en"], Query(description="language of the face labels")]
RatingsMisuseQ = Annotated[bool, Query(description="include taps flagged as misuse (the default: raw data)")]
RatingsClosedQ = Annotated[bool, Query(description="include answers given outside opening hours (the default)")]


def _iso(ms: int, tz: Any) -> str:
    return datetime.fromtimestamp(ms / 1000, tz=tz).isoformat(timespec="seconds")


def rating_rows(
    store: Store,
    locations: list[Location],
    period: Period,
    *,
    include_misuse: bool,
    include_closed: bool,
    lang: str,
    question: str | None = None,
) -> Iterator[list[Any]]:
    """Raw ratings, location by location in time order (of ``question`` only when given)."""
    first, last = period.days.first, period.days.last
    labels = STRINGS[lang]
    for loc in locations:
        tz = zone(loc.timezone)
        start, end = day_bounds_ms(loc.timezone, first, last)
        rows = store.exports.ratings(
            loc.id,
            first,
            last,
            start_ms=start,
            end_ms=end,
            include_misuse=include_misuse,
            include_closed=include_closed,
            question=question,
        )
        for kid, seq, day, hour, t, face, scale, asked, reason, misuse, m_dev, flag, rec, imported, closed in rows:
            yield [
                loc.id,
                safe_cell(loc.name),
                kid,
                seq,
                day,
                hour,
                _iso(t, tz),
                _iso(t, UTC),
                face,
                labels.get(f"face_{scale}_{face}", ""),
                scale,
                safe_cell(asked),
                safe_cell(reason),
                misuse,
                closed,
                m_dev,
                flag or "",
                _iso(rec, UTC),
                imported,
            ]


def daily_rows(
    store: Store,
    locations: list[Location],
    period: Period,
    *,
    include_misuse: bool,
    include_closed: bool,
    question: str | None = None,
) -> Iterator[list[Any]]:
    """Per location, local day and scale: counts per face and scores (of ``question``'s answers when given)."""
    kept_values = counted(include_misuse=include_misuse, include_closed=include_closed)
    for loc in locations:
        rows = store.exports.daily(loc.id, period.days.first, period.days.last, question=question)
        for (day, scale), group in groupby(rows, key=lambda r: (r[0], r[1])):
            counts, left_out = [0] * scale, {"misuse": 0, "closed": 0}
            for *_, flags, f0, f1, f2, f3, f4 in group:
                if flags in kept_values:
                    counts = [a + b for a, b in zip(counts, (f0, f1, f2, f3, f4), strict=False)]
                else:
                    left_out[left_out_as(flags, include_misuse=include_misuse) or "closed"] += f0 + f1 + f2 + f3 + f4
            s = score({scale: counts})
            yield [
                loc.id,
                safe_cell(loc.name),
                day,
                scale,
                s.total,
                *counts,
                *[""] * (5 - scale),
                "" if s.happy_index is None else s.happy_index,
                "" if s.pct_positive is None else s.pct_positive,
                left_out["misuse"],
                left_out["closed"],
            ]


def _csv_response(lines: Iterator[str], filename: str) -> StreamingResponse:
    return StreamingResponse(
        lines,
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


def _filename(kind: str, period: Period, question: str | None) -> str:
    """``daily_2026-04-04_2026-04-10.csv``; a question's export names it (only id characters kept)."""
    days = f"{period.days.first.isoformat()}_{period.days.last.isoformat()}"
    tag = "" if question is None else "_" + (re.sub(r"[^A-Za-z0-9_-]", "", question)[:40] or "question")
    return f"{kind}{tag}_{days}.csv"


router = APIRouter(prefix="/api/exports", tags=["exports"])


@router.get(
    "/ratings.csv",
    response_class=StreamingResponse,
    responses={200: {"content": {"text/csv": {}}, "description": "one line per tap"}},
)
def export_ratings(
    request: Request,
    store: StoreDep,
    who: CurrentPrincipal,
    days: RangeDep,
    include_misuse: RatingsMisuseQ = True,
    include_closed: RatingsClosedQ = True,
    location: IdsQ = None,
    region: RegionQ = None,
    separator: SeparatorQ = "comma",
    lang: LangQ = "en",
    question: QuestionQ = None,
) -> StreamingResponse:
    """Raw ratings of the permitted (or chosen) locations in the range, streamed; face 0 = least happy. Flagged
    answers are in it (``misuse``, ``outside_opening_hours`` = 1) unless left out with ``include_misuse=false`` or
    ``include_closed=false``; ``question``: its answers only (an id none of the stores answered: 404)."""
    locs = selected_locations(store, who, location, region)
    require_answered(store, locs, question)
    period = days.period(reference_today(locs, request.app.state.now_ms()))
    rows = rating_rows(
        store,
        locs,
        period,
        include_misuse=include_misuse,
        include_closed=include_closed,
        lang=lang,
        question=question,
    )
    return _csv_response(
        csv_lines(rows, RATING_COLUMNS, separator=SEPARATORS[separator]), _filename("ratings", period, question)
    )


@router.get(
    "/daily.csv",
    response_class=StreamingResponse,
    responses={200: {"content": {"text/csv": {}}, "description": "one line per location, day and scale"}},
)
def export_daily(
    request: Request,
    store: StoreDep,
    who: CurrentPrincipal,
    days: RangeDep,
    flags: CountedDep,
    location: IdsQ = None,
    region: RegionQ = None,
    separator: SeparatorQ = "comma",
    question: QuestionQ = None,
) -> StreamingResponse:
    """Daily aggregates (counts per face, Happy Index, % positive, and the answers left out as misuse and as
    outside opening hours) per location and local day, counted as the reports count; ``question``: of its answers
    only (counted from the raw ratings; an id none of the stores answered: 404)."""
    locs = selected_locations(store, who, location, region)
    require_answered(store, locs, question)
    period = days.period(reference_today(locs, request.app.state.now_ms()))
    rows = daily_rows(store, locs, period, **flags.kw, question=question)
    return _csv_response(
        csv_lines(rows, DAILY_COLUMNS, separator=SEPARATORS[separator]), _filename("daily", period, question)
    )
