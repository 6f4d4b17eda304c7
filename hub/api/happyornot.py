"""HappyOrNot's Customer API v2, read-only, over our ratings: existing Power BI and Excel reports keep working.

``/v2/results/button-feedbacks.{json|csv}``, ``/v2/results/follow-up-feedbacks.{json|csv}`` and
``/v2/experience-points.{json|csv}`` answer in their shape (https://api.happy-or-not.com/v2), with their
parameters and their token: an ``X-HON-API-Token`` header or an ``auth`` query parameter carrying one of our API
tokens (``python -m hub token create``). A manager's token sees only their stores. Our stores are experience
points, regions groups, kiosks smileys and questions surveys, with stable int64 ids; imported ones keep theirs.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from datetime import date, datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query, Request, Security
from fastapi.responses import JSONResponse, Response, StreamingResponse
from fastapi.security import APIKeyHeader, APIKeyQuery

from hub.access import Principal
from hub.accounts import principal_for_token
from hub.api import models
from hub.api.csv_text import safe_cell
from hub.api.deps import StoreDep
from hub.errors import BadRange, InvalidToken
from hub.reports.hon_periods import PERIOD_PATTERN, days_asked, stable_id
from hub.reports.localtime import today, zone
from hub.store import Store
from hub.store.records import Location, Scope

BUTTON_FIELDS = [
    "feedbackId", "smileyId", "localTime", "surveyId", "experiencePointId", "buttonIndex", "misuse", "position", "ui",
    "smileyType",
]  # fmt: skip
FOLLOWUP_FIELDS = [*BUTTON_FIELDS, "followupQuestionId", "followupOptionId", "followupOptionTextInDefaultLocale"]
POINT_FIELDS = ["experiencePointId", "name", "parent", "type"]
_header = APIKeyHeader(name="X-HON-API-Token", auto_error=False, description="one of the hub's API tokens")
_query = APIKeyQuery(name="auth", auto_error=False, description="the same token as a query parameter")


def hon_principal(
    store: StoreDep,
    header: Annotated[str | None, Security(_header)],
    query: Annotated[str | None, Security(_query)],
) -> Principal:
    """The token's principal (``InvalidToken`` answers 401)."""
    token = header or query
    if not token:
        raise InvalidToken("an X-HON-API-Token header or an auth query parameter is required")
    return principal_for_token(store, token)


HonPrincipal = Annotated[Principal, Depends(hon_principal)]
Format = Literal["json", "csv"]
Separator = Annotated[str, Query(alias="csvSeparator", min_length=1, max_length=1, description="CSV only")]


_FOREIGN_KIND = {"location": "experience_point", "region": "group", "kiosk": "smiley", "question": "survey"}


class Ids:
    """Our ids in their shape: imported things keep their HappyOrNot id, ours get a stable one."""

    def __init__(self, store: Store) -> None:
        self.foreign: dict[str, dict[str, int]] = {}
        for kind in ("experience_point", "group", "smiley", "survey"):
            mine: dict[str, int] = {}
            for fid, ours, _ in sorted(store.imports.foreign_rows(kind), reverse=True):
                mine[ours] = fid  # several foreign ids mapped to one of ours: the smallest
            self.foreign[kind] = mine
        self.smiley_types = {ours: d for _, ours, d in store.imports.foreign_rows("smiley") if d}

    def of(self, kind: str, ours: str) -> int:
        """The id of our ``location``, ``region``, ``kiosk`` or ``question`` in their shape."""
        return self.foreign[_FOREIGN_KIND[kind]].get(ours) or stable_id(kind, ours)


def _mine(store: Store, who: Principal, point: int | None, ids: Ids) -> list[Location]:
    locs = [loc for loc in store.registry.locations() if who.may_see(loc.id)]
    return locs if point is None else [loc for loc in locs if ids.of("location", loc.id) == point]


