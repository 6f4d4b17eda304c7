"""Administering kiosks for scripts and the admin pages: add one (its config file returned once, the broker
password in it never stored in clear), rename, move, disable/enable, retire, a new staff PIN (shown once, kept
and pushed only as a hash). Admin-only, CSRF-checked for browser sessions, recorded in the audit log."""

from __future__ import annotations

import datetime as dt
from typing import Any

from fastapi import APIRouter, Depends, Request
from pydantic import BaseModel, Field

from hub.api.deps import ID_PATTERN, AdminPrincipal, StoreDep, audit, require_csrf, visible_location
from hub.errors import Invalid, UnknownKiosk
from hub.fleet.addresses import for_new_kiosk
from hub.fleet.kiosks import change_staff_pin, check_new_kiosk, kiosk_config_text, register_kiosk
from hub.fleet.pki import KioskCA
from hub.store import Store

router = APIRouter(prefix="/api/kiosks", tags=["administration"])


class KioskIn(BaseModel):
    id: str = Field(pattern=ID_PATTERN, description="also the kiosk's broker username: a-z, 0-9 and '-'")
    location_id: str = Field(pattern=ID_PATTERN)
    name: str | None = Field(default=None, max_length=80, description="shown instead of the id")
    broker_url: str | None = Field(
        default=None,
        pattern=r"^mqtts?://[A-Za-z0-9.:\[\]-]{1,200}$",
        description="default: the hub's own (all, with several brokers)",
    )
    tls: bool = Field(default=False, description="issue a client certificate and use the TLS listener")


class NewPin(BaseModel):
    kiosk_id: str
    staff_pin: str = Field(description="the new 6-digit PIN, shown this once: the hub keeps only its hash")


class KioskPatch(BaseModel):
    name: str | None = Field(default=None, max_length=80, description="empty: show the id again")
    location_id: str | None = Field(default=None, pattern=ID_PATTERN, description="move: taps from now count there")
    is_disabled: bool | None = Field(default=None, description="true revokes broker access; its data stays")
    is_retired: bool | None = Field(default=None, description="true takes it out of service for good")


def kiosk_row(store: Store, kiosk_id: str) -> dict[str, Any]:
    k = store.registry.kiosk(kiosk_id)
    return {
        "id": k.id,
        "name": k.name,
        "location_id": k.location_id,
        "is_disabled": k.is_disabled,
        "is_retired": k.is_retired,
    }


@router.post("", status_code=201, dependencies=[Depends(require_csrf)])
def add_kiosk(request: Request, body: KioskIn, store: StoreDep, who: AdminPrincipal) -> dict[str, Any]:
    """(admin) Register a kiosk; the answer holds its TOML config file (``config_toml``) with its broker
    password — the only time the password is shown."""
    loc = visible_location(store, who, body.location_id)
    check_new_kiosk(store, body.id, location_id=loc.id)
    urls = for_new_kiosk(store, given=[body.broker_url] if body.broker_url else None, tls=body.tls)
    config_dir = request.app.state.config.data_dir
    ca = KioskCA(config_dir / "pki").ensure(now=dt.datetime.now(dt.UTC)) if body.tls else None
    now = request.app.state.now_ms()
    registered = register_kiosk(store, body.id, location_id=loc.id, now_ms=now)
    if body.name:
        store.registry.set_kiosk_name(body.id, body.name.strip())
    tls_pems = None
    if ca is not None:
        issued = ca.issue_client(body.id, now=dt.datetime.now(dt.UTC))
        tls_pems = (ca.cert_pem, issued.cert_pem, issued.key_pem)
    text = kiosk_config_text(
        body.id,
        loc.id,
        urls,
        registered.password,
        tls_pems=tls_pems,
        written_by="the hub's admin page / API",
        staff_pin_hash=registered.staff_pin_hash,
    )
    audit(request, store, who, "kiosk.create", body.id, location_id=loc.id, name=body.name, tls=body.tls)
    return {
        "kiosk": kiosk_row(store, body.id),
        "promoted": registered.promoted,
        "filename": f"{body.id}.toml",
        "config_toml": text,
        "staff_pin": registered.staff_pin,  # shown once, like the password in the config
    }


@router.patch("/{kiosk_id}", dependencies=[Depends(require_csrf)])
def update_kiosk(
    request: Request, kiosk_id: str, body: KioskPatch, store: StoreDep, who: AdminPrincipal
) -> dict[str, Any]:
    """(admin) Rename, move, disable/enable or retire a kiosk (retiring cannot be undone)."""
    reg = store.registry
    kiosk = reg.find_kiosk(kiosk_id)
    if kiosk is None:
        raise UnknownKiosk(f"no kiosk {kiosk_id[:80]!r}")
    if body.is_retired is False and kiosk.is_retired:
        raise Invalid("is_retired: a retired kiosk stays retired; register a new one")
    if kiosk.is_retired and (body.is_disabled is False or body.location_id is not None):
        raise Invalid("a retired kiosk cannot be enabled or moved")
    if body.location_id is not None:
        visible_location(store, who, body.location_id)
    now = request.app.state.now_ms()
    if body.name is not None:
        reg.set_kiosk_name(kiosk.id, body.name.strip() or None)
    if body.location_id is not None and body.location_id != kiosk.location_id:
        reg.move_kiosk(kiosk.id, location_id=body.location_id, now_ms=now)
    if body.is_disabled is not None:
        reg.set_disabled(kiosk.id, is_disabled=body.is_disabled)
    if body.is_retired:
        reg.retire_kiosk(kiosk.id, now_ms=now)
    audit(request, store, who, "kiosk.update", kiosk.id, **body.model_dump(exclude_unset=True))
    return kiosk_row(store, kiosk.id)


@router.post("/{kiosk_id}/pin", dependencies=[Depends(require_csrf)])
def new_staff_pin(request: Request, kiosk_id: str, store: StoreDep, who: AdminPrincipal) -> NewPin:
    """(admin) Give the kiosk a new random staff PIN, returned this once. Its hash becomes the kiosk's own
    ``staff_pin_hash`` remote setting, published to the kiosk, which takes it live; the old PIN stops working
    then. Audited without the PIN."""
    kiosk = store.registry.find_kiosk(kiosk_id)
    if kiosk is None:
        raise UnknownKiosk(f"no kiosk {kiosk_id[:80]!r}")
    pin = change_staff_pin(store, kiosk.id, now_ms=request.app.state.now_ms())
    audit(request, store, who, "kiosk.pin", kiosk.id)
    return NewPin(kiosk_id=kiosk.id, staff_pin=pin)
