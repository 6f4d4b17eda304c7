"""Registering kiosks: a fresh broker password (kept only as a hash) and the quarantine promoted."""

from __future__ import annotations

from dataclasses import dataclass

from feedback.ids import check_id
from hub.errors import AlreadyExists
from hub.fleet.broker import RESERVED_USERNAMES
from hub.fleet.passwords import mosquitto_hash, new_secret
from hub.store import Store


@dataclass(frozen=True, slots=True)
class Registered:
    kiosk_id: str
    password: str  # shown once: written into the kiosk's config file
    promoted: int  # ratings it sent before it was registered, now counted


def register_kiosk(store: Store, kiosk_id: str, *, location_id: str, now_ms: int) -> Registered:
    """Add a kiosk to a location with a new broker password; its quarantined ratings count from now on.

    :raises AlreadyExists: the id is taken or reserved for the hub's own broker users
    """
    check_id(kiosk_id, what="kiosk id")
    if kiosk_id in RESERVED_USERNAMES:
        raise AlreadyExists(f"kiosk id {kiosk_id!r} is reserved")
    if store.imports.is_imported_device(kiosk_id):
        raise AlreadyExists(f"kiosk id {kiosk_id!r} is a device imported from HappyOrNot")
    password = new_secret()
    store.registry.add_kiosk(kiosk_id, location_id=location_id, password_hash=mosquitto_hash(password), now_ms=now_ms)
    promoted = store.ledger.promote_quarantine(kiosk_id, now_ms=now_ms)
    return Registered(kiosk_id, password, promoted)
