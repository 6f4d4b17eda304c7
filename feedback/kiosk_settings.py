"""The kiosk's shopper-facing settings and their rules, shared by the kiosk (its file's ``[ui]`` table and the
remote config it receives) and the hub (which refuses a ``config set`` a kiosk would refuse).

Stdlib only, no I/O: :func:`parse_ui` takes the plain table (TOML or JSON) and returns a frozen
:class:`UiSettings` or raises :class:`SettingsError` naming the key.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from feedback.misuse import DEFAULT_RESPONSE_INTERVAL_S, MAX_RESPONSE_INTERVAL_S, MIN_RESPONSE_INTERVAL_S
from feedback.rating import MAX_FACES, MAX_QUESTION_LEN, MIN_FACES, is_printable_text

DEFAULT_REASONS = ("queue", "staff", "cleanliness", "selection", "price")
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")

# Bounds of the settings (inclusive).
FACES_MIN, FACES_MAX = MIN_FACES, MAX_FACES
RESPONSE_INTERVAL_MIN_S = MIN_RESPONSE_INTERVAL_S  # one rule for kiosk and hub (feedback.misuse)
RESPONSE_INTERVAL_MAX_S = MAX_RESPONSE_INTERVAL_S
FOLLOWUP_TIMEOUT_MIN_S, FOLLOWUP_TIMEOUT_MAX_S = 1.0, 600.0
THANK_YOU_MIN_S, THANK_YOU_MAX_S = 0.5, 600.0
ATTRACT_AFTER_MIN_S = 5.0
REASON_MAX_CHARS = 64
STAFF_PIN_MIN_DIGITS, STAFF_PIN_MAX_DIGITS = 4, 8
CLEANING_MIN_S, CLEANING_MAX_S = 5.0, 1800.0
SCREEN_DIAGONAL_MIN_IN, SCREEN_DIAGONAL_MAX_IN = 3.0, 120.0
MIN_TEXT_MIN_MM, MIN_TEXT_MAX_MM = 2.0, 40.0
THEMES = ("standard", "high_contrast")
# What the kiosk does outside opening hours: show a calm closed screen and record nothing, or "record and flag":
# record as usual (nothing extra on the wire); the hub flags answers outside the store's opening hours itself.
CLOSED_MODES = ("closed_screen", "record")

_COLOUR = re.compile(r"^#[0-9a-fA-F]{6}$")
_ZONE = re.compile(r"^[A-Za-z][A-Za-z0-9_+-]*(/[A-Za-z0-9_+-]+)*$")

_HOURS = re.compile(r"^([01][0-9]|2[0-3]):[0-5][0-9]-([01][0-9]|2[0-4]):[0-5][0-9]$")


class SettingsError(ValueError):
    """A setting is missing or invalid; the message names the key (e.g. ``ui.faces``)."""


@dataclass(frozen=True, slots=True)
class UiSettings:
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
    staff_pin: str | None = None  # no default PIN: without one (or a hash) the staff panel stays shut
    staff_pin_hash: str | None = None  # feedback.staff_pin.hash_pin(); preferred over a plain staff_pin
    fullscreen: bool = True
    opening_hours: dict[str, str] = field(default_factory=dict)  # "mon".."sun" -> "08:00-21:00" | "closed"
    timezone: str | None = None  # IANA zone of the store; None: the device's own
    closed_mode: str = "closed_screen"
    cleaning_s: float = 60.0
    followup_other: bool = True  # an "Other" chip after the configured reasons
    screen_diagonal_in: float | None = None  # the panel's size, for text sizes in millimetres
    min_text_mm: float = 6.0  # cap height of the smallest shopper text (the hint)
    large_text: bool = False
    theme: str = "standard"
    brand_colour: str | None = None  # "#rrggbb": buttons and accents (never the faces)
    brand_background: str | None = None  # "#rrggbb"
    logo: str | None = None  # an image file on the kiosk, shown above the question
    press_sound: bool = False


def parse_ui(ui: dict[str, Any], *, prefix: str = "ui") -> UiSettings:
    """Validate the shopper-facing settings (a config file's ``[ui]`` or a config pushed by the hub).

    :raises SettingsError: naming the first bad key as ``<prefix>.<name>``.
    """
    if not isinstance(ui, dict):
        raise SettingsError(f"{prefix} must be a table")
    faces = setting(ui, f"{prefix}.faces", int, 4, low=FACES_MIN, high=FACES_MAX)
    languages = tuple(setting(ui, f"{prefix}.languages", list, ["sv", "en"]))
    language = setting(ui, f"{prefix}.language", str, languages[0] if languages else "sv")
    if language not in languages:
        raise SettingsError(f"{prefix}.language {language!r} is not one of {prefix}.languages {list(languages)}")
    followup = tuple(setting(ui, f"{prefix}.followup_faces", list, [0, 1]))
    if any(not isinstance(f, int) or not 0 <= f < faces for f in followup):
        raise SettingsError(f"{prefix}.followup_faces must list faces 0..{faces - 1}")
    reasons = tuple(setting(ui, f"{prefix}.reasons", list, list(DEFAULT_REASONS)))
    if any(not isinstance(r, str) or not 1 <= len(r) <= REASON_MAX_CHARS or not is_printable_text(r) for r in reasons):
        raise SettingsError(
            f"{prefix}.reasons must be strings of 1-{REASON_MAX_CHARS} printable characters (no control characters)"
        )
    pin = setting(ui, f"{prefix}.staff_pin", str, None)
    if pin is not None and (not pin.isdigit() or not STAFF_PIN_MIN_DIGITS <= len(pin) <= STAFF_PIN_MAX_DIGITS):
        raise SettingsError(f"{prefix}.staff_pin must be {STAFF_PIN_MIN_DIGITS}-{STAFF_PIN_MAX_DIGITS} digits")
    pin_hash = setting(ui, f"{prefix}.staff_pin_hash", str, None)
    if pin_hash is not None and not is_pin_hash(pin_hash):
        raise SettingsError(f"{prefix}.staff_pin_hash must be pbkdf2_sha256$<iterations>$<salt hex>$<sha256 hex>")
    question_id = setting(ui, f"{prefix}.question_id", str, "q1")
    if not 1 <= len(question_id) <= MAX_QUESTION_LEN or not is_printable_text(question_id):
        raise SettingsError(f"{prefix}.question_id must be 1-{MAX_QUESTION_LEN} printable characters")
    return UiSettings(
        faces=faces,
        language=language,
        languages=languages,
        questions=texts(ui, f"{prefix}.questions"),
        question_id=question_id,
        followup_faces=followup,
        reasons=reasons,
        thank_you=texts(ui, f"{prefix}.thank_you"),
        followup_timeout_s=setting(
            ui, f"{prefix}.followup_timeout_s", float, 8.0, low=FOLLOWUP_TIMEOUT_MIN_S, high=FOLLOWUP_TIMEOUT_MAX_S
        ),
        thank_you_s=setting(ui, f"{prefix}.thank_you_s", float, 3.0, low=THANK_YOU_MIN_S, high=THANK_YOU_MAX_S),
        attract_after_s=setting(ui, f"{prefix}.attract_after_s", float, 120.0, low=ATTRACT_AFTER_MIN_S),
        response_interval_s=setting(
            ui,
            f"{prefix}.response_interval_s",
            float,
            DEFAULT_RESPONSE_INTERVAL_S,
            low=RESPONSE_INTERVAL_MIN_S,
            high=RESPONSE_INTERVAL_MAX_S,
        ),
        staff_pin=pin,
        staff_pin_hash=pin_hash,
        fullscreen=setting(ui, f"{prefix}.fullscreen", bool, True),
        opening_hours=opening_hours(ui, f"{prefix}.opening_hours"),
        timezone=_matching(ui, f"{prefix}.timezone", _ZONE, "an IANA time zone such as Europe/Stockholm"),
        closed_mode=_one_of(ui, f"{prefix}.closed_mode", CLOSED_MODES, "closed_screen"),
        cleaning_s=setting(ui, f"{prefix}.cleaning_s", float, 60.0, low=CLEANING_MIN_S, high=CLEANING_MAX_S),
        followup_other=setting(ui, f"{prefix}.followup_other", bool, True),
        screen_diagonal_in=setting(
            ui, f"{prefix}.screen_diagonal_in", float, None, low=SCREEN_DIAGONAL_MIN_IN, high=SCREEN_DIAGONAL_MAX_IN
        ),
        min_text_mm=setting(ui, f"{prefix}.min_text_mm", float, 6.0, low=MIN_TEXT_MIN_MM, high=MIN_TEXT_MAX_MM),
        large_text=setting(ui, f"{prefix}.large_text", bool, False),
        theme=_one_of(ui, f"{prefix}.theme", THEMES, "standard"),
        brand_colour=_matching(ui, f"{prefix}.brand_colour", _COLOUR, 'a colour like "#0072b2"'),
        brand_background=_matching(ui, f"{prefix}.brand_background", _COLOUR, 'a colour like "#f7f5f0"'),
        logo=setting(ui, f"{prefix}.logo", str, None),
        press_sound=setting(ui, f"{prefix}.press_sound", bool, False),
    )


def is_pin_hash(text: str) -> bool:
    """``pbkdf2_sha256$<iterations>$<salt hex>$<64 hex>``, the form feedback.staff_pin.hash_pin writes."""
    return re.fullmatch(r"pbkdf2_sha256\$[1-9][0-9]{3,7}\$[0-9a-f]{16,64}\$[0-9a-f]{64}", text) is not None


def _matching(table: dict[str, Any], key: str, pattern: re.Pattern[str], what: str) -> str | None:
    v = setting(table, key, str, None)
    if v is not None and not pattern.match(v):
        raise SettingsError(f"{key} must be {what}, got {v!r}")
    return v  # type: ignore[no-any-return]


def _one_of(table: dict[str, Any], key: str, choices: tuple[str, ...], default: str) -> str:
    v = setting(table, key, str, default)
    if v not in choices:
        raise SettingsError(f"{key} must be one of {', '.join(choices)}, got {v!r}")
    return v  # type: ignore[no-any-return]


_MISSING: Any = object()


def setting(
    table: dict[str, Any],
    key: str,
    kind: type[Any],
    default: Any = _MISSING,
    *,
    low: float | None = None,
    high: float | None = None,
) -> Any:
    """``table``'s value for the last part of the dotted ``key``, checked for type and bounds.

    An int is accepted where a float is wanted; a bool never counts as an int.

    :raises SettingsError: naming ``key``, when it is missing (and has no default), of the wrong type or
        out of bounds.
    """
    name = key.rsplit(".", 1)[-1]
    if name not in table:
        if default is _MISSING:
            raise SettingsError(f"{key} is required")
        return default
    v = table[name]
    if kind is float and isinstance(v, int) and not isinstance(v, bool):
        v = float(v)
    if not isinstance(v, kind) or (kind is int and isinstance(v, bool)):
        raise SettingsError(f"{key} must be {kind.__name__}, got {type(v).__name__}")
    if low is not None and v < low:
        raise SettingsError(f"{key} must be >= {low}, got {v}")
    if high is not None and v > high:
        raise SettingsError(f"{key} must be <= {high}, got {v}")
    return v


def texts(table: dict[str, Any], key: str) -> dict[str, str]:
    """A table of texts per language code (``questions``, ``thank_you``)."""
    v = setting(table, key, dict, {})
    if any(not isinstance(k, str) or not isinstance(s, str) for k, s in v.items()):
        raise SettingsError(f"{key} must map language codes to strings")
    return dict(v)


def opening_hours(table: dict[str, Any], key: str) -> dict[str, str]:
    """``mon``..``sun`` → ``"HH:MM-HH:MM"`` (local time, start before end) or ``"closed"``."""
    hours = texts(table, key)
    for day, span in hours.items():
        if day not in WEEKDAYS:
            raise SettingsError(f"{key}.{day}: days are {', '.join(WEEKDAYS)}")
        if span != "closed" and (not _HOURS.match(span) or span[:5] >= span[6:]):
            raise SettingsError(f'{key}.{day} must be like "08:00-21:00" or "closed", got {span!r}')
    return hours
