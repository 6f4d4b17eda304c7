"""The broker addresses written into new kiosk configs: recorded once, never guessed.

``hub serve`` records the addresses it serves kiosks on (its managed broker, or each ``--mqtt-url``); an explicit
``hub broker-address set URL [URL …]`` (say DNS names the kiosks reach) wins over them and is kept across restarts.
Until one of them happened, ``kiosk add`` refuses rather than write an address nobody set. Several addresses (one
per broker) are kept in order, separated by spaces, and all go into a new kiosk's config (``broker.urls``).
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


def _one_key(urls: tuple[str, ...]) -> str:
    keys = {_key(url) for url in urls}
    if len(keys) != 1:
        raise Invalid("broker addresses must all be mqtt:// or all mqtts:// (kiosks share one TLS set-up)")
    if len(set(urls)) != len(urls):
        raise Invalid(f"a broker address is given twice: {' '.join(urls)}")
    return keys.pop()


def record_served(store: Store, *urls: str) -> None:
    """What ``serve`` listens on for kiosks (one URL per broker); kept unless an explicit address was set."""
    key = _one_key(urls)
    if store.ops.get_meta(f"{key}_source") != "explicit":
        store.ops.set_meta(key, " ".join(urls))
        store.ops.set_meta(f"{key}_source", "serve")


def record_hub_brokers(store: Store, *urls: str) -> bool:
    """The brokers ``serve`` reaches (``--mqtt-url``), as kiosks would be given them, when they share a scheme;
    False (nothing recorded) for a mix of ``mqtt://`` and ``mqtts://`` — a hub may reach a broker on its own
    machine in plain and remote ones over TLS, which is no address list for kiosks: ``broker-address set`` is."""
    if len({_key(url) for url in urls}) != 1:
        return False
    record_served(store, *urls)
    return True


def set_explicit(store: Store, *urls: str) -> str:
    """Set the addresses kiosks are given (``mqtt://`` or ``mqtts://`` by their scheme); returns which kind."""
    key = _one_key(urls)
    store.ops.set_meta(key, " ".join(urls))
    store.ops.set_meta(f"{key}_source", "explicit")
    return key


def recorded(store: Store) -> dict[str, str | None]:
    return {key: store.ops.get_meta(key) for key in (PLAIN, TLS)}


def for_new_kiosk(store: Store, *, given: list[str] | None, tls: bool) -> list[str]:
    """The addresses to write into a new kiosk's config, in the order it tries them.

    :raises Invalid: when nobody has set one."""
    if given:
        for url in given:
            if (_key(url) == TLS) != tls:
                raise Invalid(f"--broker-url {url!r}: use mqtts:// with --tls and mqtt:// without it")
        _one_key(tuple(given))
        return given
    urls = store.ops.get_meta(TLS if tls else PLAIN)
    if urls:
        return urls.split()
    if tls:
        raise Invalid(
            "the hub does not know its TLS broker address yet: pass --broker-url mqtts://HOST:PORT, start"
            " `serve --mqtt-tls-port` once, or run `hub broker-address set mqtts://HOST:PORT`"
        )
    raise Invalid(
        "the hub does not know its broker address yet: pass --broker-url mqtt://HOST:PORT, start `hub serve`"
        " once, or run `hub broker-address set mqtt://HOST:PORT`"
    )


def tls_hint(store: Store, *, tls: bool, given: list[str] | None) -> str | None:
    """A note for ``kiosk add`` without ``--tls`` when somebody set ``mqtts://`` addresses for kiosks but the plain
    ones were only recorded by ``serve``: with external brokers those are the hub's own ``--mqtt-url``s (its port,
    maybe ``localhost``), which a kiosk elsewhere should not be given. None otherwise."""
    if tls or given or store.ops.get_meta(f"{TLS}_source") != "explicit":
        return None
    if store.ops.get_meta(f"{PLAIN}_source") == "explicit":
        return None
    return (
        f"note: the kiosks' TLS addresses were set ({store.ops.get_meta(TLS)}), but this kiosk gets the plain ones"
        f" `hub serve` recorded ({store.ops.get_meta(PLAIN)}): add --tls to use TLS"
    )
