"""Fleet routes: every permitted kiosk with its state, as scripts and the Kiosks page read them."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from feedback.abuse import FLAGGED_FOR_MS
from hub.api import models
from hub.api.deps import CurrentPrincipal, StoreDep

STALE_AFTER_MS = 5 * 60_000  # an "online" kiosk silent for longer (10 missed heartbeats) counts as offline

router = APIRouter(prefix="/api", tags=["fleet"])


@router.get("/kiosks")
def list_kiosks(store: StoreDep, who: CurrentPrincipal) -> list[dict[str, Any]]:
    return [k for k in store.registry.kiosks() if who.may_see(k["location_id"])]


@router.get("/fleet", response_class=JSONResponse, responses=models.doc(models.Fleet))
def fleet(request: Request, store: StoreDep, who: CurrentPrincipal) -> JSONResponse:
    """Every permitted kiosk in service (retired ones left out), with its friendly name: online/offline (offline
    too when silent for 5 minutes), last seen, outbox backlog and version (from its last online status), clock
    skew (kiosk clock minus hub clock, ms, from its latest live status), and whether it sent taps far above a
    person's rate within the last hour (``is_flagged``); offline first."""
    now = request.app.state.now_ms()
    names = {loc.id: loc.name for loc in store.registry.locations()}
    skews = store.ops.clock_skews()
    last_online = store.ops.last_online_statuses()
    out = []
    for k in store.registry.kiosks():
        if not who.may_see(k["location_id"]) or k["is_retired"]:
            continue
        # an offline kiosk's own status is its will (state only): show what it last said while online
        status = {**last_online.get(k["id"], {}), **(k["status"] or {})}
        seen = k["last_seen_ms"]
        is_online = k["is_online"] and seen is not None and now - seen <= STALE_AFTER_MS and not k["is_disabled"]
        out.append(
            {
                "id": k["id"],
                "name": k["name"],
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
                "is_flagged": k["over_limit_ms"] is not None and now - k["over_limit_ms"] <= FLAGGED_FOR_MS,
                "taps_over_limit": k["taps_over_limit"],
                "over_limit_ms": k["over_limit_ms"],
            }
        )
    out.sort(key=lambda r: (r["is_online"], r["location_name"] or "", r["id"]))
    return JSONResponse(
        {
            "now_ms": now,
            "stale_after_ms": STALE_AFTER_MS,
            "online": sum(r["is_online"] for r in out),
            "offline": sum(not r["is_online"] for r in out),
            "flagged": sum(r["is_flagged"] for r in out),
            "kiosks": out,
        }
    )
