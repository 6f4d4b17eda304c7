"""JSON routes behind the dashboard pages: overview, location report, compare, fleet, regions, misuse rule.

Every route filters by the caller's locations: an id the caller may not see answers 404, like one that does
not exist. Date ranges are presets or custom ``from``/``to`` local days; bad ones answer 422 naming the field.
"""

from __future__ import annotations

import json
from collections import Counter
from datetime import date
from typing import Annotated, Any

import sqlite_utils
from fastapi import APIRouter, Depends, HTTPException, Query, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

from feedback.ids import is_valid_id
from hub import api_models, location_report, ranges, reports
from hub.api import AdminPrincipal, CurrentPrincipal, DbDep, visible_location
from hub.auth import Principal
from hub.localtime import today
from hub.misuse_rule import set_response_interval as set_response_interval_everywhere
from hub.registry import Location, Registry
from hub.rollups import BadInterval
from hub.users import csrf_matches

STALE_AFTER_MS = 5 * 60_000  # an "online" kiosk silent for longer (10 missed heartbeats) counts as offline
MAX_IDS = 2000

RangeQ = Annotated[str | None, Query(alias="range", description=f"preset: {', '.join(ranges.PRESETS)}", max_length=20)]
FromQ = Annotated[
    str | None, Query(alias="from", description="first local day YYYY-MM-DD (custom range)", max_length=10)
]
ToQ = Annotated[str | None, Query(description="last local day YYYY-MM-DD, inclusive (custom range)", max_length=10)]
MisuseQ = Annotated[bool, Query(description="count taps flagged as misuse too (excluded by default)")]
IdsQ = Annotated[list[str] | None, Query(description="restrict to these location ids", max_length=MAX_IDS)]
RegionQ = Annotated[list[str] | None, Query(description="restrict to locations in these regions", max_length=100)]


def require_csrf(request: Request) -> None:
    """Writes authenticated by the session cookie must echo the session's CSRF token in ``X-CSRF-Token``."""
    session = getattr(request.state, "session", None)
    if session is not None and not csrf_matches(session.csrf, request.headers.get("x-csrf-token")):
        raise HTTPException(403, "missing or wrong X-CSRF-Token header")


def reference_today(locations: list[Location], now_ms: int) -> date:
    """ "Today" for a range over several locations: in the zone most of them use (UTC when there are none)."""
    zones = Counter(loc.timezone for loc in locations)
    return today(zones.most_common(1)[0][0] if zones else "UTC", now_ms)


def period_for(today_: date, preset: str | None, first: str | None, last: str | None) -> ranges.Period:
    try:
        return ranges.resolve(today=today_, preset=preset, first=first, last=last)
    except reports.BadRange as exc:
        raise HTTPException(422, str(exc)) from None


def selected_locations(
    db: sqlite_utils.Database,
    who: Principal,
    location_ids: list[str] | None = None,
    region_ids: list[str] | None = None,
) -> list[Location]:
    """The caller's locations, optionally narrowed to ids and/or regions; unknown or foreign ids → 404."""
    mine = [loc for loc in Registry(db).locations() if who.may_see(loc.id)]
    if location_ids:
        known = {loc.id for loc in mine}
        for lid in location_ids:
            if not is_valid_id(lid) or lid not in known:
                raise HTTPException(404, f"no location {lid[:80]!r}")
        wanted = set(location_ids)
        mine = [loc for loc in mine if loc.id in wanted]
    if region_ids:
        regions = {loc.region_id for loc in mine}
        for rid in region_ids:
            if not is_valid_id(rid) or rid not in regions:
                raise HTTPException(404, f"no region {rid[:80]!r} among your locations")
        mine = [loc for loc in mine if loc.region_id in set(region_ids)]
    return mine


router = APIRouter(prefix="/api", tags=["dashboard"])


# the large reports are plain JSON documents: returned as JSONResponse they skip FastAPI's per-value encoding
# (jsonable_encoder took 35 ms for a 1,000-store overview, json.dumps 4 ms)
def _doc(model: type[api_models.Doc]) -> dict[int | str, dict[str, Any]]:
    return {200: {"model": model, "description": "the report (a JSON document of this shape)"}}


@router.get("/me")
def me(who: CurrentPrincipal) -> dict[str, Any]:
    """Who is asking and which locations they see (``null`` = all)."""
    return {
        "name": who.name,
        "role": who.role,
        "location_ids": None if who.location_ids is None else sorted(who.location_ids),
    }


@router.get("/regions")
def list_regions(db: DbDep, who: CurrentPrincipal) -> list[dict[str, Any]]:
    """Regions with the caller's locations in them (locations without a region under ``id: null``)."""
    mine = [loc for loc in Registry(db).locations() if who.may_see(loc.id)]
    names = dict(Registry(db).regions())
    out: dict[str | None, dict[str, Any]] = {}
    for loc in mine:
        entry = out.setdefault(
            loc.region_id, {"id": loc.region_id, "name": names.get(loc.region_id or ""), "locations": []}
        )
        entry["locations"].append({"id": loc.id, "name": loc.name, "timezone": loc.timezone})
    return sorted(out.values(), key=lambda r: (r["id"] is None, r["name"] or ""))


@router.get("/overview", response_class=JSONResponse, responses=_doc(api_models.Overview))
def overview(
    request: Request,
    db: DbDep,
    who: CurrentPrincipal,
    range_: RangeQ = None,
    from_: FromQ = None,
    to: ToQ = None,
    include_misuse: MisuseQ = False,
    region: RegionQ = None,
) -> JSONResponse:
    """Every permitted location: Happy Index, % positive, responses, change vs the previous period, few-answers
    flag (``is_low_n``, below ``min_n``); ``all`` sums them up."""
    locs = selected_locations(db, who, None, region)
    period = period_for(reference_today(locs, request.app.state.now_ms()), range_, from_, to)
    body = reports.overview(db, locs, period.days, period.previous, include_misuse=include_misuse)
    return JSONResponse({"period": period.as_dict(), **body})


