"""The broker address written into new kiosk configs: recorded once, never guessed.

``hub serve`` records the address it serves kiosks on (its managed broker, or ``--mqtt-url``); an explicit
``hub broker-address set URL`` (say a DNS name the kiosks reach) wins over it and is kept across restarts.
Until one of them happened, ``kiosk add`` refuses rather than write an address nobody set.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from hub.errors import Invalid
from hub.store import Store

PLAIN, TLS = "broker_url", "broker_tls_url"


def _key(url: str) -> str:
    parts = urlsplit(url)
    try:
        port = parts.port
    except ValueError:
        port = None
    if parts.scheme not in ("mqtt", "mqtts") or not parts.hostname or port is None or parts.username:
        raise Invalid(f"broker address {url!r} must look like mqtt://HOST:PORT or mqtts://HOST:PORT (no credentials)")
    return TLS if parts.scheme == "mqtts" else PLAIN


def record_served(store: Store, url: str) -> None:
    """What ``serve`` listens on for kiosks; kept unless an explicit address was set."""
    key = _key(url)
    if store.ops.get_meta(f"{key}_source") != "explicit":
        store.ops.set_meta(key, url)
        store.ops.set_meta(f"{key}_source", "serve")


def set_explicit(store: Store, url: str) -> str:
    """Set the address kiosks are given (``mqtt://`` or ``mqtts://`` by its scheme); returns which one."""
    key = _key(url)
    store.ops.set_meta(key, url)
    store.ops.set_meta(f"{key}_source", "explicit")
    return key


def recorded(store: Store) -> dict[str, str | None]:
    return {key: store.ops.get_meta(key) for key in (PLAIN, TLS)}


def for_new_kiosk(store: Store, *, given: str | None, tls: bool) -> str:
    """The address to write into a new kiosk's config. :raises Invalid: when nobody has set one."""
    if given:
        if (_key(given) == TLS) != tls:
            raise Invalid(f"--broker-url {given!r}: use mqtts:// with --tls and mqtt:// without it")
        return given
    url = store.ops.get_meta(TLS if tls else PLAIN)
    if url:
        return url
    if tls:
        raise Invalid(
            "the hub does not know its TLS broker address yet: pass --broker-url mqtts://HOST:PORT, start"
            " `serve --mqtt-tls-port` once, or run `hub broker-address set mqtts://HOST:PORT`"
        )
    raise Invalid(
        "the hub does not know its broker address yet: pass --broker-url mqtt://HOST:PORT, start `hub serve`"
        " once, or run `hub broker-address set mqtt://HOST:PORT`"
    )
