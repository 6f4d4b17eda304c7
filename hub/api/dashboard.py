"""JSON routes behind the dashboard pages: who am I, regions, overview, location report, compare, questions asked,
misuse rule.

Every route filters by the caller's locations: an id the caller may not see answers 404, like one that does
not exist. Date ranges are presets or custom ``from``/``to`` local days; bad ones answer 422 naming the field.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

from feedback.misuse import MAX_RESPONSE_INTERVAL_S, MIN_RESPONSE_INTERVAL_S
from hub.api import models
from hub.api.deps import (
    AdminPrincipal,
    CurrentPrincipal,
    IdsQ,
    QuestionQ,
    RegionQ,
    StoreDep,
    reference_today,
    require_answered,
    require_csrf,
    selected_locations,
    visible_location,
)
from hub.api.report_params import CountedDep, RangeDep
from hub.errors import UnknownQuestion
from hub.fleet.misuse_rule import set_response_interval as set_response_interval_everywhere
from hub.reports import location as location_report
from hub.reports import questions as question_report
from hub.reports import regions as region_report
from hub.reports import scoring
from hub.reports.localtime import today
from hub.reports.ranges import Period

router = APIRouter(prefix="/api", tags=["dashboard"])


@router.get("/me")
def me(who: CurrentPrincipal) -> dict[str, Any]:
    """Who is asking and which locations they see (``null`` = all)."""
    return {
        "name": who.name,
        "role": who.role,
        "location_ids": None if who.location_ids is None else sorted(who.location_ids),
    }


@router.get("/regions")
def list_regions(store: StoreDep, who: CurrentPrincipal) -> list[dict[str, Any]]:
    """Regions with the caller's locations in them (locations without a region under ``id: null``)."""
    mine = [loc for loc in store.registry.locations() if who.may_see(loc.id)]
    names = dict(store.registry.regions())
    out: dict[str | None, dict[str, Any]] = {}
    for loc in mine:
        entry = out.setdefault(
            loc.region_id, {"id": loc.region_id, "name": names.get(loc.region_id or ""), "locations": []}
        )
        entry["locations"].append({"id": loc.id, "name": loc.name, "timezone": loc.timezone})
    return sorted(out.values(), key=lambda r: (r["id"] is None, r["name"] or ""))


@router.get("/overview", response_class=JSONResponse, responses=models.doc(models.Overview))
def overview(
    request: Request,
    store: StoreDep,
    who: CurrentPrincipal,
    days: RangeDep,
    flags: CountedDep,
    region: RegionQ = None,
    question: QuestionQ = None,
) -> JSONResponse:
    """Every permitted location: Happy Index, % positive, responses, change vs the previous period and vs the same
    days last year (``year_ago``), few-answers flag (``is_low_n``, below ``min_n``); ``all`` sums them up;
    ``regions`` summarises per region. ``question``: that question's answers only (``was_asked`` false for a
    store that never got an answer to it; an id none of the stores answered: 404)."""
    locs = selected_locations(store, who, None, region)
    require_answered(store, locs, question)
    period = days.period(reference_today(locs, request.app.state.now_ms()))
    counts = scoring.period_counts(  # read once for the stores and the regions
        store,
        [loc.id for loc in locs],
        period.days,
        period.previous,
        **flags.kw,
        question=question,
    )
    body = scoring.overview(
        store,
        locs,
        period.days,
        period.previous,
        **flags.kw,
        question=question,
        counts=counts,
    )
    last_year = region_report.year_ago(store, locs, period.days, **flags.kw, question=question)
    for row in body["locations"]:
        row["year_ago"] = last_year["by_location"][row["id"]]
        row["change_year_index"] = _change(row["happy_index"], row["year_ago"]["happy_index"])
    body["all"]["year_ago"] = last_year["all"]
    body["all"]["change_year_index"] = _change(body["all"]["happy_index"], last_year["all"]["happy_index"])
    body["regions"] = region_report.regions(
        store,
        locs,
        period.days,
        period.previous,
        **flags.kw,
        question=question,
        counts=counts,
    )
    return JSONResponse({"period": _with_year_ago(period), **body})


def _change(now: float | None, before: float | None) -> float | None:
    return None if now is None or before is None else round(now - before, 1)


def _with_year_ago(period: Period) -> dict[str, Any]:
    """The period's fields with the first and last day of the same days a year earlier."""
    ago = region_report.year_ago_of(period.days)
    return {**period.as_dict(), "year_ago_from": ago.first.isoformat(), "year_ago_to": ago.last.isoformat()}


