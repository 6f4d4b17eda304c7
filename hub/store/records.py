"""The plain values the store hands out and takes in; no SQL, no engine. Both engines speak these."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from feedback import protocol as p
from feedback.rating import Rating


@dataclass(frozen=True, slots=True)
class Location:
    id: str
    name: str
    timezone: str
    region_id: str | None = None
    response_interval_s: float = 5.0


@dataclass(frozen=True, slots=True)
class Kiosk:
    id: str
    location_id: str
    is_disabled: bool = False


@dataclass(slots=True)
class Incoming:
    """One MQTT ratings message after decoding (``error`` when the whole message was refused)."""

    kiosk_id: str
    received_ms: int
    ratings: Sequence[Rating] = ()
    rejections: Sequence[p.Rejection] = ()
    error: p.Rejection | None = None
    raw: bytes = b""


@dataclass(slots=True)
class Outcome:
    """What one ingest transaction did: acks to send and figures for /metrics."""

    acks: dict[str, p.Ack] = field(default_factory=dict)
    stored: int = 0
    duplicates: int = 0
    quarantined: int = 0
    rejected: Counter[str] = field(default_factory=Counter)

    def merge(self, other: Outcome) -> None:
        self.acks.update(other.acks)
        self.stored += other.stored
        self.duplicates += other.duplicates
        self.quarantined += other.quarantined
        self.rejected.update(other.rejected)


@dataclass(frozen=True, slots=True)
class Recomputed:
    """What a misuse recompute of one location did."""

    location_id: str
    response_interval_s: float
    ratings: int
    misuse: int
    changed: int


@dataclass(frozen=True, slots=True)
class Publication:
    """A kiosk's remote settings at a version, to be published retained."""

    kiosk_id: str
    version: int
    settings: dict[str, Any]


@dataclass(frozen=True, slots=True)
class UserRow:
    id: str
    password_hash: str
    role: str
    is_disabled: bool


@dataclass(frozen=True, slots=True)
class SessionRow:
    """A live browser session: whose, their role, and the CSRF token its forms carry."""

    user_id: str
    role: str
    csrf: str


@dataclass(frozen=True, slots=True)
class TokenRow:
    id: str
    role: str
    user_id: str | None


@dataclass(frozen=True, slots=True)
class RatingCounts:
    """Counts the tests and operators ask for: stored ratings and the hourly rollup's sum, same filter."""

    ratings: int
    rolled_up: int


@dataclass(frozen=True, slots=True)
class ImportedRating:
    """One button feedback of another system, mapped: ``feedback_id`` (its UUID) is the idempotency key;
    ``kiosk_id`` is the imported device, ``face`` 0 = least happy on ``scale`` faces, ``time_ms`` UTC."""

    feedback_id: str
    kiosk_id: str
    location_id: str
    timezone: str
    time_ms: int
    face: int
    scale: int
    question: str
    is_misuse: bool


@dataclass(frozen=True, slots=True)
class ImportedFollowup:
    """A follow-up answer to an imported button feedback; ``text`` becomes the rating's reason."""

    feedback_id: str
    question_id: int
    option_id: int
    text: str


@dataclass(frozen=True, slots=True)
class Refusal:
    """A row an import refused: its line (1 = the first data row), a reason code and a sentence naming the field."""

    line: int
    reason: str
    detail: str


@dataclass(slots=True)
class FileState:
    """How far the import of one file (under one mapping) got; committed with each batch."""

    file_key: str
    rows_done: int = 0
    stored: int = 0
    duplicates: int = 0
    is_finished: bool = False
