"""Administering the organisation for scripts and the admin pages: regions and locations (stores), with time
zone, opening hours per weekday and dated exceptions. Every write is admin-only, CSRF-checked for browser
sessions and recorded in the audit log."""

from __future__ import annotations

import json
import zoneinfo
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from pydantic import BaseModel, Field

from hub.api.deps import ID_PATTERN, AdminPrincipal, CurrentPrincipal, StoreDep, audit, require_csrf, visible_location
from hub.errors import AlreadyExists, NotFound
from hub.fleet.settings import RemoteSettings
from hub.reports.opening_hours import checked_exceptions, days_from_week, week_from_days
from hub.store import Store

router = APIRouter(prefix="/api", tags=["administration"])
Hours = Annotated[list[int], Field(min_length=2, max_length=2, description="[open hour, close hour], 0-24")]
Name = Annotated[str, Field(min_length=1, max_length=80, pattern=r"^[^\x00-\x1f]*\S[^\x00-\x1f]*$")]


class RegionIn(BaseModel):
    id: str = Field(pattern=ID_PATTERN, description="a-z, 0-9 and '-'")
    name: Name


class RegionPatch(BaseModel):
    name: Name


class OpeningException(BaseModel):
    date: str = Field(pattern=r"^\d{4}-\d{2}-\d{2}$", description="local day YYYY-MM-DD")
    hours: Hours | None = Field(default=None, description="[open, close] that day; null: closed all day")
    note: str = Field(default="", max_length=80)


Week = dict[str, Hours | None]
WEEK_DOC = "per weekday mon..sun: [open hour, close hour] or null (closed); a day not named is closed"


class LocationIn(BaseModel):
    id: str = Field(pattern=ID_PATTERN)
    name: Name
    timezone: str = Field(max_length=64, description="IANA zone, e.g. Europe/Stockholm")
    region_id: str | None = Field(default=None, pattern=ID_PATTERN)
    opening_hours: Week | None = Field(default=None, description=WEEK_DOC)
    opening_exceptions: list[OpeningException] = Field(default_factory=list, max_length=400)


class LocationPatch(BaseModel):
    name: Name | None = None
    timezone: str | None = Field(default=None, max_length=64, description="only before the first answer")
    region_id: str | None = Field(default=None, pattern=ID_PATTERN)
    opening_hours: Week | None = Field(default=None, description=WEEK_DOC)
    opening_exceptions: list[OpeningException] | None = Field(default=None, max_length=400)


def location_details(store: Store, location_id: str) -> dict[str, Any]:
    loc = store.registry.location(location_id)
    hours = store.registry.location_hours(loc.id)
    return {
        "id": loc.id,
        "name": loc.name,
        "timezone": loc.timezone,
        "region_id": loc.region_id,
        "response_interval_s": loc.response_interval_s,
        "opening_hours": days_from_week(hours.week) if hours.week else None,
        "opening_exceptions": hours.exceptions,
    }


def _set_hours(store: Store, location_id: str, week: Week | None, exceptions: list[OpeningException] | None) -> None:
    store.registry.set_location_hours(
        location_id,
        week_json=None if week is None else json.dumps(week_from_days(dict(week))),
        exceptions_json=None
        if exceptions is None
        else json.dumps(checked_exceptions([e.model_dump() for e in exceptions]), ensure_ascii=False),
    )


@router.post("/regions", status_code=201, dependencies=[Depends(require_csrf)])
def create_region(request: Request, body: RegionIn, store: StoreDep, who: AdminPrincipal) -> dict[str, Any]:
    """(admin) Add a region; 409 when the id is taken."""
    if store.registry.find_region(body.id) is not None:
        raise AlreadyExists(f"id: region {body.id!r} exists already")
    store.registry.add_region(body.id, name=body.name)
    audit(request, store, who, "region.create", body.id, name=body.name)
    return {"id": body.id, "name": body.name}


@router.get("/regions/all")
def all_regions(store: StoreDep, who: AdminPrincipal) -> list[dict[str, str]]:
    """(admin) Every region, also those without a store yet."""
    return [{"id": rid, "name": name} for rid, name in store.registry.regions()]


@router.patch("/regions/{region_id}", dependencies=[Depends(require_csrf)])
def rename_region(
    request: Request, region_id: str, body: RegionPatch, store: StoreDep, who: AdminPrincipal
) -> dict[str, Any]:
    """(admin) Rename a region."""
    if store.registry.find_region(region_id) is None:
        raise NotFound(f"no region {region_id[:80]!r}")
    store.registry.add_region(region_id, name=body.name)
    audit(request, store, who, "region.rename", region_id, name=body.name)
    return {"id": region_id, "name": body.name}


@router.post("/locations", status_code=201, dependencies=[Depends(require_csrf)])
def create_location(request: Request, body: LocationIn, store: StoreDep, who: AdminPrincipal) -> dict[str, Any]:
    """(admin) Add a location (store) with its time zone, region and opening hours; 409 when the id is taken."""
    if body.region_id is not None and store.registry.find_region(body.region_id) is None:
        raise NotFound(f"region_id: no region {body.region_id!r}")
    week_from_days(dict(body.opening_hours or {}))  # check everything before anything is stored
    checked_exceptions([e.model_dump() for e in body.opening_exceptions])
    now = request.app.state.now_ms()
    store.registry.add_location(body.id, name=body.name, timezone=body.timezone, now_ms=now, region_id=body.region_id)
    _set_hours(store, body.id, body.opening_hours, body.opening_exceptions)
    audit(request, store, who, "location.create", body.id, **body.model_dump(exclude={"id"}))
    return location_details(store, body.id)


@router.get("/locations/{location_id}")
def get_location(location_id: str, store: StoreDep, who: CurrentPrincipal) -> dict[str, Any]:
    """A location's details: name, zone, region, misuse interval, opening hours and dated exceptions."""
    return location_details(store, visible_location(store, who, location_id).id)


@router.patch("/locations/{location_id}", dependencies=[Depends(require_csrf)])
def update_location(
    request: Request, location_id: str, body: LocationPatch, store: StoreDep, who: AdminPrincipal
) -> dict[str, Any]:
    """(admin) Rename, move to a region, change opening hours or exceptions; the time zone only before the
    location's first answer (422 after)."""
    loc = visible_location(store, who, location_id)
    if body.region_id is not None and store.registry.find_region(body.region_id) is None:
        raise NotFound(f"region_id: no region {body.region_id!r}")
    week_from_days(dict(body.opening_hours or {}))
    checked_exceptions([e.model_dump() for e in body.opening_exceptions or []])
    if body.region_id is not None:
        RemoteSettings(store).check_location_move(loc.id, region_id=body.region_id)
    store.registry.update_location(loc.id, name=body.name, timezone=body.timezone)
    if body.region_id is not None:
        store.registry.set_location_details(loc.id, region_id=body.region_id)
        RemoteSettings(store).plan(now_ms=request.app.state.now_ms())  # its kiosks get the new region's settings
    _set_hours(store, loc.id, body.opening_hours, body.opening_exceptions)
    audit(request, store, who, "location.update", loc.id, **body.model_dump(exclude_unset=True))
    return location_details(store, loc.id)


@router.get("/timezones")
def timezones(who: CurrentPrincipal) -> list[str]:
    """The IANA time zone names a location may use (the admin page's list)."""
    return sorted(available_timezones())


def available_timezones() -> set[str]:
    return {z for z in zoneinfo.available_timezones() if "/" in z and not z.startswith(("Etc/", "SystemV/"))}
