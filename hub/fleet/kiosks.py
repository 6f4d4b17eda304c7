"""Registering kiosks: a fresh broker password (kept only as a hash), the quarantine promoted, and the kiosk's
config file (written once, by ``hub kiosk add`` or ``POST /api/kiosks``: the hub keeps no copy of the password)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from feedback.ids import check_id
from hub.config import DEFAULT_MQTT_PORT
from hub.errors import AlreadyExists, Invalid
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
    password = new_secret()
    store.registry.add_kiosk(kiosk_id, location_id=location_id, password_hash=mosquitto_hash(password), now_ms=now_ms)
    promoted = store.ledger.promote_quarantine(kiosk_id, now_ms=now_ms)
    return Registered(kiosk_id, password, promoted)


def broker_url_for(store: Store, *, given: str | None, is_tls: bool) -> str:
    """The broker address a new kiosk's config names: ``given``, else the one ``serve`` recorded.

    :raises Invalid: TLS asked for without a TLS (``mqtts://``) address
    """
    url = given or store.ops.get_meta("broker_tls_url" if is_tls else "broker_url")
    if is_tls and not (url or "").startswith("mqtts://"):
        raise Invalid(
            "tls needs the broker's TLS address: pass a broker url mqtts://HOST:PORT"
            " or start `serve --mqtt-tls-port` once so the hub records it"
        )
    return url or f"mqtt://127.0.0.1:{DEFAULT_MQTT_PORT}"


def kiosk_config_text(
    kiosk_id: str,
    location_id: str,
    broker_url: str,
    password: str,
    *,
    tls_pems: tuple[str, str, str] | None = None,
    written_by: str = "`python -m hub kiosk add`",
) -> str:
    """The kiosk's TOML file; with ``tls_pems`` (CA, client cert, client key) the PEMs are embedded."""
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
    stamp = dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")
    return f"""# Kiosk configuration written by {written_by} on {stamp}.
# It holds this kiosk's broker password: keep it readable by the kiosk's user only.

[kiosk]
id = "{kiosk_id}"
location = "{location_id}"

[broker]
url = "{broker_url}"
username = "{kiosk_id}"
password = "{password}"
{tls}
[ui]
faces = 4
language = "sv"
languages = ["sv", "en"]
followup_faces = [0, 1]
"""
