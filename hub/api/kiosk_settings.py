"""Remote kiosk settings per scope for scripts and the admin pages: the organisation (``all``), a region, a
location or one kiosk — question texts per language, faces, follow-up reasons, timeouts, opening hours, everything
``hub config`` sets — with each kiosk's rollout state. Admin-only; writes CSRF-checked and audited."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Request
from pydantic import BaseModel, Field

from hub.api.deps import AdminPrincipal, StoreDep, audit, require_csrf
from hub.errors import UnknownKiosk, UnknownLocation, UnknownRegion
from hub.fleet.misuse_rule import recompute_for_scope
from hub.fleet.settings import RemoteSettings, rollout_state
from hub.store import Store

router = APIRouter(prefix="/api/kiosk-settings", tags=["administration"])


class SettingsPatch(BaseModel):
    set: dict[str, Any] = Field(
        default_factory=dict, description='settings to merge in, e.g. {"faces": 5, "questions": {"en": "How was it?"}}'
    )
    unset: list[str] = Field(default_factory=list, max_length=100, description='keys to drop: "questions.en"')
    replace: bool = Field(default=False, description="replace this scope's settings instead of merging")


def rollout(store: Store, scope: str, scope_id: str) -> list[dict[str, Any]]:
    names = {k["id"]: k["name"] for k in store.registry.kiosks()}
    out = []
    for row in RemoteSettings(store).status():
        if scope != "all" and row[f"{scope}_id"] != scope_id:
            continue
        out.append({**row, "name": names.get(row["kiosk_id"]), "state": rollout_state(row)})
    return out


def _scope_doc(store: Store, scope: str, scope_id: str) -> dict[str, Any]:
    remote = RemoteSettings(store)
    return {
        "scope": scope,
        "id": scope_id,
        "settings": remote.settings(scope, scope_id),
        "effective": remote.effective_at(scope, scope_id),
        "rollout": rollout(store, scope, scope_id),
    }


def _patch(request: Request, store: Store, who: Any, scope: str, scope_id: str, body: SettingsPatch) -> dict[str, Any]:
    now = request.app.state.now_ms()
    RemoteSettings(store).set(scope, scope_id, changes=body.set, unset=body.unset, replace=body.replace, now_ms=now)
    if "response_interval_s" in body.set:
        recompute_for_scope(store, scope, scope_id, interval_s=float(body.set["response_interval_s"]))
    audit(request, store, who, "settings.update", f"{scope}:{scope_id}" if scope_id else scope, **body.model_dump())
    return _scope_doc(store, scope, scope_id)


def _location(store: Store, location_id: str) -> str:
    if store.registry.find_location(location_id) is None:
        raise UnknownLocation(f"no location {location_id[:80]!r}")
    return location_id


def _region(store: Store, region_id: str) -> str:
    if store.registry.find_region(region_id) is None:
        raise UnknownRegion(f"no region {region_id[:80]!r}")
    return region_id


def _kiosk(store: Store, kiosk_id: str) -> str:
    if store.registry.find_kiosk(kiosk_id) is None:
        raise UnknownKiosk(f"no kiosk {kiosk_id[:80]!r}")
    return kiosk_id


@router.get("/rollout")
def rollout_all(store: StoreDep, who: AdminPrincipal) -> list[dict[str, Any]]:
    """(admin) Each kiosk's settings version: planned, published, applied, or refused with the kiosk's reason."""
    return rollout(store, "all", "")


@router.get("/all")
def organisation_settings(store: StoreDep, who: AdminPrincipal) -> dict[str, Any]:
    """(admin) The organisation's settings (every kiosk's defaults), what a kiosk gets from them, the rollout."""
    return _scope_doc(store, "all", "")


@router.patch("/all", dependencies=[Depends(require_csrf)])
def change_organisation_settings(
    request: Request, body: SettingsPatch, store: StoreDep, who: AdminPrincipal
) -> dict[str, Any]:
    """(admin) Change the organisation's settings; refused (422, naming the key) when any kiosk would refuse."""
    return _patch(request, store, who, "all", "", body)


@router.get("/regions/{region_id}")
def region_settings(region_id: str, store: StoreDep, who: AdminPrincipal) -> dict[str, Any]:
    """(admin) One region's settings over the organisation's (its locations' and kiosks' own settings win over
    them), what a kiosk there gets, and the rollout of the kiosks in its locations."""
    return _scope_doc(store, "region", _region(store, region_id))


@router.patch("/regions/{region_id}", dependencies=[Depends(require_csrf)])
def change_region_settings(
    request: Request, region_id: str, body: SettingsPatch, store: StoreDep, who: AdminPrincipal
) -> dict[str, Any]:
    """(admin) Change one region's settings; refused (422, naming the key) when a kiosk in it would refuse (a
    ``response_interval_s`` also re-flags the stored taps of its locations)."""
    return _patch(request, store, who, "region", _region(store, region_id), body)


@router.get("/locations/{location_id}")
def location_settings(location_id: str, store: StoreDep, who: AdminPrincipal) -> dict[str, Any]:
    """(admin) One location's settings over the organisation's, and its kiosks' rollout."""
    return _scope_doc(store, "location", _location(store, location_id))


@router.patch("/locations/{location_id}", dependencies=[Depends(require_csrf)])
def change_location_settings(
    request: Request, location_id: str, body: SettingsPatch, store: StoreDep, who: AdminPrincipal
) -> dict[str, Any]:
    """(admin) Change one location's settings (a ``response_interval_s`` also re-flags its stored taps)."""
    return _patch(request, store, who, "location", _location(store, location_id), body)


@router.get("/kiosks/{kiosk_id}")
def kiosk_settings(kiosk_id: str, store: StoreDep, who: AdminPrincipal) -> dict[str, Any]:
    """(admin) One kiosk's own settings, its effective settings and its rollout state."""
    return _scope_doc(store, "kiosk", _kiosk(store, kiosk_id))


@router.patch("/kiosks/{kiosk_id}", dependencies=[Depends(require_csrf)])
def change_kiosk_settings(
    request: Request, kiosk_id: str, body: SettingsPatch, store: StoreDep, who: AdminPrincipal
) -> dict[str, Any]:
    """(admin) Change one kiosk's own settings."""
    return _patch(request, store, who, "kiosk", _kiosk(store, kiosk_id), body)
