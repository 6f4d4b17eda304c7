"""A message as the ingest queues it: paho's ``MQTTMessage`` converted at the edge, with the broker it came on."""

from __future__ import annotations

from dataclasses import dataclass

import paho.mqtt.client as mqtt


@dataclass(frozen=True, slots=True)
class Received:
    topic: str
    payload: bytes
    mid: int  # the packet id on the connection it came on: PUBACKed there
    qos: int
    retain: bool
    received_ms: int
    correlation: str | None = None
    source: int = 0  # the broker it came from: an index into Ingest.endpoints


def received(msg: mqtt.MQTTMessage, *, source: int, received_ms: int) -> Received:
    return Received(
        msg.topic,
        bytes(msg.payload),
        msg.mid,
        msg.qos,
        bool(msg.retain),
        received_ms,
        correlation_of(msg),
        source=source,
    )


def correlation_of(msg: mqtt.MQTTMessage) -> str | None:
    """A message's MQTT 5 Correlation Data as text (UTF-8, else hex), at most 64 characters."""
    data = getattr(getattr(msg, "properties", None), "CorrelationData", None)
    if not isinstance(data, bytes | bytearray) or not data:
        return None
    try:
        text = bytes(data).decode("utf-8")
    except UnicodeDecodeError:
        text = bytes(data).hex()
    return text[:64]