def _scopes(locs: list[Location], now_ms: int, period: str | None, start: date | None, end: date | None) -> list[Scope]:
    by_zone: dict[str, list[str]] = {}
    for loc in locs:
        by_zone.setdefault(loc.timezone, []).append(loc.id)
    by_days: dict[tuple[date, date], list[str]] = {}
    for tz, ids in by_zone.items():
        by_days.setdefault(days_asked(period, start, end, today(tz, now_ms)), []).extend(ids)
    return [Scope(ids, first, last) for (first, last), ids in by_days.items()]


def _doc(row: tuple[Any, ...], ids: Ids, zones: dict[str, str], *, followup: bool) -> dict[str, Any]:
    uuid, kiosk, time_ms, question, loc, face, _scale, misuse, reason, *fu = row
    doc: dict[str, Any] = {
        "feedbackId": uuid,
        "smileyId": ids.of("kiosk", kiosk),
        "localTime": datetime.fromtimestamp(time_ms / 1000, zone(zones[loc])).isoformat(timespec="seconds"),
        "surveyId": ids.of("question", question),
        "experiencePointId": ids.of("location", loc),
        "buttonIndex": face,
        "misuse": bool(misuse),
        "position": 1 if followup else 0,
        "ui": "physical",
        "smileyType": ids.smiley_types.get(kiosk, "SMILEY_TOUCH"),
    }
    if followup:
        question_id, option_id, text = fu
        doc["followupQuestionId"] = question_id or stable_id("followup-question", question)
        doc["followupOptionId"] = option_id if option_id is not None else stable_id("reason", reason)
        doc["followupOptionTextInDefaultLocale"] = text if text is not None else reason
    return doc


def _csv(docs: list[dict[str, Any]], fields: list[str], sep: str) -> Iterator[str]:
    buf = io.StringIO()
    out = csv.writer(buf, delimiter=sep, lineterminator="\r\n")
    out.writerow(fields)
    for d in docs:
        out.writerow(
            [("true" if v else "false") if isinstance(v, bool) else "" if v is None else safe_cell(v)
             for v in (d.get(f) for f in fields)]
        )  # fmt: skip
    yield buf.getvalue()


def _answer(docs: list[dict[str, Any]], fields: list[str], fmt: str, sep: str, headers: dict[str, str]) -> Response:
    if fmt == "json":
        return JSONResponse(docs, headers=headers)
    if sep in '"\r\n':
        raise BadRange("csvSeparator may not be a quote or a line break")
    return StreamingResponse(_csv(docs, fields, sep), media_type="text/csv; charset=utf-8", headers=headers)


def _feedbacks(
    request: Request, store: Store, who: Principal, fmt: str, q: dict[str, Any], *, followup: bool
) -> Response:
    ids = Ids(store)
    locs = _mine(store, who, q["experiencePointId"], ids)
    scopes = _scopes(locs, request.app.state.now_ms(), q["period"], q["startDate"], q["endDate"])
    questions = None
    if q["surveyId"] is not None:
        questions = [
            x for x in store.compat.questions([loc.id for loc in locs]) if ids.of("question", x) == q["surveyId"]
        ]
    rows = store.compat.feedbacks(
        scopes, include_misuse=q["includeMisuse"], questions=questions, with_reason=followup,
        descending=q["order"] == "desc", offset=q["offset"], limit=q["limit"] + 1,
    )  # fmt: skip
    more = len(rows) > q["limit"]
    zones = {loc.id: loc.timezone for loc in locs}
    docs = [_doc(r, ids, zones, followup=followup) for r in rows[: q["limit"]]]
    headers = {"X-More-Available": "true" if more else "false"}
    if more:
        nxt = request.url.include_query_params(offset=q["offset"] + q["limit"], limit=q["limit"])
        headers["Link"] = f'<{nxt}>; rel="next"'
    return _answer(docs, FOLLOWUP_FIELDS if followup else BUTTON_FIELDS, fmt, q["csvSeparator"], headers)