@router.get("/compare", response_class=JSONResponse, responses=models.doc(models.Compare))
def compare(
    request: Request,
    store: StoreDep,
    who: CurrentPrincipal,
    days: RangeDep,
    flags: CountedDep,
    location: IdsQ = None,
    region: RegionQ = None,
    question: QuestionQ = None,
) -> JSONResponse:
    """Locations ranked by Happy Index with 95 % intervals; ``overlaps_next`` = not significantly different
    from the next rank; locations with fewer than ``min_n`` answers are listed unranked. ``question``: that
    question's answers only (``was_asked`` false for a store that never got an answer to it)."""
    locs = selected_locations(store, who, location, region)
    require_answered(store, locs, question)
    period = days.period(reference_today(locs, request.app.state.now_ms()))
    ranked = scoring.compare(store, locs, period.days, **flags.kw, question=question)
    return JSONResponse({"period": period.as_dict(), **ranked})


@router.get("/questions", response_class=JSONResponse, responses=models.doc(models.AskedQuestions))
def questions(
    request: Request,
    store: StoreDep,
    who: CurrentPrincipal,
    days: RangeDep,
    flags: CountedDep,
    location: IdsQ = None,
    region: RegionQ = None,
) -> JSONResponse:
    """The questions answered in the range at the permitted (or chosen) locations, first asked first: id, latest
    text per language, first and last day, how many stores got answers to it (the pages' question picker)."""
    locs = selected_locations(store, who, location, region)
    period = days.period(reference_today(locs, request.app.state.now_ms()))
    asked = question_report.asked_at(store, locs, period.days, **flags.kw)
    return JSONResponse({"period": period.as_dict(), "questions": asked})


@router.get("/locations/{location_id}/report", response_class=JSONResponse, responses=models.doc(models.Report))
def location_page(
    request: Request,
    location_id: str,
    store: StoreDep,
    who: CurrentPrincipal,
    days: RangeDep,
    flags: CountedDep,
    granularity: Annotated[str, Query(pattern="^(day|week)$", description="trend per day or week")] = "day",
    question: QuestionQ = None,
) -> JSONResponse:
    """One location: summary with change and the same days last year (``summary.year_ago``), trend with counts
    per face, hour × weekday heatmap (local time), per-kiosk breakdown and follow-up reasons of unhappy answers;
    the questions asked in the range (id, texts per language with history, first and last day) and, when more
    than one was asked, the trend per question. ``question`` narrows every number to that question's answers."""
    loc = visible_location(store, who, location_id)
    if question is not None and not store.questions.was_asked(loc.id, question):
        raise UnknownQuestion(f"question: {loc.id} never got an answer to {question[:64]!r}")
    period = days.period(today(loc.timezone, request.app.state.now_ms()))
    body = location_report.report(
        store,
        loc,
        period.days,
        period.previous,
        granularity=granularity,
        **flags.kw,
        question=question,
    )
    asked = question_report.asked(store, loc.id, period.days, **flags.kw)
    body["questions"] = asked
    body["question"] = question
    body["trend_by_question"] = (
        question_report.trend_by_question(
            store,
            loc.id,
            period.days,
            granularity=granularity,
            **flags.kw,
        )
        if len(asked) > 1 and question is None
        else {}
    )
    if question is not None:
        narrowed = question_report.narrowed(
            store,
            loc.id,
            period.days,
            period.previous,
            question=question,
            granularity=granularity,
            **flags.kw,
        )
        narrowed["summary"]["misuse_excluded"] = (
            0 if flags.include_misuse else question_report.misuse_of(store, loc.id, period.days, question=question)
        )
        narrowed["summary"]["closed_excluded"] = (
            0
            if flags.include_closed
            else question_report.closed_of(
                store, loc.id, period.days, question=question, include_misuse=flags.include_misuse
            )
        )
        body.update(narrowed)
    last_year = region_report.year_ago(store, [loc], period.days, **flags.kw, question=question)
    summary = body["summary"]
    summary["year_ago"] = last_year["all"]
    summary["change_year_index"] = _change(summary["happy_index"], last_year["all"]["happy_index"])
    return JSONResponse({"period": _with_year_ago(period), **body})


class IntervalBody(BaseModel):
    response_interval_s: float = Field(
        ge=MIN_RESPONSE_INTERVAL_S,
        le=MAX_RESPONSE_INTERVAL_S,
        description="taps closer than this to the previous one on the same kiosk count as misuse",
    )


@router.put("/locations/{location_id}/response-interval", dependencies=[Depends(require_csrf)])
def set_response_interval(
    request: Request, location_id: str, body: IntervalBody, store: StoreDep, who: AdminPrincipal
) -> dict[str, Any]:
    """(admin) Set a location's response interval: its kiosks get it in their remote settings, and its scores
    are recomputed from the raw taps."""
    loc = visible_location(store, who, location_id)
    done = set_response_interval_everywhere(
        store, loc.id, interval_s=body.response_interval_s, now_ms=request.app.state.now_ms()
    )
    return {
        "location_id": done.location_id,
        "response_interval_s": done.response_interval_s,
        "ratings": done.ratings,
        "misuse": done.misuse,
        "changed": done.changed,
    }
