"""The ingest's fast path for ratings messages: the contract of :mod:`feedback.protocol` (field names, types and
limits from :mod:`feedback.rating`) checked by msgspec in C when a message is entirely valid — the usual case,
~3x faster than the careful path. Anything it does not accept goes to ``feedback.protocol.decode_ratings``, which
says rating by rating what is wrong. ``tests/test_fast_decode.py`` holds the two to the same verdicts."""

from __future__ import annotations

from typing import Annotated, Literal

import msgspec
from msgspec import Meta

from feedback import protocol as p
from feedback.rating import (
    MAX_BOOT_ID_LEN,
    MAX_FACES,
    MAX_QUESTION_LEN,
    MAX_REASON_LEN,
    MAX_SEQ,
    MIN_FACES,
    UUID_PATTERN,
    Rating,
    is_printable_text,
)

_Int64 = Annotated[int, Meta(ge=0, le=MAX_SEQ)]


class _WireRating(msgspec.Struct, forbid_unknown_fields=True):
    seq: Annotated[int, Meta(ge=1, le=MAX_SEQ)]
    uuid: Annotated[str, Meta(pattern=UUID_PATTERN)]
    face: Annotated[int, Meta(ge=0, lt=MAX_FACES)]
    scale: Annotated[int, Meta(ge=MIN_FACES, le=MAX_FACES)]
    question: Annotated[str, Meta(min_length=1, max_length=MAX_QUESTION_LEN)]
    time_ms: _Int64
    boot_id: Annotated[str, Meta(min_length=1, max_length=MAX_BOOT_ID_LEN)]
    mono_ms: _Int64
    reason: Annotated[str, Meta(min_length=1, max_length=MAX_REASON_LEN)] | None = None
    misuse: bool = False


class _WireBatch(msgspec.Struct):
    v: Literal[1]
    ratings: Annotated[list[_WireRating], Meta(min_length=1, max_length=p.MAX_BATCH_RATINGS)]
    kiosk: str | msgspec.UnsetType | None = msgspec.UNSET


_fast_batch = msgspec.json.Decoder(_WireBatch)
_set = object.__setattr__


def _checked_rating(kiosk_id: str, r: _WireRating) -> Rating:
    """A ``Rating`` from fields msgspec has checked against the same rules (``__post_init__`` skipped)."""
    out: Rating = object.__new__(Rating)
    for name, value in (
        ("kiosk_id", kiosk_id),
        ("seq", r.seq),
        ("uuid", r.uuid),
        ("face", r.face),
        ("scale", r.scale),
        ("question_id", r.question),
        ("time_ms", r.time_ms),
        ("boot_id", r.boot_id),
        ("mono_ms", r.mono_ms),
        ("reason", r.reason),
        ("is_misuse", r.misuse),
    ):
        _set(out, name, value)
    return out


def decode_valid_ratings(topic_kiosk_id: str, payload: bytes) -> p.DecodedBatch | None:
    """The batch when every part of it is valid, else None (then the careful path decides)."""
    if len(payload) > p.MAX_PAYLOAD_BYTES:
        return None
    try:
        batch = _fast_batch.decode(payload)
    except msgspec.MsgspecError:
        return None
    if batch.kiosk is not msgspec.UNSET and batch.kiosk != topic_kiosk_id:
        return None
    for r in batch.ratings:  # the rules msgspec cannot say: face within its scale, printable text only
        if r.face >= r.scale or not is_printable_text(r.question):
            return None
        if r.reason is not None and not is_printable_text(r.reason):
            return None
    return p.DecodedBatch([_checked_rating(topic_kiosk_id, r) for r in batch.ratings])
