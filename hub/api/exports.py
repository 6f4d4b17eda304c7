"""CSV exports, streamed row by row from the store (no row cap, constant memory), filtered by permission.

``ratings.csv`` holds one line per stored tap (``imported`` = 1: history imported from another system);
``daily.csv`` one line per location, local day and scale.

Written for spreadsheets with either separator: comma, or semicolon as Nordic Excel uses. A text field holding
``,`` ``;`` ``"`` CR or LF is quoted (RFC 4180). Quoting protects only the parser using our separator: one that
splits on the other separator (or on a line break inside quotes it does not see) starts a new cell in the
middle of our field. So every place a cell can start under either separator (the field's start, and after each
``,`` ``;`` TAB CR LF inside it, behind spaces and quotes) gets a ``'`` before a formula character (= + - @),
which spreadsheets show as text. Reasons and question ids with control characters are refused at ingest
(``feedback.rating``); this defuses what older hubs stored, and store names.
"""

from __future__ import annotations

import io
import re
from collections.abc import Iterator
from datetime import UTC, datetime
from itertools import groupby
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import StreamingResponse

from feedback.scores import score
from hub.api.deps import (
    CurrentPrincipal,
    FromQ,
    IdsQ,
    MisuseQ,
    QuestionQ,
    RangeQ,
    RegionQ,
    StoreDep,
    ToQ,
    period_for,
    reference_today,
    require_answered,
    selected_locations,
)
from hub.reports.localtime import day_bounds_ms, zone
from hub.reports.ranges import Period
from hub.store import Store
from hub.store.records import Location

CHUNK_ROWS = 2000
RATING_COLUMNS = [
    "location_id",
    "kiosk_id",
    "seq",
    "local_day",
    "local_hour",
    "local_time",
    "utc_time",
    "face",
    "scale",
    "question",
    "reason",
    "misuse",
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
]
# a formula character where some spreadsheet could start a cell: the field's start, or after a separator of
# either convention or a line break, behind any spaces and quotes (a quoted cell is unquoted before it is read)
_CELL_STARTING_FORMULA = re.compile(r"(^|[,;\t\r\n])([\s\"]*)([=+\-@])")
_NEEDS_QUOTES = re.compile(r"[,;\"\r\n]|^\s|\s$")


def safe_cell(value: Any) -> Any:
    """Text with ``'`` before every formula character that could start a cell (see the module docstring)."""
    if isinstance(value, str):
        return _CELL_STARTING_FORMULA.sub(r"\1\2'\3", value)
    return value


def csv_field(value: Any) -> str:
    """One field: numbers as they are, None as empty, text quoted when it holds , ; " CR LF or edge spaces."""
    if value is None:
        return ""
    text = str(value)
    if isinstance(value, str) and _NEEDS_QUOTES.search(text):
        return '"' + text.replace('"', '""') + '"'
    return text


def _iso(ms: int, tz: Any) -> str:
    return datetime.fromtimestamp(ms / 1000, tz=tz).isoformat(timespec="seconds")


def _lines(rows: Iterator[list[Any]], header: list[str]) -> Iterator[str]:
    buf = io.StringIO()
    buf.write(",".join(header) + "\r\n")
    for n, row in enumerate(rows, start=1):
        buf.write(",".join(map(csv_field, row)) + "\r\n")
        if n % CHUNK_ROWS == 0:
            yield buf.getvalue()
            buf.seek(0)
            buf.truncate()
    yield buf.getvalue()


def rating_rows(
    store: Store, locations: list[Location], period: Period, *, include_misuse: bool, question: str | None = None
) -> Iterator[list[Any]]:
    """Raw ratings, location by location in time order (of ``question`` only when given)."""
    first, last = period.days.first, period.days.last
    for loc in locations:
        tz = zone(loc.timezone)
        start, end = day_bounds_ms(loc.timezone, first, last)
        rows = store.exports.ratings(
            loc.id, first, last, start_ms=start, end_ms=end, include_misuse=include_misuse, question=question
        )
        for kid, seq, day, hour, t, face, scale, asked, reason, misuse, m_dev, flag, rec, imported in rows:
            yield [
                loc.id,
                kid,
                seq,
                day,
                hour,
                _iso(t, tz),
                _iso(t, UTC),
                face,
                scale,
                safe_cell(asked),
                safe_cell(reason),
                misuse,
                m_dev,
                flag or "",
                _iso(rec, UTC),
                imported,
            ]


def daily_rows(
    store: Store, locations: list[Location], period: Period, *, include_misuse: bool, question: str | None = None
) -> Iterator[list[Any]]:
    """Per location, local day and scale: counts per face and scores (of ``question``'s answers when given)."""
    for loc in locations:
        rows = store.exports.daily(loc.id, period.days.first, period.days.last, question=question)
        for (day, scale), group in groupby(rows, key=lambda r: (r[0], r[1])):
            counts, excluded = [0] * scale, 0
            for *_, misuse, f0, f1, f2, f3, f4 in group:
                if misuse and not include_misuse:
                    excluded += f0 + f1 + f2 + f3 + f4
                else:
                    counts = [a + b for a, b in zip(counts, (f0, f1, f2, f3, f4), strict=False)]
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
                excluded,
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
    range_: RangeQ = None,
    from_: FromQ = None,
    to: ToQ = None,
    include_misuse: MisuseQ = False,
    location: IdsQ = None,
    region: RegionQ = None,
    question: QuestionQ = None,
) -> StreamingResponse:
    """Raw ratings of the permitted (or chosen) locations in the range, streamed; face 0 = least happy;
    ``question``: its answers only (an id none of the stores answered: 404)."""
    locs = selected_locations(store, who, location, region)
    require_answered(store, locs, question)
    period = period_for(reference_today(locs, request.app.state.now_ms()), range_, from_, to)
    rows = rating_rows(store, locs, period, include_misuse=include_misuse, question=question)
    return _csv_response(_lines(rows, RATING_COLUMNS), _filename("ratings", period, question))


@router.get(
    "/daily.csv",
    response_class=StreamingResponse,
    responses={200: {"content": {"text/csv": {}}, "description": "one line per location, day and scale"}},
)
def export_daily(
    request: Request,
    store: StoreDep,
    who: CurrentPrincipal,
    range_: RangeQ = None,
    from_: FromQ = None,
    to: ToQ = None,
    include_misuse: MisuseQ = False,
    location: IdsQ = None,
    region: RegionQ = None,
    question: QuestionQ = None,
) -> StreamingResponse:
    """Daily aggregates (counts per face, Happy Index, % positive, misuse excluded) per location and local day;
    ``question``: of its answers only (counted from the raw ratings; an id none of the stores answered: 404)."""
    locs = selected_locations(store, who, location, region)
    require_answered(store, locs, question)
    period = period_for(reference_today(locs, request.app.state.now_ms()), range_, from_, to)
    rows = daily_rows(store, locs, period, include_misuse=include_misuse, question=question)
    return _csv_response(_lines(rows, DAILY_COLUMNS), _filename("daily", period, question))
