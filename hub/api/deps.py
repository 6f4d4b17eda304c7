"""What every API route depends on: the store, the caller, their locations, the requested period."""

from __future__ import annotations

import threading
from collections import Counter
from datetime import date, timedelta
from pathlib import Path
from typing import Annotated, Any

from fastapi import Depends, HTTPException, Query, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from feedback.ids import is_valid_id
from hub.access import Principal
from hub.accounts import csrf_matches, principal_for_token
from hub.audit import without_secrets
from hub.errors import NotFound, UnknownLocation, UnknownQuestion
from hub.reports import ranges
from hub.reports.localtime import today
from hub.store import Store, open_store
from hub.store.records import Location

_local = threading.local()
MAX_IDS = 2000
ID_PATTERN = r"^[a-z0-9][a-z0-9-]{0,62}$"  # feedback.ids: what may travel in topics and broker usernames


def get_store(request: Request) -> Store:
    """One store connection per worker thread, opened on first use."""
    target: str | Path = request.app.state.config.store_target
    store: Store | None = getattr(_local, "store", None)
    if store is None or store.target != str(target):
        if store is not None:
            store.close()  # this thread served another hub's store before (tests run many apps in one process)
        store = open_store(target)
        _local.store = store
    return store


StoreDep = Annotated[Store, Depends(get_store)]
_bearer = HTTPBearer(auto_error=False)


def get_principal(
    request: Request, store: StoreDep, creds: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)]
) -> Principal:
    """The browser session's user, else the bearer token's (``InvalidToken`` answers 401)."""
    session_principal = getattr(request.state, "principal", None)
    if isinstance(session_principal, Principal):
        return session_principal
    if creds is None or creds.scheme.lower() != "bearer":
        raise HTTPException(401, "a bearer token is required", headers={"WWW-Authenticate": "Bearer"})
    return principal_for_token(store, creds.credentials)


CurrentPrincipal = Annotated[Principal, Depends(get_principal)]


def require_admin(who: CurrentPrincipal) -> Principal:
    if not who.is_admin:
        raise HTTPException(403, "admin role required")
    return who


AdminPrincipal = Annotated[Principal, Depends(require_admin)]


def require_csrf(request: Request) -> None:
    """Writes authenticated by the session cookie must echo the session's CSRF token in ``X-CSRF-Token``."""
    session = getattr(request.state, "session", None)
    if session is not None and not csrf_matches(session.csrf, request.headers.get("x-csrf-token")):
        raise HTTPException(403, "missing or wrong X-CSRF-Token header")


def audit(request: Request, store: Store, who: Principal, action: str, target: str, **detail: Any) -> None:
    """Record an administrative change in the audit log (``detail``: what changed; secrets are taken out)."""
    store.audit.record(
        actor=who.name, action=action, target=target, detail=without_secrets(detail), now_ms=request.app.state.now_ms()
    )


def visible_location(store: Store, who: Principal, location_id: str) -> Location:
    """The location; :raises UnknownLocation: also when it exists but is not the caller's, so ids do not leak."""
    loc = store.registry.find_location(location_id) if is_valid_id(location_id) else None
    if loc is None or not who.may_see(loc.id):
        raise UnknownLocation(f"no location {location_id[:80]!r}")
    return loc


def selected_locations(
    store: Store, who: Principal, location_ids: list[str] | None = None, region_ids: list[str] | None = None
) -> list[Location]:
    """The caller's locations, optionally narrowed to ids and/or regions; unknown or foreign ids: NotFound."""
    mine = [loc for loc in store.registry.locations() if who.may_see(loc.id)]
    if location_ids:
        known = {loc.id for loc in mine}
        for lid in location_ids:
            if not is_valid_id(lid) or lid not in known:
                raise UnknownLocation(f"no location {lid[:80]!r}")
        wanted = set(location_ids)
        mine = [loc for loc in mine if loc.id in wanted]
    if region_ids:
        regions = {loc.region_id for loc in mine}
        for rid in region_ids:
            if not is_valid_id(rid) or rid not in regions:
                raise NotFound(f"no region {rid[:80]!r} among your locations")
        mine = [loc for loc in mine if loc.region_id in set(region_ids)]
    return mine


def require_answered(store: Store, locations: list[Location], question: str | None) -> None:
    """:raises UnknownQuestion: (a 404 naming ``question``) when none of the locations ever got an answer to it,
    so a filter never reads as a silent zero, and another store's questions stay unknown to a manager."""
    if question is not None and not store.questions.answered_at([loc.id for loc in locations], question):
        raise UnknownQuestion(f"question: none of the chosen stores ever got an answer to {question[:64]!r}")


def reference_today(locations: list[Location], now_ms: int) -> date:
    """ "Today" for a range over several locations: in the zone most of them use (UTC when there are none)."""
    zones = Counter(loc.timezone for loc in locations)
    return today(zones.most_common(1)[0][0] if zones else "UTC", now_ms)


def period_for(today_: date, preset: str | None, first: str | None, last: str | None) -> ranges.Period:
    """:raises BadRange: (a 422) for an unknown preset or bad days"""
    return ranges.resolve(today=today_, preset=preset, first=first, last=last)


def day_range(loc: Location, first: str | None, last: str | None, now_ms: int) -> ranges.DayRange:
    """The requested local days; by default the last 7 days up to today in the location's zone."""
    to_day = ranges.parse_day(last, "to") if last is not None else today(loc.timezone, now_ms)
    from_day = ranges.parse_day(first, "from") if first is not None else to_day - timedelta(days=6)
    return ranges.DayRange(from_day, to_day)


RangeQ = Annotated[str | None, Query(alias="range", description=f"preset: {', '.join(ranges.PRESETS)}", max_length=20)]
FromQ = Annotated[
    str | None, Query(alias="from", description="first local day YYYY-MM-DD (custom range)", max_length=10)
]
ToQ = Annotated[str | None, Query(description="last local day YYYY-MM-DD, inclusive (custom range)", max_length=10)]
MisuseQ = Annotated[bool, Query(description="count taps flagged as misuse too (excluded by default)")]
ClosedQ = Annotated[
    bool, Query(description="count answers given outside the store's opening hours too (excluded by default)")
]
IdsQ = Annotated[list[str] | None, Query(description="restrict to these location ids", max_length=MAX_IDS)]
RegionQ = Annotated[list[str] | None, Query(description="restrict to locations in these regions", max_length=100)]
QuestionQ = Annotated[
    str | None, Query(max_length=64, description="only the answers to this question id (see GET /api/questions)")
]