@router.get("/compare", response_class=JSONResponse, responses=_doc(api_models.Compare))
def compare(
    request: Request,
    db: DbDep,
    who: CurrentPrincipal,
    range_: RangeQ = None,
    from_: FromQ = None,
    to: ToQ = None,
    include_misuse: MisuseQ = False,
    location: IdsQ = None,
    region: RegionQ = None,
) -> JSONResponse:
    """Locations ranked by Happy Index with 95 % intervals; ``overlaps_next`` = not significantly different
    from the next rank; locations with fewer than ``min_n`` answers are listed unranked."""
    locs = selected_locations(db, who, location, region)
    period = period_for(reference_today(locs, request.app.state.now_ms()), range_, from_, to)
    return JSONResponse(
        {"period": period.as_dict(), **reports.compare(db, locs, period.days, include_misuse=include_misuse)}
    )


@router.get("/locations/{location_id}/report", response_class=JSONResponse, responses=_doc(api_models.Report))
def location_page(
    request: Request,
    location_id: str,
    db: DbDep,
    who: CurrentPrincipal,
    range_: RangeQ = None,
    from_: FromQ = None,
    to: ToQ = None,
    include_misuse: MisuseQ = False,
    granularity: Annotated[str, Query(pattern="^(day|week)$", description="trend per day or week")] = "day",
) -> JSONResponse:
    """One location: summary with change, trend with counts per face, hour × weekday heatmap (local time),
    per-kiosk breakdown and follow-up reasons of unhappy answers."""
    loc = visible_location(db, who, location_id)
    period = period_for(today(loc.timezone, request.app.state.now_ms()), range_, from_, to)
    body = location_report.report(
        db, loc, period.days, period.previous, granularity=granularity, include_misuse=include_misuse
    )
    return JSONResponse({"period": period.as_dict(), **body})


def _skew_ms(db: sqlite_utils.Database) -> dict[str, int]:
    rows = db.conn.execute("SELECT kiosk_id, skew_ms, max(seen_ms) FROM boots GROUP BY kiosk_id").fetchall()
    return {r[0]: r[1] for r in rows}


def _last_online(db: sqlite_utils.Database) -> dict[str, dict[str, Any]]:
    return {r[0]: json.loads(r[1]) for r in db.conn.execute("SELECT kiosk_id, status_json FROM kiosk_last_online")}


@router.get("/fleet", response_class=JSONResponse, responses=_doc(api_models.Fleet))
def fleet(request: Request, db: DbDep, who: CurrentPrincipal) -> JSONResponse:
    """Every permitted kiosk: online/offline (offline too when silent for 5 minutes), last seen, outbox backlog
    and version (from its last online status), clock skew (kiosk clock minus hub clock, ms, from its latest
    live status); offline first."""
    now = request.app.state.now_ms()
    names = {loc.id: loc.name for loc in Registry(db).locations()}
    skews = _skew_ms(db)
    last_online = _last_online(db)
    out = []
    for k in Registry(db).kiosks():
        if not who.may_see(k["location_id"]):
            continue
        # an offline kiosk's own status is its will (state only): show what it last said while online
        status = {**last_online.get(k["id"], {}), **(k["status"] or {})}
        seen = k["last_seen_ms"]
        is_online = k["is_online"] and seen is not None and now - seen <= STALE_AFTER_MS and not k["is_disabled"]
        out.append(
            {
                "id": k["id"],
                "location_id": k["location_id"],
                "location_name": names.get(k["location_id"]),
                "state": "disabled"
                if k["is_disabled"]
                else "online"
                if is_online
                else "never"
                if seen is None
                else "offline",
                "is_online": bool(is_online),
                "last_seen_ms": seen,
                "last_seen_age_s": None if seen is None else max(0, (now - seen) // 1000),
                "backlog": status.get("pending"),
                "version": status.get("version"),
                "clock_skew_ms": skews.get(k["id"]),
                "acked_through": k["acked_through"],
                "last_seq": status.get("last_seq"),
                "ntp_synced": status.get("ntp_synced"),
            }
        )
    out.sort(key=lambda r: (r["is_online"], r["location_name"] or "", r["id"]))
    return JSONResponse(
        {
            "now_ms": now,
            "stale_after_ms": STALE_AFTER_MS,
            "online": sum(r["is_online"] for r in out),
            "offline": sum(not r["is_online"] for r in out),
            "kiosks": out,
        }
    )


class IntervalBody(BaseModel):
    response_interval_s: float = Field(
        ge=0, le=3600, description="taps closer than this to the previous one on the same kiosk count as misuse"
    )


@router.put("/locations/{location_id}/response-interval", dependencies=[Depends(require_csrf)])
def set_response_interval(
    request: Request, location_id: str, body: IntervalBody, db: DbDep, who: AdminPrincipal
) -> dict[str, Any]:
    """(admin) Set a location's response interval: its kiosks get it in their remote settings, and its scores
    are recomputed from the raw taps."""
    loc = visible_location(db, who, location_id)
    try:
        done = set_response_interval_everywhere(
            db, loc.id, interval_s=body.response_interval_s, now_ms=request.app.state.now_ms()
        )
    except BadInterval as exc:
        raise HTTPException(422, str(exc)) from None
    return {
        "location_id": done.location_id,
        "response_interval_s": done.response_interval_s,
        "ratings": done.ratings,
        "misuse": done.misuse,
        "changed": done.changed,
    }
