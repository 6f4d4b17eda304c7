"""Remote kiosk settings on the wire: the hub's retained, versioned config message and the kiosk's report.

The hub publishes ``{"v": 1, "version": N, "ui": {...}}`` retained on ``fb/v1/k/<id>/config``; ``ui`` holds
only settings the hub sets (the kiosk lays them over its own file's ``[ui]``). The kiosk answers on
``fb/v1/k/<id>/report`` with ``{"v": 1, "config_version": N, "result": "applied"|"refused", "reason": ...}``.
Versions only ever grow at the hub; the kiosk applies any version different from the one it runs.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from feedback.protocol import VERSION, ProtocolError, dumps_json, load_object

# The store's settings: what a location (or one kiosk) may change without a site visit.
REMOTE_SETTINGS = frozenset(
    {
        "faces",
        "language",
        "languages",
        "questions",
        "question_id",
        "followup_faces",
        "reasons",
        "thank_you",
        "followup_timeout_s",
        "thank_you_s",
        "attract_after_s",
        "response_interval_s",
        "opening_hours",
        "staff_pin",
        "staff_pin_hash",
        "timezone",
        "closed_mode",
        "cleaning_s",
        "followup_other",
        "screen_diagonal_in",
        "min_text_mm",
        "large_text",
        "theme",
        "brand_colour",
        "brand_background",
        "logo",
        "press_sound",
    }
)
MAX_REASON_CHARS = 300


@dataclass(frozen=True, slots=True)
class ConfigMessage:
    version: int
    ui: dict[str, Any]


@dataclass(frozen=True, slots=True)
class ConfigReport:
    config_version: int
    is_applied: bool
    reason: str | None = None


def unknown_settings(ui: Mapping[str, Any]) -> list[str]:
    return sorted(set(ui) - REMOTE_SETTINGS)


def encode_config(msg: ConfigMessage) -> bytes:
    return dumps_json({"v": VERSION, "version": msg.version, "ui": msg.ui})


def decode_config(payload: bytes) -> ConfigMessage:
    """:raises ProtocolError: not a config message (the kiosk reports it as refused)."""
    doc = load_object(payload)
    version = doc.get("version")
    if not isinstance(version, int) or isinstance(version, bool) or version < 0:
        raise ProtocolError("bad_config", "version must be a non-negative integer")
    ui = doc.get("ui")
    if not isinstance(ui, dict):
        raise ProtocolError("bad_config", "ui must be an object")
    return ConfigMessage(version, ui)


def encode_report(report: ConfigReport) -> bytes:
    return dumps_json(
        {
            "v": VERSION,
            "config_version": report.config_version,
            "result": "applied" if report.is_applied else "refused",
            "reason": None if report.reason is None else report.reason[:MAX_REASON_CHARS],
        }
    )


def decode_report(payload: bytes) -> ConfigReport:
    doc = load_object(payload)
    version = doc.get("config_version")
    if not isinstance(version, int) or isinstance(version, bool) or version < 0:
        raise ProtocolError("bad_report", "config_version must be a non-negative integer")
    result = doc.get("result")
    if result not in ("applied", "refused"):
        raise ProtocolError("bad_report", "result must be 'applied' or 'refused'")
    reason = doc.get("reason")
    if reason is not None and not isinstance(reason, str):
        raise ProtocolError("bad_report", "reason must be a string")
    return ConfigReport(version, result == "applied", None if reason is None else reason[:MAX_REASON_CHARS])
