"""Registering kiosks: a fresh broker password (kept only as a hash), the quarantine promoted, and the kiosk's
config file (written once, by ``hub kiosk add`` or ``POST /api/kiosks``: the hub keeps no copy of the password);
a new staff PIN for a kiosk (``hub kiosk pin``, ``POST /api/kiosks/{id}/pin``), pushed as a hash."""

from __future__ import annotations

import datetime as dt
import secrets
from dataclasses import dataclass

from feedback.ids import check_id
from feedback.staff_pin import hash_pin
from hub.errors import AlreadyExists, Invalid
from hub.fleet.broker import RESERVED_USERNAMES
from hub.fleet.passwords import mosquitto_hash, new_secret
from hub.fleet.settings import RemoteSettings
from hub.store import Store

STAFF_PIN_DIGITS = 6


@dataclass(frozen=True, slots=True)
class Registered:
    kiosk_id: str
    password: str  # shown once: written into the kiosk's config file
    promoted: int  # ratings it sent before it was registered, now counted
    staff_pin: str  # shown once to whoever added the kiosk; the config holds only its hash (there is no default)
    staff_pin_hash: str


def check_new_kiosk(store: Store, kiosk_id: str, *, location_id: str) -> None:
    """:raises HubError: the id is malformed, reserved or taken, or the location does not exist"""
    check_id(kiosk_id, what="kiosk id")
    if kiosk_id in RESERVED_USERNAMES:
        raise AlreadyExists(f"kiosk id {kiosk_id!r} is reserved")
    store.registry.location(location_id)
    if store.registry.find_kiosk(kiosk_id) is not None:
        raise AlreadyExists(f"kiosk {kiosk_id!r} exists already")
    if store.imports.is_imported_device(kiosk_id):
        raise AlreadyExists(f"kiosk id {kiosk_id!r} is a device imported from HappyOrNot")


def register_kiosk(store: Store, kiosk_id: str, *, location_id: str, now_ms: int) -> Registered:
    """Add a kiosk to a location with a new broker password; its quarantined ratings count from now on.

    :raises HubError: see :func:`check_new_kiosk`
    """
    check_new_kiosk(store, kiosk_id, location_id=location_id)
    password = new_secret()
    store.registry.add_kiosk(kiosk_id, location_id=location_id, password_hash=mosquitto_hash(password), now_ms=now_ms)
    promoted = store.ledger.promote_quarantine(kiosk_id, now_ms=now_ms)
    staff_pin, staff_pin_hash = new_staff_pin()
    return Registered(kiosk_id, password, promoted, staff_pin, staff_pin_hash)


def new_staff_pin() -> tuple[str, str]:
    """A random 6-digit staff PIN and its salted hash (``feedback.staff_pin.hash_pin``)."""
    staff_pin = "".join(secrets.choice("0123456789") for _ in range(STAFF_PIN_DIGITS))
    return staff_pin, hash_pin(staff_pin, salt=secrets.token_bytes(16))


def change_staff_pin(store: Store, kiosk_id: str, *, now_ms: int) -> str:
    """Give a kiosk a new random staff PIN and return it (to be shown once). Only its hash is kept: as the
    kiosk's own ``staff_pin_hash`` remote setting, so the running kiosk takes it live (it wins over the one in
    its config file, and any plain ``staff_pin``); the old PIN stops working as the kiosk applies it.

    :raises UnknownKiosk: no such kiosk. :raises Invalid: a retired kiosk.
    """
    kiosk = store.registry.kiosk(kiosk_id)
    if kiosk.is_retired:
        raise Invalid(f"kiosk {kiosk.id!r} is retired: it takes no new PIN")
    staff_pin, staff_pin_hash = new_staff_pin()
    RemoteSettings(store).set(
        "kiosk", kiosk.id, changes={"staff_pin_hash": staff_pin_hash}, unset=["staff_pin"], now_ms=now_ms
    )
    return staff_pin


def kiosk_config_text(
    kiosk_id: str,
    location_id: str,
    broker_urls: list[str],
    password: str,
    *,
    tls_pems: tuple[str, str, str] | None = None,
    written_by: str = "`python -m hub kiosk add`",
    staff_pin_hash: str | None = None,
) -> str:
    """The kiosk's TOML file (``broker.urls`` for several brokers); with ``tls_pems`` (CA, client cert, client
    key) the PEMs are embedded, with ``staff_pin_hash`` the staff panel's PIN (hashed; without one the panel
    stays shut)."""
    tls = ""
    if tls_pems is not None:
        ca_pem, cert_pem, key_pem = (pem.strip() for pem in tls_pems)
        tls = f"""# TLS: trust only the hub's kiosk CA; this kiosk's client certificate and its private key.
ca_pem = '''
{ca_pem}'''
cert_pem = '''
{cert_pem}'''
key_pem = '''
{key_pem}'''
"""
    if len(broker_urls) == 1:
        urls = f'url = "{broker_urls[0]}"'
    else:  # tried in this order; the kiosk moves on to the next when one dies
        urls = "urls = [" + ", ".join(f'"{u}"' for u in broker_urls) + "]"
    stamp = dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")
    return f"""# Kiosk configuration written by {written_by} on {stamp}.
# It holds this kiosk's broker password: keep it readable by the kiosk's user only.

[kiosk]
id = "{kiosk_id}"
location = "{location_id}"

[broker]
{urls}
username = "{kiosk_id}"
password = "{password}"
{tls}
[ui]
faces = 4
language = "sv"
languages = ["sv", "en"]
followup_faces = [0, 1]
""" + (f'staff_pin_hash = "{staff_pin_hash}"\n' if staff_pin_hash else "")
