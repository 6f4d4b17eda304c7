"""Operations routes: health, Prometheus metrics, refused input and quarantine (admins)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import PlainTextResponse

from feedback.abuse import FLAGGED_FOR_MS
from hub.api.deps import AdminPrincipal, StoreDep
from hub.leadership import LEADER_WORK
from hub.metrics import Metrics

router = APIRouter(tags=["ops"])


@router.get("/healthz")
def healthz(request: Request) -> dict[str, Any]:
    state = request.app.state
    ingest = getattr(state, "ingest", None)
    # without an ingest (serve --no-ingest) this process's broker connection is its config publisher's
    mqtt = ingest if ingest is not None else getattr(state, "publisher", None)
    leadership = getattr(state, "leadership", None)
    return {
        "status": "ok",
        "mqtt_connected": bool(mqtt and mqtt.is_connected),
        "broker": "managed" if state.config.is_broker_managed else "external",
        "leads": [n for n in leadership.held() if n in LEADER_WORK] if leadership is not None else [],
    }


@router.get("/metrics", response_class=PlainTextResponse)
def metrics(request: Request, store: StoreDep) -> str:
    """Prometheus text; ``hub_kiosk_flagged{kiosk=…}`` is 1 for each kiosk over its tap limit in the last hour."""
    m: Metrics = request.app.state.metrics
    flagged = set(store.ops.flagged_kiosks(since_ms=request.app.state.now_ms() - FLAGGED_FOR_MS))
    for kiosk_id in flagged | m.labels_of("hub_kiosk_flagged", "kiosk"):
        m.set(
            "hub_kiosk_flagged",
            int(kiosk_id in flagged),
            help="1: the kiosk sent taps far above a person's rate within the last hour",
            kiosk=kiosk_id,
        )
    return str(m.render({**store.ops.metric_counts(), "hub_kiosks_flagged": len(flagged)}))


@router.get("/api/rejections")
def list_rejections(
    store: StoreDep, who: AdminPrincipal, limit: Annotated[int, Query(ge=1, le=1000)] = 100
) -> dict[str, Any]:
    by_reason, recent = store.ops.rejections(limit=limit)
    return {"by_reason": by_reason, "recent": recent}


@router.get("/api/quarantine")
def list_quarantine(store: StoreDep, who: AdminPrincipal) -> list[dict[str, Any]]:
    return store.ops.quarantine()
