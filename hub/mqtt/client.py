"""The one place a paho client is made: MQTT 5, credentials, TLS, will and reconnect back-off as the hub uses them.

Nothing outside ``hub.mqtt`` sees paho; callbacks set by the callers never raise.
"""

from __future__ import annotations

import logging
import sys

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion

from feedback import protocol as p
from hub.config import MqttEndpoint
from hub.mqtt.tls import client_context

log = logging.getLogger(__name__)


def hub_client(
    endpoint: MqttEndpoint, *, client_id: str, manual_ack: bool = False, with_will: bool = False
) -> mqtt.Client:
    """A paho client for ``endpoint``; ``with_will``: the broker publishes the hub offline if it vanishes.

    An ``mqtts://`` endpoint only ever connects with TLS, verifying the broker (``hub.mqtt.tls``); a connect that
    fails (a refused TLS handshake, say) is logged with its reason and retried, never tried without TLS."""
    client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=client_id, protocol=mqtt.MQTTv5, manual_ack=manual_ack)
    if endpoint.username:
        client.username_pw_set(endpoint.username, endpoint.password)
    if endpoint.tls:
        client.tls_set_context(client_context(endpoint.tls_files))
    if with_will:
        client.will_set(p.HUB_STATUS_TOPIC, p.encode_status(p.Status("offline", kind="will")), qos=1, retain=True)
    client.reconnect_delay_set(1, 10)
    client.on_connect_fail = lambda _client, _userdata: _log_connect_fail(endpoint, client_id)
    return client


def _log_connect_fail(endpoint: MqttEndpoint, client_id: str) -> None:
    # paho calls this inside its ``except OSError`` around the connect: the exception is the reason
    try:
        log.warning(
            "hub: %s cannot connect to broker %s:%s: %s", client_id, endpoint.host, endpoint.port, sys.exception()
        )
    except Exception:  # never raise into paho
        log.exception("hub on_connect_fail")


def refused_hint(endpoint: MqttEndpoint) -> str:
    """What to add to a disconnect before the broker ever answered the connect: with TLS 1.3 a listener that
    requires a client certificate drops the connection after the handshake, which paho reports only as an
    "Unspecified error"."""
    if endpoint.tls and endpoint.tls_files.cert_file is None:
        return (
            " (a TLS listener that requires a client certificate, as the kiosks' does, refuses the hub without"
            " --mqtt-cert/--mqtt-key: `hub broker-client-cert`)"
        )
    return ""
