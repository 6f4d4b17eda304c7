"""Location routes for scripts: the list and one location's summary over local days."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request

from hub.api.deps import ClosedQ, CurrentPrincipal, StoreDep, day_range, visible_location
from hub.reports import scoring

router = APIRouter(prefix="/api/locations", tags=["locations"])


@router.get("")
def list_locations(store: StoreDep, who: CurrentPrincipal) -> list[dict[str, Any]]:
    return [
        {"id": loc.id, "name": loc.name, "timezone": loc.timezone, "region_id": loc.region_id}
        for loc in store.registry.locations()
        if who.may_see(loc.id)
    ]


@router.get("/{location_id}/summary")
def location_summary(
    request: Request,
    location_id: str,
    store: StoreDep,
    who: CurrentPrincipal,
    from_: Annotated[str | None, Query(alias="from", description="first local day, YYYY-MM-DD")] = None,
    to: Annotated[str | None, Query(description="last local day, YYYY-MM-DD (inclusive)")] = None,
    include_misuse: bool = False,
    include_closed: ClosedQ = False,
) -> dict[str, Any]:
    loc = visible_location(store, who, location_id)
    days = day_range(loc, from_, to, request.app.state.now_ms())
    body = scoring.summary(store, loc.id, days, include_misuse=include_misuse, include_closed=include_closed)
    return {"timezone": loc.timezone, **body}
