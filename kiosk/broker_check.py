"""Does a broker accept this kiosk? A real MQTT 5 CONNECT with the kiosk's credentials, for fail-back.

The check must not disturb the kiosk's live session on the broker it uses, nor leave anything behind on the one
it checks: it uses its own client id, ``kiosk-<id>-failback`` (a broker drops the older of two connections with
one client id, so the kiosk's own ``kiosk-<id>`` would kick the live session if the check reached that broker).
Our brokers allow it: the hub's Mosquitto config ties a kiosk's rights to its *username* (ACL patterns on
``%u``), not to its client id, and sets neither ``use_username_as_clientid`` nor ``clientid_prefixes``
(``hub/fleet/broker.py``). It starts clean with no session expiry and no Last Will, subscribes and publishes
nothing, and ends with a clean DISCONNECT.
"""

from __future__ import annotations

import logging
import socket
import ssl
import time
from collections.abc import Callable
from typing import Any

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion

from kiosk.config import BrokerAddress, BrokerConfig, KioskConfig

__all__ = ["broker_accepts", "check_client_id", "first_accepting"]

log = logging.getLogger(__name__)


def check_client_id(kiosk_id: str) -> str:
    """The client id of a fail-back check: never the kiosk's own ``kiosk-<id>``."""
    return f"kiosk-{kiosk_id}-failback"


def broker_accepts(
    broker: BrokerConfig,
    address: BrokerAddress,
    *,
    kiosk_id: str,
    tls_context: ssl.SSLContext | None,
    timeout_s: float,
) -> bool:
    """True when the broker at ``address`` answers a CONNECT with the kiosk's credentials with CONNACK success
    within ``timeout_s``; False when it cannot be reached, refuses, or stays silent."""
    answers: list[bool] = []

    def on_connect(client: mqtt.Client, userdata: Any, flags: Any, rc: Any, props: Any) -> None:
        answers.append(not rc.is_failure)

    c = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=check_client_id(kiosk_id), protocol=mqtt.MQTTv5)
    c.username_pw_set(broker.username, broker.password)
    if tls_context is not None:
        c.tls_set_context(tls_context)
    c.connect_timeout = timeout_s
    c.on_connect = on_connect
    deadline = time.monotonic() + timeout_s
    try:
        c.connect(address.host, address.port, keepalive=max(2, round(timeout_s)), clean_start=True)
        while not answers and time.monotonic() < deadline:
            c.loop(timeout=0.1)
    except (OSError, ValueError) as exc:  # refused, unreachable, TLS handshake failed (ssl.SSLError is an OSError)
        log.info("fail-back check of %s: %s", address, exc)
        return False
    finally:
        try:
            c.disconnect()  # queues a clean DISCONNECT (or only marks the client disconnected when no socket)
            c.loop(timeout=0.1)  # writes it and closes the socket
        except (OSError, ValueError) as exc:
            log.info("fail-back check of %s: closing: %s", address, exc)
        sock = c.socket()
        if isinstance(sock, socket.socket):  # still open (the DISCONNECT was not written in time): no leak
            sock.close()
    is_accepted = bool(answers) and answers[0]
    log.info("fail-back check of %s: %s", address, "accepted" if is_accepted else f"not accepted ({answers})")
    return is_accepted


def first_accepting(
    config: KioskConfig, preferred: range, *, tls_context: ssl.SSLContext | None, is_stopping: Callable[[], bool]
) -> int | None:
    """The first broker of ``preferred`` (indexes into ``config.broker.addresses``, most preferred first) that
    accepts the kiosk, each given a keep-alive to answer; None when none does (or the kiosk is stopping)."""
    for i in preferred:
        if is_stopping():
            return None
        address, timeout_s = config.broker.addresses[i], float(config.uplink.keepalive_s)
        if broker_accepts(
            config.broker, address, kiosk_id=config.kiosk_id, tls_context=tls_context, timeout_s=timeout_s
        ):
            return i
    return None
