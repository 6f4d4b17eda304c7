"""The JSON API: health, metrics, locations and their summaries. Every /api route needs a bearer token."""

from __future__ import annotations

import re
import threading
from datetime import date, timedelta
from pathlib import Path
from typing import Annotated, Any

import sqlite_utils
from fastapi import APIRouter, Depends, HTTPException, Query, Request
from fastapi.responses import PlainTextResponse
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from feedback.ids import is_valid_id
from hub import reports
from hub.auth import InvalidToken, Principal, principal_for_token
from hub.db import open_db
from hub.localtime import today
from hub.registry import Location, Registry

_local = threading.local()
_DAY = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def get_db(request: Request) -> sqlite_utils.Database:
    """One connection per worker thread, opened on first use."""
    path: Path = request.app.state.config.db_path
    db: sqlite_utils.Database | None = getattr(_local, "db", None)
    if db is None or getattr(_local, "path", None) != path:
        db = open_db(path)
        _local.db, _local.path = db, path
    return db


DbDep = Annotated[sqlite_utils.Database, Depends(get_db)]
_bearer = HTTPBearer(auto_error=False)


def get_principal(
    request: Request, db: DbDep, creds: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)]
) -> Principal:
    session_principal = getattr(request.state, "principal", None)
    if isinstance(session_principal, Principal):
        return session_principal
    if creds is None or creds.scheme.lower() != "bearer":
        raise HTTPException(401, "a bearer token is required", headers={"WWW-Authenticate": "Bearer"})
    try:
        return principal_for_token(db, creds.credentials)
    except InvalidToken:
        raise HTTPException(401, "invalid token", headers={"WWW-Authenticate": "Bearer"}) from None


CurrentPrincipal = Annotated[Principal, Depends(get_principal)]


def require_admin(who: CurrentPrincipal) -> Principal:
    if not who.is_admin:
        raise HTTPException(403, "admin role required")
    return who


AdminPrincipal = Annotated[Principal, Depends(require_admin)]


def parse_day(value: str | None, name: str) -> date | None:
    if value is None:
        return None
    if not _DAY.match(value):
        raise HTTPException(422, f"'{name}' must be a date as YYYY-MM-DD")
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise HTTPException(422, f"'{name}' is not a real date: {value}") from None


def visible_location(db: sqlite_utils.Database, who: Principal, location_id: str) -> Location:
    """The location, or 404 — also when it exists but is not the caller's, so ids do not leak."""
    loc = Registry(db).find_location(location_id) if is_valid_id(location_id) else None
    if loc is None or not who.may_see(loc.id):
        raise HTTPException(404, f"no location {location_id!r}")
    return loc


def day_range(loc: Location, first: str | None, last: str | None, now_ms: int) -> reports.DayRange:
    """The requested local days; by default the last 7 days up to today in the location's zone."""
    to_day = parse_day(last, "to") or today(loc.timezone, now_ms)
    from_day = parse_day(first, "from") or to_day - timedelta(days=6)
    try:
        return reports.DayRange(from_day, to_day)
    except reports.BadRange as exc:
        raise HTTPException(422, str(exc)) from None


router = APIRouter()


@router.get("/healthz", tags=["ops"])
def healthz(request: Request) -> dict[str, Any]:
    ingest = getattr(request.app.state, "ingest", None)
    return {
        "status": "ok",
        "mqtt_connected": bool(ingest and ingest.is_connected),
        "broker": "managed" if request.app.state.config.is_broker_managed else "external",
    }


@router.get("/metrics", tags=["ops"], response_class=PlainTextResponse)
def metrics(request: Request, db: DbDep) -> str:
    counts = dict(
        db.conn.execute(
            "SELECT 'hub_ratings_total', count(*) FROM ratings UNION ALL SELECT 'hub_rejected_kept', count(*) FROM"
            " rejected UNION ALL SELECT 'hub_quarantine_kept', count(*) FROM quarantine UNION ALL SELECT"
            " 'hub_kiosks_online', count(*) FROM kiosk_state WHERE is_online = 1"
        ).fetchall()
    )
    return str(request.app.state.metrics.render(counts))


@router.get("/api/locations", tags=["locations"])
def list_locations(db: DbDep, who: CurrentPrincipal) -> list[dict[str, Any]]:
    return [
        {"id": loc.id, "name": loc.name, "timezone": loc.timezone, "region_id": loc.region_id}
        for loc in Registry(db).locations()
        if who.may_see(loc.id)
    ]


@router.get("/api/locations/{location_id}/summary", tags=["locations"])
def location_summary(
    request: Request,
    location_id: str,
    db: DbDep,
    who: CurrentPrincipal,
    from_: Annotated[str | None, Query(alias="from", description="first local day, YYYY-MM-DD")] = None,
    to: Annotated[str | None, Query(description="last local day, YYYY-MM-DD (inclusive)")] = None,
    include_misuse: bool = False,
) -> dict[str, Any]:
    loc = visible_location(db, who, location_id)
    days = day_range(loc, from_, to, request.app.state.now_ms())
    return {"timezone": loc.timezone, **reports.summary(db, loc.id, days, include_misuse=include_misuse)}


@router.get("/api/kiosks", tags=["fleet"])
def list_kiosks(db: DbDep, who: CurrentPrincipal) -> list[dict[str, Any]]:
    return [k for k in Registry(db).kiosks() if who.may_see(k["location_id"])]


@router.get("/api/rejections", tags=["ops"])
def list_rejections(
    db: DbDep, who: AdminPrincipal, limit: Annotated[int, Query(ge=1, le=1000)] = 100
) -> dict[str, Any]:
    by_reason = dict(db.conn.execute("SELECT reason, count(*) FROM rejected GROUP BY reason").fetchall())
    rows = db.conn.execute(
        "SELECT kiosk_id, seq, received_ms, reason, detail FROM rejected ORDER BY id DESC LIMIT ?", (limit,)
    ).fetchall()
    recent = [dict(zip(("kiosk_id", "seq", "received_ms", "reason", "detail"), r, strict=True)) for r in rows]
    return {"by_reason": by_reason, "recent": recent}


@router.get("/api/quarantine", tags=["ops"])
def list_quarantine(db: DbDep, who: AdminPrincipal) -> list[dict[str, Any]]:
    rows = db.conn.execute(
        "SELECT kiosk_id, count(*), min(seq), max(seq), max(received_ms) FROM quarantine GROUP BY kiosk_id"
    ).fetchall()
    return [
        dict(zip(("kiosk_id", "ratings", "first_seq", "last_seq", "last_received_ms"), r, strict=True)) for r in rows
    ]
