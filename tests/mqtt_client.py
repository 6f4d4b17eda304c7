"""A raw paho MQTT 5 client for tests that play a misbehaving kiosk or an attacker."""

from __future__ import annotations

import queue
import threading
import tomllib
from pathlib import Path
from typing import Any

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion

from tests.harness import wait_until


class RawClient:
    def __init__(
        self,
        port: int,
        *,
        username: str | None = None,
        password: str | None = None,
        client_id: str = "",
        host: str = "127.0.0.1",
        tls: dict[str, Any] | None = None,
    ) -> None:
        self.client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=client_id, protocol=mqtt.MQTTv5)
        if username is not None:
            self.client.username_pw_set(username, password)
        if tls is not None:
            self.client.tls_set(**tls)
        self.connack: Any = None
        self.messages: queue.Queue[mqtt.MQTTMessage] = queue.Queue()
        self.pubacks: dict[int, Any] = {}
        self.subacks: dict[int, list[Any]] = {}
        self._lock = threading.Lock()
        self.client.on_connect = self._on_connect
        self.client.on_message = lambda c, u, m: self.messages.put(m)
        self.client.on_publish = self._on_publish
        self.client.on_subscribe = self._on_subscribe
        self.host, self.port = host, port

    @classmethod
    def for_kiosk(cls, config: Path, port: int) -> RawClient:
        doc = tomllib.loads(config.read_text())
        return cls(
            port,
            username=doc["broker"]["username"],
            password=doc["broker"]["password"],
            client_id=f"raw-{doc['kiosk']['id']}",
        )

    def _on_connect(self, c: Any, u: Any, flags: Any, rc: Any, props: Any) -> None:
        self.connack = rc

    def _on_publish(self, c: Any, u: Any, mid: int, rc: Any, props: Any) -> None:
        with self._lock:
            self.pubacks[mid] = rc

    def _on_subscribe(self, c: Any, u: Any, mid: int, rcs: list[Any], props: Any) -> None:
        with self._lock:
            self.subacks[mid] = rcs

    def connect(self) -> Any:
        """Connect and return the CONNACK reason code (a failure is returned, not raised)."""
        self.client.connect(self.host, self.port, keepalive=30)
        self.client.loop_start()
        wait_until(lambda: self.connack is not None, timeout=10, message="CONNACK")
        return self.connack

    def publish(self, topic: str, payload: bytes, *, qos: int = 1, retain: bool = False, properties: Any = None) -> Any:
        """Publish and return the PUBACK reason code."""
        info = self.client.publish(topic, payload, qos=qos, retain=retain, properties=properties)
        return wait_until(lambda: self.pubacks.get(info.mid), timeout=10, message=f"PUBACK for {topic}")

    def subscribe(self, topic: str, qos: int = 1) -> list[Any]:
        """Subscribe and return the SUBACK reason codes."""
        _, mid = self.client.subscribe(topic, qos)
        assert mid is not None, f"SUBSCRIBE {topic} was not sent"
        return list(wait_until(lambda: self.subacks.get(mid), timeout=10, message=f"SUBACK for {topic}"))

    def close(self) -> None:
        self.client.disconnect()
        self.client.loop_stop()
