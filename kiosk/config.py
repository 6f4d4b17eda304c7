"""The kiosk's one frozen configuration object, loaded from the TOML file ``hub kiosk add`` writes.

Every problem raises :class:`ConfigError` naming the key, before anything starts.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from feedback.ids import InvalidId, check_id
from feedback.kiosk_settings import DEFAULT_REASONS, WEEKDAYS, SettingsError, UiSettings, parse_ui, setting

__all__ = [
    "DEFAULT_REASONS",
    "WEEKDAYS",
    "BrokerAddress",
    "BrokerConfig",
    "ConfigError",
    "KioskConfig",
    "UiConfig",
    "UplinkConfig",
    "load_config",
    "parse_config",
    "parse_ui",
]


# The shopper-facing [ui] rules live in the domain package (the hub checks pushed settings with them too).
UiConfig = UiSettings
ConfigError = SettingsError  # one exception for every bad key, [ui] or not


@dataclass(frozen=True, slots=True)
class BrokerAddress:
    """One broker the kiosk may use (``broker.url``, or one entry of ``broker.urls``)."""

    host: str
    port: int

    def __str__(self) -> str:
        return f"{self.host}:{self.port}"


@dataclass(frozen=True, slots=True)
class BrokerConfig:
    """The brokers in the order the kiosk tries them (it moves on to the next when one dies, and back to an earlier
    one once that accepts a connection again, checked every ``failback_s``; 0: never), and what they share: the
    scheme (all ``mqtt://`` or all ``mqtts://``), the credentials and the TLS files."""

    addresses: tuple[BrokerAddress, ...]
    username: str
    password: str
    failback_s: float = 300.0
    tls: bool = False
    ca_file: str | None = None
    cert_file: str | None = None
    key_file: str | None = None
    # PEM text embedded by `hub kiosk add --tls`, so the one config file is all a device needs
    ca_pem: str | None = None
    cert_pem: str | None = None
    key_pem: str | None = None

    @property
    def host(self) -> str:
        return self.addresses[0].host

    @property
    def port(self) -> int:
        return self.addresses[0].port


@dataclass(frozen=True, slots=True)
class UplinkConfig:
    batch_size: int = 100
    window_batches: int = 50
    ack_timeout_s: float = 10.0
    heartbeat_s: float = 30.0
    replay_jitter_s: float = 2.0
    keepalive_s: int = 15
    keep_acked_days: int = 30


@dataclass(frozen=True, slots=True)
class KioskConfig:
    kiosk_id: str
    location_id: str
    broker: BrokerConfig
    data_dir: Path
    uplink: UplinkConfig = UplinkConfig()
    ui: UiConfig = field(default_factory=UiSettings)

    @property
    def outbox_path(self) -> Path:
        return self.data_dir / "outbox.db"


def load_config(path: str | Path, *, data_dir: str | Path | None = None) -> KioskConfig:
    """Read and validate ``path``; ``data_dir`` overrides the file's ``kiosk.data_dir``."""
    p = Path(path)
    try:
        doc = tomllib.loads(p.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(f"config file {p} does not exist") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"config file {p} is not valid TOML: {exc}") from None
    return parse_config(doc, data_dir=data_dir, base=p.parent)


def parse_config(doc: dict[str, Any], *, data_dir: str | Path | None = None, base: Path = Path(".")) -> KioskConfig:
    kiosk = _table(doc, "kiosk")
    try:
        kiosk_id = check_id(setting(kiosk, "kiosk.id", str), what="kiosk.id")
        location_id = check_id(setting(kiosk, "kiosk.location", str, "unassigned"), what="kiosk.location")
    except InvalidId as exc:
        raise ConfigError(str(exc)) from None
    dd = (
        Path(data_dir)
        if data_dir is not None
        else base / setting(kiosk, "kiosk.data_dir", str, f"kiosk-data/{kiosk_id}")
    )

    b = _table(doc, "broker")
    addresses, tls = parse_broker_urls(b)
    broker = BrokerConfig(
        addresses=addresses,
        tls=tls,
        username=setting(b, "broker.username", str, kiosk_id),
        password=setting(b, "broker.password", str),
        failback_s=_failback_s(b),
        ca_file=_path(b, "broker.ca_file", base),
        cert_file=_path(b, "broker.cert_file", base),
        key_file=_path(b, "broker.key_file", base),
        ca_pem=_pem(b, "broker.ca_pem"),
        cert_pem=_pem(b, "broker.cert_pem"),
        key_pem=_pem(b, "broker.key_pem"),
    )
    if (broker.cert_pem is None) != (broker.key_pem is None):
        raise ConfigError("broker.cert_pem and broker.key_pem go together")

    u = doc.get("uplink", {})
    uplink = UplinkConfig(
        batch_size=setting(u, "uplink.batch_size", int, 100, low=1, high=100),
        window_batches=setting(u, "uplink.window_batches", int, 50, low=1, high=1000),
        ack_timeout_s=setting(u, "uplink.ack_timeout_s", float, 10.0, low=0.1),
        heartbeat_s=setting(u, "uplink.heartbeat_s", float, 30.0, low=0.1),
        replay_jitter_s=setting(u, "uplink.replay_jitter_s", float, 2.0, low=0.0),
        keepalive_s=setting(u, "uplink.keepalive_s", int, 15, low=2, high=3600),
        keep_acked_days=setting(u, "uplink.keep_acked_days", int, 30, low=0),
    )
    return KioskConfig(
        kiosk_id=kiosk_id,
        location_id=location_id,
        broker=broker,
        data_dir=dd,
        uplink=uplink,
        ui=parse_ui(doc.get("ui", {})),
    )


def parse_broker_urls(b: dict[str, Any]) -> tuple[tuple[BrokerAddress, ...], bool]:
    """``broker.url`` (one broker) or ``broker.urls`` (several, tried in order): the addresses and whether they
    use TLS. :raises ConfigError: naming the key, for a bad URL, both keys, neither, a duplicate or mixed schemes."""
    if "url" in b and "urls" in b:
        raise ConfigError("give broker.url or broker.urls, not both")
    if "urls" in b:
        urls = b["urls"]
        if not isinstance(urls, list) or not urls or not all(isinstance(u, str) for u in urls):
            raise ConfigError('broker.urls must be a non-empty list of URLs, like ["mqtt://a:1883", "mqtt://b:1883"]')
        keys = [f"broker.urls[{i}]" for i in range(len(urls))]
    elif "url" in b:
        urls, keys = [setting(b, "broker.url", str)], ["broker.url"]
    else:
        raise ConfigError("broker.url is required (or broker.urls, a list, for several brokers)")
    schemes: set[str] = set()
    addresses: list[BrokerAddress] = []
    for key, text in zip(keys, urls, strict=True):
        url = urlsplit(text)
        if url.scheme not in ("mqtt", "mqtts") or not url.hostname:
            raise ConfigError(f"{key} must look like mqtt://host:port or mqtts://host:port, got {text!r}")
        try:
            port = url.port or (8883 if url.scheme == "mqtts" else 1883)
        except ValueError:
            raise ConfigError(f"{key} has an invalid port: {text!r}") from None
        address = BrokerAddress(url.hostname, port)
        if address in addresses:
            raise ConfigError(f"{key} repeats {address}")
        addresses.append(address)
        schemes.add(url.scheme)
    if len(schemes) > 1:
        raise ConfigError("broker.urls mixes mqtt:// and mqtts://: the brokers share one TLS set-up, use one scheme")
    return tuple(addresses), schemes == {"mqtts"}


def _failback_s(b: dict[str, Any]) -> float:
    """``broker.failback_s``: 0 (never go back) or at least 1 s between checks of the preferred brokers."""
    v = float(setting(b, "broker.failback_s", float, 300.0, low=0.0))
    if 0 < v < 1:
        raise ConfigError(f"broker.failback_s must be 0 (never go back) or >= 1, got {v}")
    return v


def _table(doc: dict[str, Any], key: str) -> dict[str, Any]:
    t = doc.get(key)
    if not isinstance(t, dict):
        raise ConfigError(f"[{key}] table is missing")
    return t


def _pem(t: dict[str, Any], key: str) -> str | None:
    v = setting(t, key, str, None)
    if v is not None and "-----BEGIN " not in v:
        raise ConfigError(f"{key} must hold PEM text (-----BEGIN ...)")
    return v


def _path(t: dict[str, Any], key: str, base: Path) -> str | None:
    v = setting(t, key, str, None)
    return None if v is None else str((base / v).resolve())
