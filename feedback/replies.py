"""The hub's replies and both sides' presence on the wire: acknowledgements (with a whole message's refusal),
statuses (birth, heartbeat, will, shutdown) and commands. Part of the contract in :mod:`feedback.protocol`."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from feedback.protocol import VERSION, ProtocolError, dumps_json, load_object

MAX_TEXT = 64  # ids, versions, kinds, correlation data: short strings

# ---------------------------------------------------------------------------------------------- acks


def _short(value: Any, what: str) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str) or len(value) > MAX_TEXT:
        raise ProtocolError("bad_ack", f"{what} must be a string of at most {MAX_TEXT} characters")
    return value


@dataclass(frozen=True, slots=True)
class MessageError:
    """Why the hub refused a whole message (nothing in it was stored).

    ``reason`` is a stable code (``malformed_json``, ``payload_too_large``, ``unsupported_version``,
    ``not_an_object``, ``kiosk_mismatch``, ``no_ratings``, ``batch_too_large``); ``correlation`` echoes the
    MQTT 5 Correlation Data of the refused message (as text), so a device can tell which message it was.
    """

    reason: str
    detail: str = ""
    correlation: str | None = None


@dataclass(frozen=True, slots=True)
class Ack:
    """The hub's cumulative acknowledgement, sent only after its commit.

    ``acked_through``: every seq up to it is stored (or kept as rejected) at the hub; the kiosk may mark
    them acknowledged. ``resend_from``: the hub found a gap and asks for everything from that seq again.
    ``rejected``: seqs refused, with reasons (rating-level refusals are acknowledged all the same; the seqs of
    a refused whole message are not). ``birth``: set when this ack answers the kiosk's birth status with that
    ``birth_id``. ``error``: set when this ack reports a refused whole message.
    """

    acked_through: int
    resend_from: int | None = None
    rejected: tuple[tuple[int, str], ...] = ()
    birth: str | None = None
    error: MessageError | None = None


def encode_ack(ack: Ack) -> bytes:
    doc: dict[str, Any] = {
        "v": VERSION,
        "acked_through": ack.acked_through,
        "resend_from": ack.resend_from,
        "rejected": [{"seq": s, "reason": r} for s, r in ack.rejected],
    }
    if ack.birth is not None:
        doc["birth"] = ack.birth
    if ack.error is not None:
        doc["error"] = {"reason": ack.error.reason, "detail": ack.error.detail, "correlation": ack.error.correlation}
    return dumps_json(doc)


def decode_ack(payload: bytes) -> Ack:
    doc = load_object(payload)
    through = doc.get("acked_through")
    resend = doc.get("resend_from")
    if not isinstance(through, int) or isinstance(through, bool) or through < 0:
        raise ProtocolError("bad_ack", "acked_through must be a non-negative integer")
    if resend is not None and (not isinstance(resend, int) or isinstance(resend, bool) or resend < 1):
        raise ProtocolError("bad_ack", "resend_from must be null or a positive integer")
    rejected = []
    for item in doc.get("rejected") or []:
        if isinstance(item, dict) and isinstance(item.get("seq"), int):
            rejected.append((int(item["seq"]), str(item.get("reason", ""))[:200]))
    error = None
    if isinstance(doc.get("error"), dict):
        e = doc["error"]
        error = MessageError(
            str(e.get("reason", ""))[:64],
            str(e.get("detail", ""))[:500],
            _short(e.get("correlation"), "error.correlation"),
        )
    return Ack(through, resend, tuple(rejected), _short(doc.get("birth"), "birth"), error)


# ---------------------------------------------------------------------------------------------- status


@dataclass(frozen=True, slots=True)
class Status:
    """A retained presence message: kiosk birth/heartbeat/will, or the hub's own.

    Everything but ``state`` is optional on the wire so a Last Will can be tiny.
    """

    state: str  # "online" | "offline"
    epoch: int | None = None
    version: str | None = None
    pending: int | None = None
    last_seq: int | None = None
    acked_through: int | None = None
    clock_ms: int | None = None
    boot_id: str | None = None
    mono_ms: int | None = None
    ntp_synced: bool | None = None
    config_version: int | None = None
    kind: str = "birth"  # "birth" | "heartbeat" | "will" | "shutdown"
    birth_id: str | None = None  # a birth's own id, echoed in the hub's answer (``Ack.birth``)
    fresh: bool | None = None  # a birth from storage that has not yet learned which seqs the hub holds

    def to_wire(self) -> dict[str, Any]:
        return {"v": VERSION, **{k: getattr(self, k) for k in self.__slots__ if getattr(self, k) is not None}}


def encode_status(status: Status) -> bytes:
    return dumps_json(status.to_wire())


_STATUS_INTS = ("epoch", "pending", "last_seq", "acked_through", "clock_ms", "mono_ms", "config_version")


def decode_status(payload: bytes) -> Status:
    doc = load_object(payload)
    state = doc.get("state")
    if state not in ("online", "offline"):
        raise ProtocolError("bad_status", "state must be 'online' or 'offline'")
    values: dict[str, Any] = {"state": state}
    for key in _STATUS_INTS:
        v = doc.get(key)
        if v is not None:
            if not isinstance(v, int) or isinstance(v, bool) or v < 0:
                raise ProtocolError("bad_status", f"{key} must be a non-negative integer")
            values[key] = v
    for key in ("version", "boot_id", "kind", "birth_id"):
        v = doc.get(key)
        if v is not None:
            if not isinstance(v, str) or len(v) > MAX_TEXT:
                raise ProtocolError("bad_status", f"{key} must be a short string")
            values[key] = v
    for key in ("ntp_synced", "fresh"):
        if isinstance(doc.get(key), bool):
            values[key] = doc[key]
    return Status(**values)


# ---------------------------------------------------------------------------------------------- commands


def encode_command(command: str, **args: Any) -> bytes:
    return dumps_json({"v": VERSION, "command": command, **args})


def decode_command(payload: bytes) -> dict[str, Any]:
    doc = load_object(payload)
    if not isinstance(doc.get("command"), str):
        raise ProtocolError("bad_command", "'command' must be a string")
    return doc
