"""A rating: one shopper's tap on one kiosk."""

from __future__ import annotations

import uuid as uuid_module
from dataclasses import dataclass

from feedback.ids import check_id

MIN_FACES = 2
MAX_FACES = 5
MAX_SEQ = 2**63 - 1
MAX_REASON_LEN = 64
MAX_QUESTION_LEN = 63


class InvalidRating(ValueError):
    """A rating whose fields break the contract; the message is the reason reported back."""


@dataclass(frozen=True, slots=True)
class Rating:
    """One tap. ``face`` counts from 0 (least happy) to ``scale - 1`` (happiest).

    ``seq`` is the kiosk's own counter: 1-based, 64-bit, never reused. Together with ``kiosk_id`` it is
    the idempotency key. ``time_ms`` is the device clock (UTC, ms since the epoch), which may be wrong on a
    Pi without RTC; ``boot_id`` and ``mono_ms`` (ms since that boot) let the hub correct it.
    """

    kiosk_id: str
    seq: int
    uuid: str
    face: int
    scale: int
    question_id: str
    time_ms: int
    boot_id: str
    mono_ms: int
    reason: str | None = None
    is_misuse: bool = False

    def __post_init__(self) -> None:
        check_id(self.kiosk_id, what="kiosk id")
        _require_int(self.seq, "seq", 1, MAX_SEQ)
        _require_int(self.scale, "scale", MIN_FACES, MAX_FACES)
        _require_int(self.face, "face", 0, self.scale - 1)
        _require_int(self.time_ms, "time_ms", 0, MAX_SEQ)
        _require_int(self.mono_ms, "mono_ms", 0, MAX_SEQ)
        if not isinstance(self.uuid, str):
            raise InvalidRating("uuid must be a string")
        try:
            uuid_module.UUID(self.uuid)
        except ValueError:
            raise InvalidRating(f"uuid {self.uuid!r} is not a UUID") from None
        if not isinstance(self.boot_id, str) or not 1 <= len(self.boot_id) <= 64:
            raise InvalidRating("boot_id must be a string of 1-64 characters")
        if not isinstance(self.question_id, str) or not 1 <= len(self.question_id) <= MAX_QUESTION_LEN:
            raise InvalidRating("question must be a string of 1-63 characters")
        if self.reason is not None and (
            not isinstance(self.reason, str) or not 1 <= len(self.reason) <= MAX_REASON_LEN
        ):
            raise InvalidRating("reason must be null or a string of 1-64 characters")
        if not isinstance(self.is_misuse, bool):
            raise InvalidRating("misuse must be true or false")


def _require_int(value: object, name: str, low: int, high: int) -> None:
    # bool is an int subclass; a JSON ``true`` is not a face.
    if not isinstance(value, int) or isinstance(value, bool):
        raise InvalidRating(f"{name} must be an integer, got {type(value).__name__}")
    if not low <= value <= high:
        raise InvalidRating(f"{name} {value} is out of range {low}..{high}")
