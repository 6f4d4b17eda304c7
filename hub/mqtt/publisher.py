"""Pushes each kiosk's remote config to the broker as a retained QoS 1 message.

Its own MQTT connection (as the hub user), so the ingest's session is untouched. After every (re)connect
it republishes every kiosk's current version once — cheap, and it repairs a broker that lost its retained
store; kiosks ignore a version they already run. A version counts as published only after the PUBACK.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import Any

import paho.mqtt.client as mqtt

from feedback import protocol as p
from feedback.remote_config import ConfigMessage, encode_config
from hub.config import MqttEndpoint
from hub.mqtt.client import hub_client
from hub.store import Store

log = logging.getLogger(__name__)

PUBACK_TIMEOUT_S = 10.0


class ConfigPublisher:
    def __init__(self, *, endpoint: MqttEndpoint, client_id: str, now_ms: Callable[[], int]) -> None:
        self.now_ms = now_ms
        self.endpoint = endpoint
        self._needs_full = threading.Event()
        self._connected = threading.Event()
        c = hub_client(endpoint, client_id=client_id)
        c.on_connect = self._on_connect
        c.on_disconnect = self._on_disconnect
        self._client = c

    @property
    def is_connected(self) -> bool:
        return self._connected.is_set()

    def start(self) -> None:
        self._client.connect_async(self.endpoint.host, self.endpoint.port, keepalive=30)
        self._client.loop_start()

    def stop(self) -> None:
        self._client.disconnect()
        self._client.loop_stop()

    def _on_connect(self, client: mqtt.Client, userdata: Any, flags: Any, rc: Any, props: Any) -> None:
        if rc.is_failure:
            log.error("config publisher: broker refused connection: %s", rc)
            return
        self._needs_full.set()
        self._connected.set()

    def _on_disconnect(self, client: mqtt.Client, userdata: Any, flags: Any, rc: Any, props: Any) -> None:
        self._connected.clear()

    def sync(self, store: Store) -> int:
        """Publish what is pending (everything after a reconnect); return how many were acknowledged."""
        if not self._connected.is_set():
            return 0
        full = self._needs_full.is_set()
        self._needs_full.clear()
        sent = []
        for pub in store.settings.publications(only_unpublished=not full):
            payload = encode_config(ConfigMessage(pub.version, pub.settings))
            info = self._client.publish(p.kiosk_topic(pub.kiosk_id, p.CONFIG), payload, qos=1, retain=True)
            sent.append((pub, info))
        done = 0
        for pub, info in sent:
            try:
                info.wait_for_publish(PUBACK_TIMEOUT_S)
            except (RuntimeError, ValueError) as exc:
                log.warning("config publisher: %s v%d not published: %s", pub.kiosk_id, pub.version, exc)
            if info.is_published():
                store.settings.mark_published(pub.kiosk_id, pub.version, now_ms=self.now_ms())
                done += 1
            else:
                self._needs_full.set()  # try everything again on the next pass
        if sent:
            log.info("config publisher: published %d/%d kiosk configs", done, len(sent))
        return done