def feedback_query(
    csv_separator: Separator = ",",
    survey_id: Annotated[int | None, Query(alias="surveyId", ge=0, le=2**63 - 1)] = None,
    point_id: Annotated[int | None, Query(alias="experiencePointId", ge=0, le=2**63 - 1)] = None,
    period: Annotated[str | None, Query(pattern=PERIOD_PATTERN, description="wins only without dates")] = None,
    start: Annotated[date | None, Query(alias="startDate", description="first local day, inclusive")] = None,
    end: Annotated[date | None, Query(alias="endDate", description="local day after the last (exclusive)")] = None,
    include_misuse: Annotated[bool, Query(alias="includeMisuse")] = False,
    offset: Annotated[int, Query(ge=0, le=2**62)] = 0,
    limit: Annotated[int, Query(ge=0, le=10_000)] = 1000,
    order: Literal["asc", "desc"] = "asc",
) -> dict[str, Any]:
    return {
        "csvSeparator": csv_separator, "surveyId": survey_id, "experiencePointId": point_id, "period": period,
        "startDate": start, "endDate": end, "includeMisuse": include_misuse, "offset": offset, "limit": limit,
        "order": order,
    }  # fmt: skip


FeedbackQuery = Annotated[dict[str, Any], Depends(feedback_query)]
router = APIRouter(prefix="/v2", tags=["happyornot-v2"])
_LISTING = {"content": {"text/csv": {}}, "description": "JSON array, or CSV with these columns"}


@router.get(
    "/results/button-feedbacks.{fmt}",
    response_class=JSONResponse,
    responses={200: {**_LISTING, "model": list[models.HonFeedback]}},
)
def button_feedbacks(request: Request, store: StoreDep, who: HonPrincipal, fmt: Format, q: FeedbackQuery) -> Response:
    """Button feedbacks (one per tap, kiosk or imported) of the token's stores, by time; paged by
    ``offset``/``limit`` with ``X-More-Available`` and a ``Link`` to the next page."""
    return _feedbacks(request, store, who, fmt, q, followup=False)


@router.get(
    "/results/follow-up-feedbacks.{fmt}",
    response_class=JSONResponse,
    responses={200: {**_LISTING, "model": list[models.HonFollowupFeedback]}},
)
def followup_feedbacks(request: Request, store: StoreDep, who: HonPrincipal, fmt: Format, q: FeedbackQuery) -> Response:
    """Follow-up answers (our reasons) of the token's stores, joined to their button feedback by ``feedbackId``."""
    return _feedbacks(request, store, who, fmt, q, followup=True)


@router.get(
    "/experience-points.{fmt}",
    response_class=JSONResponse,
    responses={200: {**_LISTING, "model": list[models.HonExperiencePoint]}},
)
def experience_points(
    store: StoreDep,
    who: HonPrincipal,
    fmt: Format,
    csv_separator: Separator = ",",
    kind: Annotated[Literal["GROUP", "EXPERIENCE_POINT", "EXPERIENCE-POINT"] | None, Query(alias="type")] = None,
) -> Response:
    """The token's stores as experience points, under their regions as groups."""
    ids = Ids(store)
    locs = _mine(store, who, None, ids)
    names = dict(store.registry.regions())
    docs: list[dict[str, Any]] = []
    if kind in (None, "GROUP"):
        for rid in sorted({loc.region_id for loc in locs if loc.region_id is not None}):
            docs.append({"experiencePointId": ids.of("region", rid), "name": names.get(rid, rid), "type": "GROUP"})
    if kind != "GROUP":
        for loc in locs:
            doc = {"experiencePointId": ids.of("location", loc.id), "name": loc.name, "type": "EXPERIENCE-POINT"}
            if loc.region_id is not None:
                doc["parent"] = ids.of("region", loc.region_id)
            docs.append(doc)
    return _answer(docs, POINT_FIELDS, fmt, csv_separator, {"X-More-Available": "false"})


@router.get("/experience-points", response_class=JSONResponse, include_in_schema=False)
def experience_points_json(store: StoreDep, who: HonPrincipal) -> Response:
    """``/v2/experience-points`` without a format: JSON."""
    return experience_points(store, who, "json")
