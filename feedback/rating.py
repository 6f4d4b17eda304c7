"""A rating: one shopper's tap on one kiosk."""

from __future__ import annotations

import re
from dataclasses import dataclass

from feedback.ids import is_valid_id

MIN_FACES = 2
MAX_FACES = 5
MAX_SEQ = 2**63 - 1
MAX_REASON_LEN = 64
MAX_QUESTION_LEN = 63
MAX_BOOT_ID_LEN = 64
UUID_PATTERN = r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$"
_UUID = re.compile(UUID_PATTERN)


def is_printable_text(text: str) -> bool:
    """Text a rating may carry in ``question`` and ``reason``: printable characters and the ASCII space only.

    Python's ``str.isprintable``: no control characters (CR, LF, TAB, NUL, …), no format characters (bidi
    overrides, zero-width), no line/paragraph separators or other spaces than U+0020, no private-use, surrogate
    or unassigned code points. A CR could start a new row in a spreadsheet; a bidi override hides text.
    """
    return text.isprintable()


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
        # Hot path at the hub (every rating received): inline checks, no per-field function calls.
        # ``type(x) is int`` also refuses bool, since a JSON ``true`` is not a face.
        if not is_valid_id(self.kiosk_id):
            raise InvalidRating(f"kiosk id {self.kiosk_id!r} is not valid")
        for name in ("seq", "scale", "face", "time_ms", "mono_ms"):
            if type(getattr(self, name)) is not int:
                raise InvalidRating(f"{name} must be an integer, got {type(getattr(self, name)).__name__}")
        if not 1 <= self.seq <= MAX_SEQ:
            raise InvalidRating(f"seq {self.seq} is out of range 1..{MAX_SEQ}")
        if not MIN_FACES <= self.scale <= MAX_FACES:
            raise InvalidRating(f"scale {self.scale} is out of range {MIN_FACES}..{MAX_FACES}")
        if not 0 <= self.face < self.scale:
            raise InvalidRating(f"face {self.face} is out of range 0..{self.scale - 1}")
        if not 0 <= self.time_ms <= MAX_SEQ:
            raise InvalidRating(f"time_ms {self.time_ms} is out of range 0..{MAX_SEQ}")
        if not 0 <= self.mono_ms <= MAX_SEQ:
            raise InvalidRating(f"mono_ms {self.mono_ms} is out of range 0..{MAX_SEQ}")
        if type(self.uuid) is not str or not _UUID.match(self.uuid):
            raise InvalidRating(f"uuid {self.uuid!r} is not a UUID")
        if type(self.boot_id) is not str or not 1 <= len(self.boot_id) <= MAX_BOOT_ID_LEN:
            raise InvalidRating("boot_id must be a string of 1-64 characters")
        if type(self.question_id) is not str or not 1 <= len(self.question_id) <= MAX_QUESTION_LEN:
            raise InvalidRating("question must be a string of 1-63 characters")
        if not is_printable_text(self.question_id):
            raise InvalidRating(f"question {self.question_id!r} holds a control or other unprintable character")
        if self.reason is not None and (type(self.reason) is not str or not 1 <= len(self.reason) <= MAX_REASON_LEN):
            raise InvalidRating("reason must be null or a string of 1-64 characters")
        if self.reason is not None and not is_printable_text(self.reason):
            raise InvalidRating(f"reason {self.reason!r} holds a control or other unprintable character")
        if type(self.is_misuse) is not bool:
            raise InvalidRating("misuse must be true or false")
