"""The MQTT wire contract between kiosks and the hub (docs/protocol.md is its prose form).

Topics carry the kiosk id, which is also the kiosk's broker username, so ``pattern`` ACLs with ``%u``
confine each kiosk to its own topics. Payloads are UTF-8 JSON objects with a ``"v": 1`` version field.
Decoding never trusts the payload: every problem raises :class:`ProtocolError` with a short reason, and a
batch decodes rating by rating so one bad rating does not take the valid ones down with it.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from feedback.ids import is_valid_id
from feedback.rating import InvalidRating, Rating

VERSION = 1
ROOT = "fb/v1"
HUB_STATUS_TOPIC = f"{ROOT}/hub/status"
SHARED_GROUP = "hub"

MAX_BATCH_RATINGS = 100
MAX_PAYLOAD_BYTES = 64 * 1024

# Kiosk -> hub
RATINGS = "ratings"
STATUS = "status"
REPORT = "report"
# Hub -> kiosk
ACK = "ack"
CONFIG = "config"
COMMAND = "cmd"
PROBE = "probe"  # a device UNSUBSCRIBEs from it to probe a quiet link (never subscribed, never published)

KIOSK_WRITES = (RATINGS, STATUS, REPORT)
KIOSK_READS = (ACK, CONFIG, COMMAND)


class ProtocolError(ValueError):
    """A payload or topic that breaks the contract. ``reason`` is a short, stable, countable code."""

    def __init__(self, reason: str, detail: str = "") -> None:
        super().__init__(f"{reason}: {detail}" if detail else reason)
        self.reason = reason
        self.detail = detail


def kiosk_topic(kiosk_id: str, kind: str) -> str:
    return f"{ROOT}/k/{kiosk_id}/{kind}"


def ratings_subscription(*, shared: bool = True) -> str:
    """The hub's subscription to every kiosk's ratings (a shared subscription so workers can join)."""
    topic = f"{ROOT}/k/+/{RATINGS}"
    return f"$share/{SHARED_GROUP}/{topic}" if shared else topic


def parse_kiosk_topic(topic: str) -> tuple[str, str]:
    """Split ``fb/v1/k/<kiosk>/<kind>`` into ``(kiosk_id, kind)``."""
    parts = topic.split("/")
    if len(parts) != 5 or f"{parts[0]}/{parts[1]}" != ROOT or parts[2] != "k":
        raise ProtocolError("bad_topic", topic)
    if not is_valid_id(parts[3]):
        raise ProtocolError("bad_kiosk_id", parts[3])
    return parts[3], parts[4]


def load_object(payload: bytes) -> dict[str, Any]:
    """One JSON object of this protocol version from ``payload``; :raises ProtocolError: with the reason."""
    if len(payload) > MAX_PAYLOAD_BYTES:
        raise ProtocolError("payload_too_large", f"{len(payload)} bytes > {MAX_PAYLOAD_BYTES}")
    try:
        doc = json.loads(payload)
    except (UnicodeDecodeError, ValueError) as exc:
        raise ProtocolError("malformed_json", str(exc)[:120]) from None
    if not isinstance(doc, dict):
        raise ProtocolError("not_an_object", type(doc).__name__)
    if doc.get("v") != VERSION:
        raise ProtocolError("unsupported_version", repr(doc.get("v"))[:20])
    return doc


def dumps_json(doc: Mapping[str, Any]) -> bytes:
    """Compact UTF-8 JSON, as every message on the wire is encoded."""
    return json.dumps(doc, separators=(",", ":"), ensure_ascii=False).encode()


# ---------------------------------------------------------------------------------------------- ratings


def rating_to_wire(r: Rating) -> dict[str, Any]:
    return {
        "seq": r.seq,
        "uuid": r.uuid,
        "face": r.face,
        "scale": r.scale,
        "question": r.question_id,
        "reason": r.reason,
        "time_ms": r.time_ms,
        "boot_id": r.boot_id,
        "mono_ms": r.mono_ms,
        "misuse": r.is_misuse,
    }


def encode_ratings(kiosk_id: str, ratings: Sequence[Rating]) -> bytes:
    return encode_wire_ratings(kiosk_id, [rating_to_wire(r) for r in ratings])


def encode_wire_ratings(
    kiosk_id: str, ratings: Sequence[Mapping[str, Any]], *, dumps: Callable[[Any], bytes] = dumps_json
) -> bytes:
    """Encode ratings already in wire form (a kiosk reading its own, validated outbox rows); ``dumps`` may be a
    faster encoder of the same compact UTF-8 JSON (the kiosk passes msgspec's)."""
    return dumps({"v": VERSION, "kiosk": kiosk_id, "ratings": list(ratings)})


def encode_json_ratings(kiosk_id: str, ratings: Sequence[str]) -> bytes:
    """A ratings batch from ratings each already encoded as its wire JSON object (a kiosk's outbox renders its
    validated rows so): the same message as :func:`encode_wire_ratings`, without a dict per rating."""
    kiosk_json = json.dumps(kiosk_id, ensure_ascii=False).encode()
    return b'{"v":%d,"kiosk":%s,"ratings":[%s]}' % (VERSION, kiosk_json, ",".join(ratings).encode())


@dataclass(frozen=True, slots=True)
class Rejection:
    """One rating (or a whole message, ``seq=None``) refused, with the reason code."""

    reason: str
    detail: str = ""
    seq: int | None = None
    raw: Any = None


@dataclass(frozen=True, slots=True)
class DecodedBatch:
    ratings: list[Rating] = field(default_factory=list)
    rejections: list[Rejection] = field(default_factory=list)


_FIELDS = frozenset({"seq", "uuid", "face", "scale", "question", "reason", "time_ms", "boot_id", "mono_ms", "misuse"})
_REQUIRED = _FIELDS - {"reason", "misuse"}


def decode_ratings(topic_kiosk_id: str, payload: bytes) -> DecodedBatch:
    """Decode a ratings message from ``topic_kiosk_id`` (the broker-authenticated id, the authority).

    :raises ProtocolError: when the message as a whole is unusable (bad JSON, wrong kiosk, no list).
    """
    doc = load_object(payload)
    named = doc.get("kiosk", topic_kiosk_id)
    if named != topic_kiosk_id:
        raise ProtocolError("kiosk_mismatch", f"payload names {str(named)[:64]!r}, topic {topic_kiosk_id!r}")
    items = doc.get("ratings")
    if not isinstance(items, list) or not items:
        raise ProtocolError("no_ratings", "'ratings' must be a non-empty list")
    if len(items) > MAX_BATCH_RATINGS:
        raise ProtocolError("batch_too_large", f"{len(items)} ratings > {MAX_BATCH_RATINGS}")
    out = DecodedBatch()
    for item in items:
        seq = item.get("seq") if isinstance(item, dict) else None
        if not isinstance(seq, int) or isinstance(seq, bool) or seq < 1:
            seq = None
        try:
            out.ratings.append(_rating_from_wire(topic_kiosk_id, item))
        except InvalidRating as exc:
            out.rejections.append(Rejection("invalid_rating", str(exc), seq, item))
    return out


def message_seqs(payload: bytes) -> list[int]:
    """The seqs a refused whole message carried, when its JSON can be read at all (else none)."""
    try:
        doc = json.loads(payload)
    except (UnicodeDecodeError, ValueError, RecursionError):
        return []
    items = doc.get("ratings") if isinstance(doc, dict) else None
    if not isinstance(items, list):
        return []
    return [it["seq"] for it in items if isinstance(it, dict) and type(it.get("seq")) is int and it["seq"] >= 1]


def _rating_from_wire(kiosk_id: str, item: Any) -> Rating:
    if type(item) is not dict:
        raise InvalidRating("each rating must be an object")
    if item.keys() != _FIELDS:  # the usual case skips the set arithmetic
        missing = _REQUIRED - item.keys()
        if missing:
            raise InvalidRating(f"missing {', '.join(sorted(missing))}")
        unknown = item.keys() - _FIELDS
        if unknown:
            raise InvalidRating(f"unknown field {sorted(unknown)[0]!r}")
    return Rating(
        kiosk_id=kiosk_id,
        seq=item["seq"],
        uuid=item["uuid"],
        face=item["face"],
        scale=item["scale"],
        question_id=item["question"],
        time_ms=item["time_ms"],
        boot_id=item["boot_id"],
        mono_ms=item["mono_ms"],
        reason=item.get("reason"),
        is_misuse=item.get("misuse", False),
    )


# Acks, statuses and commands live in feedback.replies (kept under 300 lines each); re-exported here so the
# whole contract reads as ``protocol.X``. At the end: replies builds on the helpers above.
from feedback.replies import (  # noqa: E402
    Ack as Ack,
)
from feedback.replies import (  # noqa: E402
    MessageError as MessageError,
)
from feedback.replies import (  # noqa: E402
    Status as Status,
)
from feedback.replies import (  # noqa: E402
    decode_ack as decode_ack,
)
from feedback.replies import (  # noqa: E402
    decode_command as decode_command,
)
from feedback.replies import (  # noqa: E402
    decode_status as decode_status,
)
from feedback.replies import (  # noqa: E402
    encode_ack as encode_ack,
)
from feedback.replies import (  # noqa: E402
    encode_command as encode_command,
)
from feedback.replies import (  # noqa: E402
    encode_status as encode_status,
)
