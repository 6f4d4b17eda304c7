"""The kiosk's one frozen configuration object, loaded from the TOML file ``hub kiosk add`` writes.

Every problem raises :class:`ConfigError` naming the key, before anything starts.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from feedback.ids import InvalidId, check_id
from feedback.misuse import DEFAULT_RESPONSE_INTERVAL_S

DEFAULT_REASONS = ("queue", "staff", "cleanliness", "selection", "price")


class ConfigError(ValueError):
    """A configuration value is missing or invalid; the message names the key."""


@dataclass(frozen=True, slots=True)
class BrokerConfig:
    host: str
    port: int
    username: str
    password: str
    tls: bool = False
    ca_file: str | None = None
    cert_file: str | None = None
    key_file: str | None = None
    # PEM text embedded by `hub kiosk add --tls`, so the one config file is all a device needs
    ca_pem: str | None = None
    cert_pem: str | None = None
    key_pem: str | None = None


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
class UiConfig:
    """What the shopper sees; the hub may push newer values (remote config)."""

    faces: int = 4
    language: str = "sv"
    languages: tuple[str, ...] = ("sv", "en")
    questions: dict[str, str] = field(default_factory=dict)  # language -> question text
    question_id: str = "q1"
    followup_faces: tuple[int, ...] = (0, 1)
    reasons: tuple[str, ...] = DEFAULT_REASONS
    thank_you: dict[str, str] = field(default_factory=dict)
    followup_timeout_s: float = 8.0
    thank_you_s: float = 3.0
    attract_after_s: float = 120.0
    response_interval_s: float = DEFAULT_RESPONSE_INTERVAL_S
    staff_pin: str = "0000"
    fullscreen: bool = True
    opening_hours: dict[str, str] = field(default_factory=dict)  # "mon".."sun" -> "08:00-21:00" | "closed"


@dataclass(frozen=True, slots=True)
class KioskConfig:
    kiosk_id: str
    location_id: str
    broker: BrokerConfig
    data_dir: Path
    uplink: UplinkConfig = UplinkConfig()
    ui: UiConfig = UiConfig()

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
        kiosk_id = check_id(_get(kiosk, "kiosk.id", str), what="kiosk.id")
        location_id = check_id(_get(kiosk, "kiosk.location", str, "unassigned"), what="kiosk.location")
    except InvalidId as exc:
        raise ConfigError(str(exc)) from None
    dd = Path(data_dir) if data_dir is not None else base / _get(kiosk, "kiosk.data_dir", str, f"kiosk-data/{kiosk_id}")

    b = _table(doc, "broker")
    url = urlsplit(_get(b, "broker.url", str))
    if url.scheme not in ("mqtt", "mqtts") or not url.hostname:
        raise ConfigError("broker.url must look like mqtt://host:port or mqtts://host:port")
    tls = url.scheme == "mqtts"
    try:
        port = url.port or (8883 if tls else 1883)
    except ValueError:
        raise ConfigError("broker.url has an invalid port") from None
    broker = BrokerConfig(
        host=url.hostname,
        port=port,
        tls=tls,
        username=_get(b, "broker.username", str, kiosk_id),
        password=_get(b, "broker.password", str),
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
        batch_size=_get(u, "uplink.batch_size", int, 100, low=1, high=100),
        window_batches=_get(u, "uplink.window_batches", int, 50, low=1, high=1000),
        ack_timeout_s=_get(u, "uplink.ack_timeout_s", float, 10.0, low=0.1),
        heartbeat_s=_get(u, "uplink.heartbeat_s", float, 30.0, low=0.1),
        replay_jitter_s=_get(u, "uplink.replay_jitter_s", float, 2.0, low=0.0),
        keepalive_s=_get(u, "uplink.keepalive_s", int, 15, low=2, high=3600),
        keep_acked_days=_get(u, "uplink.keep_acked_days", int, 30, low=0),
    )
    return KioskConfig(
        kiosk_id=kiosk_id,
        location_id=location_id,
        broker=broker,
        data_dir=dd,
        uplink=uplink,
        ui=parse_ui(doc.get("ui", {})),
    )


def parse_ui(ui: dict[str, Any], *, prefix: str = "ui") -> UiConfig:
    """Validate the shopper-facing settings (also used for configs pushed by the hub)."""
    if not isinstance(ui, dict):
        raise ConfigError(f"{prefix} must be a table")
    faces = _get(ui, f"{prefix}.faces", int, 4, low=2, high=5)
    languages = tuple(_get(ui, f"{prefix}.languages", list, ["sv", "en"]))
    language = _get(ui, f"{prefix}.language", str, languages[0] if languages else "sv")
    if language not in languages:
        raise ConfigError(f"{prefix}.language {language!r} is not one of {prefix}.languages {list(languages)}")
    followup = tuple(_get(ui, f"{prefix}.followup_faces", list, [0, 1]))
    if any(not isinstance(f, int) or not 0 <= f < faces for f in followup):
        raise ConfigError(f"{prefix}.followup_faces must list faces 0..{faces - 1}")
    reasons = tuple(_get(ui, f"{prefix}.reasons", list, list(DEFAULT_REASONS)))
    if any(not isinstance(r, str) or not 1 <= len(r) <= 64 for r in reasons):
        raise ConfigError(f"{prefix}.reasons must be strings of 1-64 characters")
    pin = _get(ui, f"{prefix}.staff_pin", str, "0000")
    if not pin.isdigit() or not 4 <= len(pin) <= 8:
        raise ConfigError(f"{prefix}.staff_pin must be 4-8 digits")
    return UiConfig(
        faces=faces,
        language=language,
        languages=languages,
        questions=_texts(ui, f"{prefix}.questions"),
        question_id=_get(ui, f"{prefix}.question_id", str, "q1"),
        followup_faces=followup,
        reasons=reasons,
        thank_you=_texts(ui, f"{prefix}.thank_you"),
        followup_timeout_s=_get(ui, f"{prefix}.followup_timeout_s", float, 8.0, low=1.0, high=600.0),
        thank_you_s=_get(ui, f"{prefix}.thank_you_s", float, 3.0, low=0.5, high=600.0),
        attract_after_s=_get(ui, f"{prefix}.attract_after_s", float, 120.0, low=5.0),
        response_interval_s=_get(
            ui, f"{prefix}.response_interval_s", float, DEFAULT_RESPONSE_INTERVAL_S, low=0.0, high=3600.0
        ),
        staff_pin=pin,
        fullscreen=_get(ui, f"{prefix}.fullscreen", bool, True),
        opening_hours=_opening_hours(ui, f"{prefix}.opening_hours"),
    )


def _table(doc: dict[str, Any], key: str) -> dict[str, Any]:
    t = doc.get(key)
    if not isinstance(t, dict):
        raise ConfigError(f"[{key}] table is missing")
    return t


_MISSING: Any = object()


def _get(
    t: dict[str, Any],
    key: str,
    kind: type[Any],
    default: Any = _MISSING,
    *,
    low: float | None = None,
    high: float | None = None,
) -> Any:
    name = key.rsplit(".", 1)[-1]
    if name not in t:
        if default is _MISSING:
            raise ConfigError(f"{key} is required")
        return default
    v = t[name]
    if kind is float and isinstance(v, int) and not isinstance(v, bool):
        v = float(v)
    if not isinstance(v, kind) or (kind is int and isinstance(v, bool)):
        raise ConfigError(f"{key} must be {kind.__name__}, got {type(v).__name__}")
    if low is not None and v < low:
        raise ConfigError(f"{key} must be >= {low}, got {v}")
    if high is not None and v > high:
        raise ConfigError(f"{key} must be <= {high}, got {v}")
    return v


def _texts(t: dict[str, Any], key: str) -> dict[str, str]:
    v = _get(t, key, dict, {})
    if any(not isinstance(k, str) or not isinstance(s, str) for k, s in v.items()):
        raise ConfigError(f"{key} must map language codes to strings")
    return dict(v)


WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_HOURS = re.compile(r"^([01][0-9]|2[0-3]):[0-5][0-9]-([01][0-9]|2[0-4]):[0-5][0-9]$")


def _opening_hours(t: dict[str, Any], key: str) -> dict[str, str]:
    hours = _texts(t, key)
    for day, span in hours.items():
        if day not in WEEKDAYS:
            raise ConfigError(f"{key}.{day}: days are {', '.join(WEEKDAYS)}")
        if span != "closed" and (not _HOURS.match(span) or span[:5] >= span[6:]):
            raise ConfigError(f'{key}.{day} must be like "08:00-21:00" or "closed", got {span!r}')
    return hours


def _pem(t: dict[str, Any], key: str) -> str | None:
    v = _get(t, key, str, None)
    if v is not None and "-----BEGIN " not in v:
        raise ConfigError(f"{key} must hold PEM text (-----BEGIN ...)")
    return v


def _path(t: dict[str, Any], key: str, base: Path) -> str | None:
    v = _get(t, key, str, None)
    return None if v is None else str((base / v).resolve())
