"""The one place a paho client is made: MQTT 5, credentials, TLS, will and reconnect back-off as the hub uses them.

Nothing outside ``hub.mqtt`` sees paho; callbacks set by the callers never raise.
"""

from __future__ import annotations

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion

from feedback import protocol as p
from hub.config import MqttEndpoint


def hub_client(
    endpoint: MqttEndpoint, *, client_id: str, manual_ack: bool = False, with_will: bool = False
) -> mqtt.Client:
    """A paho client for ``endpoint``; ``with_will``: the broker publishes the hub offline if it vanishes."""
    client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=client_id, protocol=mqtt.MQTTv5, manual_ack=manual_ack)
    if endpoint.username:
        client.username_pw_set(endpoint.username, endpoint.password)
    if endpoint.tls:
        client.tls_set()
    if with_will:
        client.will_set(p.HUB_STATUS_TOPIC, p.encode_status(p.Status("offline", kind="will")), qos=1, retain=True)
    client.reconnect_delay_set(1, 10)
    return client
