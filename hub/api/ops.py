"""Operations routes: health, Prometheus metrics, refused input and quarantine (admins)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import PlainTextResponse

from hub.api.deps import AdminPrincipal, StoreDep

router = APIRouter(tags=["ops"])


@router.get("/healthz")
def healthz(request: Request) -> dict[str, Any]:
    ingest = getattr(request.app.state, "ingest", None)
    return {
        "status": "ok",
        "mqtt_connected": bool(ingest and ingest.is_connected),
        "broker": "managed" if request.app.state.config.is_broker_managed else "external",
    }


@router.get("/metrics", response_class=PlainTextResponse)
def metrics(request: Request, store: StoreDep) -> str:
    return str(request.app.state.metrics.render(store.ops.metric_counts()))


@router.get("/api/rejections")
def list_rejections(
    store: StoreDep, who: AdminPrincipal, limit: Annotated[int, Query(ge=1, le=1000)] = 100
) -> dict[str, Any]:
    by_reason, recent = store.ops.rejections(limit=limit)
    return {"by_reason": by_reason, "recent": recent}


@router.get("/api/quarantine")
def list_quarantine(store: StoreDep, who: AdminPrincipal) -> list[dict[str, Any]]:
    return store.ops.quarantine()
