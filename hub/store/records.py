"""The plain values the store hands out and takes in; no SQL, no engine. Both engines speak these."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any, NamedTuple

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
    name: str | None = None  # the friendly name people see instead of the id
    is_retired: bool = False  # taken out of service for good: disabled, hidden from the fleet, its data kept


@dataclass(frozen=True, slots=True)
class LocationHours:
    """A location's opening hours as stored: ``week`` keyed by ISO weekday ("1".."7") -> ``[open, close]`` whole
    local hours or ``None`` (closed); ``exceptions``: dated overrides ``{"date", "hours", "note"}``."""

    week: dict[str, list[int] | None]
    exceptions: list[dict[str, Any]]


@dataclass(frozen=True, slots=True)
class AuditEntry:
    id: int
    at_ms: int
    actor: str
    action: str
    target: str
    detail: dict[str, Any]


@dataclass(slots=True)
class Incoming:
    """One MQTT ratings message after decoding (``error`` when the whole message was refused)."""

    kiosk_id: str
    received_ms: int
    ratings: Sequence[Rating] = ()
    rejections: Sequence[p.Rejection] = ()
    error: p.Rejection | None = None
    raw: bytes = b""
    correlation: str | None = None  # the message's MQTT 5 Correlation Data, echoed when it is refused whole


@dataclass(slots=True)
class Outcome:
    """What one ingest transaction did: acks to send and figures for /metrics."""

    acks: dict[str, p.Ack] = field(default_factory=dict)
    refusals: list[tuple[str, p.Ack]] = field(default_factory=list)  # one per message refused whole
    stored: int = 0
    duplicates: int = 0
    quarantined: int = 0
    rejected: Counter[str] = field(default_factory=Counter)
    over_limit: Counter[str] = field(default_factory=Counter)  # per kiosk: taps over its tap limit
    locations: set[str] = field(default_factory=set)  # where the ratings stored count (live pages to refresh)

    def merge(self, other: Outcome) -> None:
        self.acks.update(other.acks)
        self.refusals += other.refusals
        self.stored += other.stored
        self.duplicates += other.duplicates
        self.quarantined += other.quarantined
        self.rejected.update(other.rejected)
        self.over_limit.update(other.over_limit)
        self.locations |= other.locations


@dataclass(frozen=True, slots=True)
class StatusIn:
    """One kiosk status message for :meth:`LedgerPart.store_in_order`, with what ``store_status`` takes."""

    kiosk_id: str
    status: p.Status
    received_ms: int
    is_retained: bool
    worker: str | None = None


# one step of an ingest transaction: a group of ratings messages (stored as ``store_batch``) or a status
IngestStep = list[Incoming] | StatusIn


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
class SignInFailure:
    client: str
    name: str
    at_ms: int


@dataclass(frozen=True, slots=True)
class SignInGroup:
    """The failed sign-ins of one client address on one user name: how many, and the first and last."""

    client: str
    name: str
    count: int
    first_ms: int
    last_ms: int


@dataclass(frozen=True, slots=True)
class SignInFailures:
    """One client's recent failed sign-ins: for the name tried now, and for any name."""

    for_name: int
    last_for_name_ms: int | None
    for_client: int
    last_for_client_ms: int | None


@dataclass(frozen=True, slots=True)
class AlertRule:
    """A stored alert rule (validated by ``hub.alerts.rules`` before it is stored)."""

    id: int
    kind: str
    scope: str  # "all", "region" or "location"
    scope_id: str | None
    threshold: float
    window: str | None  # score rules: "2h", "today", "7d"
    min_answers: int
    include_misuse: bool
    owner: str
    owner_role: str
    created_ms: int


@dataclass(frozen=True, slots=True)
class AlertRow:
    id: int
    rule_id: int
    location_id: str
    subject: str  # "" for the store, else the kiosk id
    state: str  # "open", "acknowledged" or "closed"
    value: float | None
    detail: str
    opened_ms: int
    closed_ms: int | None
    ack_by: str | None
    ack_comment: str | None
    ack_ms: int | None


@dataclass(frozen=True, slots=True)
class NewDelivery:
    """A message to send: e-mail (``payload`` = the whole RFC 5322 message) or webhook (JSON)."""

    channel: str  # "email" or "webhook"
    target: str  # address or URL
    subject: str
    payload: bytes
    user_id: str | None = None
    alert_id: int | None = None
    report_key: str | None = None


@dataclass(frozen=True, slots=True)
class DeliveryRow:
    id: int
    channel: str
    target: str
    subject: str
    payload: bytes
    state: str  # "pending", "sent" or "failed"
    attempts: int
    next_ms: int
    last_error: str | None
    user_id: str | None
    alert_id: int | None


@dataclass(frozen=True, slots=True)
class Contact:
    """Where and how a user hears from the hub."""

    user_id: str
    role: str
    email: str | None
    language: str
    timezone: str
    email_alerts: bool
    webhook_url: str | None
    report_period: str | None  # "day", "week", "month" or None
    report_time: str  # local "HH:MM"
    scope_location_ids: tuple[str, ...]
    scope_region_ids: tuple[str, ...]


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


class PeriodCounts(NamedTuple):
    """A location's counts in one period: ``{scale: [count per face]}`` of the answers counted, and how many were
    left out as misuse, and as given outside opening hours (not already left out as misuse)."""

    by_scale: dict[int, list[int]]
    misuse_excluded: int = 0
    closed_excluded: int = 0


Opening = tuple[int, str, str, float | None, str]  # an alert to open: rule id, location, subject, value, detail


@dataclass(frozen=True, slots=True)
class Scope:
    """Locations and the local days (inclusive) asked of them (the HappyOrNot-compatible read API)."""

    location_ids: Sequence[str]
    first: date
    last: date
