"""The hub's one frozen configuration object, built in ``__main__`` from the command line."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import unquote, urlsplit

from feedback.abuse import TapLimit
from hub.errors import ConfigError

DEFAULT_HTTP_PORT = 8470
DEFAULT_MQTT_PORT = 18830  # not 1883: Debian's mosquitto package starts a system broker there
DEFAULT_KEEPALIVE_S = 10  # the hub's MQTT connections: a dead broker link is noticed within ~1.5x this
KEEPALIVE_RANGE_S = (1, 3600)
ANONYMOUS_BODY_BYTES = 16 * 1024  # the sign-in form is all a caller who is not signed in may post
SIGNED_IN_BODY_BYTES = 1024 * 1024


@dataclass(frozen=True, slots=True)
class MqttTls:
    """How the hub's own client speaks TLS to an ``mqtts://`` broker (``hub.mqtt.tls`` makes the context).

    The broker's certificate is verified, host name included, against ``ca_file`` (None: the system CAs); the
    client certificate is presented when the broker asks for one (the kiosks' TLS listener does)."""

    ca_file: Path | None = None  # --mqtt-ca
    cert_file: Path | None = None  # --mqtt-cert, with key_file (both or neither)
    key_file: Path | None = None  # --mqtt-key


@dataclass(frozen=True, slots=True)
class MqttEndpoint:
    host: str
    port: int
    username: str | None = None
    password: str | None = None
    tls: bool = False
    tls_files: MqttTls = MqttTls()  # used when ``tls``


@dataclass(frozen=True, slots=True)
class HubConfig:
    data_dir: Path
    http_host: str = "127.0.0.1"
    http_port: int = DEFAULT_HTTP_PORT
    mqtt_port: int = DEFAULT_MQTT_PORT  # managed broker's listener
    mqtt_bind: str = "127.0.0.1"
    mqtt_tls_port: int | None = None  # set: the managed broker also listens for kiosks with TLS + client certs
    mqtt_tls_bind: str = "0.0.0.0"
    external_mqtt: tuple[MqttEndpoint, ...] = ()  # given: use these brokers (ingest from each), start none
    public_mqtt_host: str | None = None  # the address written into kiosk configs
    client_id: str = "hub-ingest-1"
    mqtt_keepalive_s: int = DEFAULT_KEEPALIVE_S  # every MQTT connection of this process (ingest, publisher)
    ingest_enabled: bool = True
    allowed_hosts: tuple[str, ...] = ()  # empty: the addresses the hub serves (hub.guard.hosts)
    trusted_proxies: tuple[str, ...] = ()  # reverse proxies whose X-Forwarded-For/-Proto count (hub.guard.proxies)
    anonymous_body_bytes: int = ANONYMOUS_BODY_BYTES  # request body limit before sign-in
    body_bytes: int = SIGNED_IN_BODY_BYTES  # request body limit for a session or API token
    tap_limit: TapLimit = field(
        default_factory=TapLimit
    )  # per-kiosk taps per minute before it is flagged (and throttled)
    smtp_url: str | None = None  # smtp://user:pass@host:port (STARTTLS when offered) or smtps://
    mail_from: str = "hub@localhost"
    alert_interval_s: float = 60.0  # how often alert rules are evaluated and due reports queued
    public_url: str | None = None  # the dashboard's address in e-mails (default: http://HTTP_HOST:HTTP_PORT)
    database: str | None = None  # a postgresql:// URL (hub.store.postgresql); None: the SQLite file hub.db in data_dir
    lease_s: float = 15.0  # seconds; leader leases (hub.leadership): a dead leader's work moves on within this + 1 s

    @property
    def dashboard_url(self) -> str:
        return (self.public_url or f"http://{self.http_host}:{self.http_port}").rstrip("/")

    @property
    def db_path(self) -> Path:
        return self.data_dir / "hub.db"

    @property
    def store_target(self) -> str | Path:
        """What ``hub.store.open_store`` opens: the PostgreSQL URL when given, else the SQLite file."""
        return self.database or self.db_path

    @property
    def broker_dir(self) -> Path:
        return self.data_dir / "broker"

    @property
    def pki_dir(self) -> Path:
        return self.data_dir / "pki"

    @property
    def is_broker_managed(self) -> bool:
        return not self.external_mqtt


def parse_mqtt_url(url: str, tls_files: MqttTls = MqttTls()) -> MqttEndpoint:
    parts = urlsplit(url)
    if parts.scheme not in ("mqtt", "mqtts") or not parts.hostname:
        raise ConfigError(f"--mqtt-url {url!r} must look like mqtt://[user:password@]host:port")
    try:
        port = parts.port or (8883 if parts.scheme == "mqtts" else 1883)
    except ValueError:
        raise ConfigError(f"--mqtt-url {url!r} has an invalid port") from None
    return MqttEndpoint(
        host=parts.hostname,
        port=port,
        tls=parts.scheme == "mqtts",
        username=unquote(parts.username) if parts.username else None,
        password=unquote(parts.password) if parts.password else None,
        tls_files=tls_files,
    )


def parse_mqtt_urls(urls: list[str] | None, tls_files: MqttTls = MqttTls()) -> tuple[MqttEndpoint, ...]:
    """``--mqtt-url``, given once per broker; ``tls_files`` for the ``mqtts://`` ones.

    :raises ConfigError: a bad URL, or one broker given twice."""
    endpoints = tuple(parse_mqtt_url(url, tls_files) for url in urls or ())
    places = [(e.host, e.port) for e in endpoints]
    for i, place in enumerate(places):
        if place in places[:i]:
            raise ConfigError(f"--mqtt-url names the broker {place[0]}:{place[1]} twice")
    return endpoints


def kiosk_facing_url(endpoint: MqttEndpoint) -> str:
    """The broker's address as kiosks are given it: scheme, host and port, no credentials."""
    return f"{'mqtts' if endpoint.tls else 'mqtt'}://{endpoint.host}:{endpoint.port}"


def check_port(value: int, what: str) -> int:
    if not 0 <= value <= 65535:
        raise ConfigError(f"{what} must be 0-65535, got {value}")
    return value


def check_keepalive(value: int, what: str = "--mqtt-keepalive") -> int:
    low, high = KEEPALIVE_RANGE_S
    if not low <= value <= high:
        raise ConfigError(f"{what} must be {low}-{high} seconds, got {value}")
    return value


def check_tap_limit(value: int) -> int:
    if not 0 <= value <= 1_000_000:
        raise ConfigError(f"--kiosk-taps-per-minute must be 0-1000000, got {value}")
    return value
