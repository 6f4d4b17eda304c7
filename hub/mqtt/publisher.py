"""Pushes each kiosk's remote config to every broker as a retained QoS 1 message.

Its own MQTT connection per broker (as the hub user), so the ingest's sessions are untouched. After every
(re)connect to a broker it republishes every kiosk's current version there once — cheap, and it repairs a broker
that lost its retained store (or one a kiosk fails over to); kiosks ignore a version they already run. A version
counts as published only after the PUBACK of every broker connected at the time; one that is down gets everything
again when it comes back.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import paho.mqtt.client as mqtt

from feedback import protocol as p
from feedback.remote_config import ConfigMessage, encode_config
from hub.config import DEFAULT_KEEPALIVE_S, MqttEndpoint
from hub.mqtt.client import hub_client
from hub.store import Store

log = logging.getLogger(__name__)

PUBACK_TIMEOUT_S = 10.0


@dataclass(eq=False)
class _Link:
    """One broker's connection and whether it needs every config again."""

    endpoint: MqttEndpoint
    client: mqtt.Client
    connected: threading.Event = field(default_factory=threading.Event)
    needs_full: threading.Event = field(default_factory=threading.Event)


class ConfigPublisher:
    def __init__(
        self,
        *,
        endpoints: Sequence[MqttEndpoint],
        client_id: str,
        now_ms: Callable[[], int],
        keepalive_s: int = DEFAULT_KEEPALIVE_S,
    ) -> None:
        self.now_ms = now_ms
        self.keepalive_s = keepalive_s
        self._links = [_Link(e, hub_client(e, client_id=client_id)) for e in endpoints]
        for link in self._links:
            link.client.user_data_set(link)
            link.client.on_connect = self._on_connect
            link.client.on_disconnect = self._on_disconnect

    @property
    def is_connected(self) -> bool:
        return any(link.connected.is_set() for link in self._links)

    def start(self) -> None:
        for link in self._links:
            link.client.connect_async(link.endpoint.host, link.endpoint.port, keepalive=self.keepalive_s)
            link.client.loop_start()

    def stop(self) -> None:
        for link in self._links:
            link.client.disconnect()
            link.client.loop_stop()

    def _on_connect(self, client: mqtt.Client, link: _Link, flags: Any, rc: Any, props: Any) -> None:
        if rc.is_failure:
            log.error(
                "config publisher: broker %s:%s refused connection: %s", link.endpoint.host, link.endpoint.port, rc
            )
            return
        link.needs_full.set()
        link.connected.set()

    def _on_disconnect(self, client: mqtt.Client, link: _Link, flags: Any, rc: Any, props: Any) -> None:
        link.connected.clear()

    def sync(self, store: Store) -> int:
        """Publish what is pending to each connected broker (everything to one just (re)connected); return how many
        versions were newly acknowledged by all of them."""
        links = [link for link in self._links if link.connected.is_set()]
        if not links:
            return 0
        pending = {(pub.kiosk_id, pub.version): pub for pub in store.settings.publications(only_unpublished=True)}
        everything = None
        sent = []
        for link in links:
            if link.needs_full.is_set():
                link.needs_full.clear()
                if everything is None:
                    everything = list(store.settings.publications(only_unpublished=False))
                pubs = everything
            else:
                pubs = list(pending.values())
            for pub in pubs:
                payload = encode_config(ConfigMessage(pub.version, pub.settings))
                info = link.client.publish(p.kiosk_topic(pub.kiosk_id, p.CONFIG), payload, qos=1, retain=True)
                sent.append((link, pub, info))
        missing: set[tuple[str, int]] = set()  # published somewhere, not acknowledged by some broker
        for link, pub, info in sent:
            try:
                info.wait_for_publish(PUBACK_TIMEOUT_S)
            except (RuntimeError, ValueError) as exc:
                log.warning("config publisher: %s v%d not published: %s", pub.kiosk_id, pub.version, exc)
            if not info.is_published():
                missing.add((pub.kiosk_id, pub.version))
                link.needs_full.set()  # try everything again on this broker on the next pass
        done = 0
        for key, pub in pending.items():
            if key not in missing:
                store.settings.mark_published(pub.kiosk_id, pub.version, now_ms=self.now_ms())
                done += 1
        if sent:
            log.info(
                "config publisher: %d messages to %d brokers, %d configs newly published", len(sent), len(links), done
            )
        return done
