"""The kiosk's MQTT uplink: the paho connection to a broker, and the threads around it.

With several brokers in the config (``broker.urls``) the uplink uses one at a time and moves on to the next
when its connection dies, a connect fails, or the link goes quiet past what :func:`kiosk.liveness.link_verdict`
allows (a cut with no RST); the pump then sends a birth and replays, as after any reconnect. On a broker that is
not the first, it checks the earlier ones every ``broker.failback_s`` (:mod:`kiosk.failback` decides,
:mod:`kiosk.broker_check` connects) and moves back to one that accepts, with a clean DISCONNECT.

paho's network thread only puts events on a queue (its callbacks never raise, and payloads become plain
``bytes`` here, at the edge); one pump thread (:class:`kiosk.replay.ReplayPump`) owns the replay window
and its own outbox connection. Taps never wait for the network: the UI records into the outbox and calls
:meth:`Uplink.wake`.
"""

from __future__ import annotations

import logging
import queue
import random
import socket
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion

from feedback import protocol as p
from kiosk.broker_check import first_accepting
from kiosk.clock import DeviceClock
from kiosk.config import BrokerAddress, KioskConfig
from kiosk.failback import Failback
from kiosk.liveness import Link, link_verdict
from kiosk.outbox import Outbox
from kiosk.replay import ReplayPump
from kiosk.tls import client_context

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class UplinkState:
    """What the staff panel shows."""

    is_connected: bool = False
    is_hub_online: bool | None = None
    epoch: int = 0
    last_ack_ms: int | None = None
    acked_through: int = 0
    hub_through: int | None = None  # the hub's latest cumulative ack since this start
    last_error: str | None = None
    denied: int = 0
    refused_messages: int = 0
    config_version: int | None = None
    broker: str | None = None  # host:port of the broker in use (or being tried)
    last_failover_ms: int | None = None  # wall clock when the kiosk last moved to another broker
    failover_from: str | None = None  # the broker it left then
    failovers: int = 0
    is_failback: bool = False  # that last move was back to a preferred broker (fail-back), not away from one


class Uplink:
    def __init__(
        self,
        config: KioskConfig,
        *,
        clock: DeviceClock | None = None,
        on_config: Callable[[bytes], int | None] | None = None,
        on_change: Callable[[UplinkState], None] | None = None,
        config_version: int | None = None,
    ) -> None:
        self.config = config
        self.clock = clock or DeviceClock()
        self.on_config = on_config
        self._on_change = on_change
        self.initial_config_version = config_version  # the remote config applied before this start
        self.events: queue.Queue[tuple[str, Any]] = queue.Queue()
        self.woken = threading.Event()
        self.stopping = threading.Event()
        self._state = UplinkState()
        self._state_lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self._index = 0  # the broker in use: config.broker.addresses[_index]; paho's thread moves it on
        self.last_inbound_s = time.monotonic()  # when a packet last arrived (paho's thread writes it)
        self._probe_sent_s: float | None = None  # the pump's last link probe
        self.failback = Failback(every_s=config.broker.failback_s)  # the pump thread's
        self._is_moving_back = False  # the pump is leaving the broker in use for a preferred one
        self._tls = client_context(config.broker) if config.broker.tls else None
        self.client = self._make_client()
        self.rng = random.Random()

    # ------------------------------------------------------------------------------------------ public
    @property
    def state(self) -> UplinkState:
        with self._state_lock:
            return self._state

    @property
    def address(self) -> BrokerAddress:
        """The broker in use, or being tried."""
        return self.config.broker.addresses[self._index]

    def start(self) -> None:
        self._thread = threading.Thread(target=self._pump, name=f"uplink-{self.config.kiosk_id}", daemon=True)
        self._thread.start()
        self._connect_async()
        self.client.loop_start()
        self.set_state(broker=str(self.address))

    def check_link(self, now_s: float) -> None:
        """Probe a quiet link, and drop a dead one so paho's thread moves on to the next broker (pump thread)."""
        verdict = link_verdict(
            now_s=now_s,
            last_inbound_s=self.last_inbound_s,
            probe_sent_s=self._probe_sent_s,
            keepalive_s=self.config.uplink.keepalive_s,
        )
        if verdict is Link.PROBE:
            self._probe_sent_s = now_s
            self.client.unsubscribe(p.kiosk_topic(self.config.kiosk_id, p.PROBE))  # answered by an UNSUBACK
        elif verdict is Link.DEAD:
            quiet_s = now_s - self.last_inbound_s
            log.warning("kiosk %s: nothing from %s for %.1f s: link dead", self.config.kiosk_id, self.address, quiet_s)
            self._post("error", f"nothing from the broker at {self.address} for {quiet_s:.0f} s: link dead")
            self.last_inbound_s = now_s  # one verdict per link: paho's thread takes it from here
            sock = self.client.socket()
            if isinstance(sock, socket.socket):  # ssl.SSLSocket too; paho's other kinds are for websockets
                try:  # paho's loop reads EOF, reports the connection lost and reconnects (to the next broker)
                    sock.shutdown(socket.SHUT_RDWR)
                except OSError as exc:
                    log.warning("kiosk %s: closing the dead link: %s", self.config.kiosk_id, exc)

    def check_failback(self, now_s: float, *, index: int, is_connected: bool) -> None:
        """When a check of the preferred brokers is due, run it in a thread of its own (a connect may take
        seconds); its answer comes back as a ``checked`` event (pump thread)."""
        preferred = self.failback.due(index=index, is_connected=is_connected, now_s=now_s)
        if preferred:
            threading.Thread(target=self._check, args=(preferred,), name="failback-check", daemon=True).start()

    def _check(self, preferred: range) -> None:
        accepted = first_accepting(self.config, preferred, tls_context=self._tls, is_stopping=self.stopping.is_set)
        self._post("checked", accepted)

    def move_back(self, index: int) -> None:
        """Leave the broker in use for the preferred one at ``index`` (pump thread): a clean DISCONNECT (so the
        old broker publishes no Last Will), paho's thread stopped, then a connect there. What was sent and not yet
        acknowledged by the hub is replayed there after the birth, as after any reconnect."""
        old, new = self.address, self.config.broker.addresses[index]
        log.info("kiosk %s: %s accepts connections again: moving back from %s", self.config.kiosk_id, new, old)
        self._is_moving_back = True
        try:
            self.client.disconnect()
            self.client.loop_stop()  # paho's thread ends once the DISCONNECT is out
        finally:
            self._is_moving_back = False  # the new thread's failures move on as usual
        self._index = index
        self._connect_async()
        self.client.loop_start()
        self._post("failback", (str(old), str(new)))

    def report(self, payload: bytes) -> None:
        """Publish a report to the hub (e.g. remote config applied or refused); QoS 1, not retained."""
        self.client.publish(p.kiosk_topic(self.config.kiosk_id, p.REPORT), payload, qos=1)

    def wake(self) -> None:
        """Tell the pump a rating was recorded or released."""
        self.woken.set()

    def stop(self, timeout: float = 5.0) -> None:
        """Publish an orderly offline status, disconnect and join the threads."""
        self.stopping.set()
        self.woken.set()
        if self._thread is not None:
            self._thread.join(timeout)
        try:  # the pump published the orderly offline status, with its last figures, as it finished
            self.client.disconnect()
        except (RuntimeError, ValueError, OSError) as exc:
            log.warning("uplink stop: %s", exc)
        self.client.loop_stop()

    # ------------------------------------------------------------------------------------------ paho side
    def _make_client(self) -> mqtt.Client:
        cfg = self.config
        c = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=f"kiosk-{cfg.kiosk_id}", protocol=mqtt.MQTTv5)
        c.username_pw_set(cfg.broker.username, cfg.broker.password)
        if self._tls is not None:
            c.tls_set_context(self._tls)
        c.will_set(
            p.kiosk_topic(cfg.kiosk_id, p.STATUS), p.encode_status(p.Status("offline", kind="will")), qos=1, retain=True
        )
        c.reconnect_delay_set(1, 30)
        c.max_inflight_messages_set(cfg.uplink.window_batches + 8)
        c.on_connect = self._on_connect
        c.on_disconnect = self._on_disconnect
        c.on_connect_fail = self._on_connect_fail
        c.on_message = self._on_message
        c.on_publish = self._on_publish
        c.on_unsubscribe = self._on_answer
        c.on_subscribe = self._on_answer
        return c

    def _connect_async(self) -> None:
        a = self.address
        self.client.connect_async(a.host, a.port, keepalive=self.config.uplink.keepalive_s, clean_start=True)

    def _move_on(self, why: str) -> None:
        """paho's thread: the broker in use failed; the next reconnect goes to the next one in the config."""
        addresses = self.config.broker.addresses
        if self.stopping.is_set() or self._is_moving_back or len(addresses) == 1:
            return
        old = self.address
        self._index = (self._index + 1) % len(addresses)
        self._connect_async()  # sets where paho's loop reconnects to; the socket is closed already
        log.warning("kiosk %s: broker %s failed (%s): moving on to %s", self.config.kiosk_id, old, why, self.address)
        self._post("failover", (str(old), str(self.address)))

    def _post(self, kind: str, value: Any = None) -> None:
        self.events.put((kind, value))
        self.woken.set()

    def _on_connect(self, client: mqtt.Client, userdata: Any, flags: Any, rc: Any, props: Any) -> None:
        try:
            self.last_inbound_s = time.monotonic()
            if rc.is_failure:
                log.error("kiosk %s: broker refused connection: %s", self.config.kiosk_id, rc)
                self._post("error", f"connect refused: {rc}")
                return
            kid = self.config.kiosk_id
            client.subscribe(
                [
                    (p.kiosk_topic(kid, p.ACK), 1),
                    (p.kiosk_topic(kid, p.COMMAND), 1),
                    (p.kiosk_topic(kid, p.CONFIG), 1),
                    (p.HUB_STATUS_TOPIC, 1),
                ]
            )
            self._post("connected", self._index)
        except Exception:  # a paho callback must never raise: it would kill the network thread
            log.exception("on_connect")

    def _on_connect_fail(self, client: mqtt.Client, userdata: Any) -> None:
        try:
            self._post("error", f"cannot reach the broker at {self.address}")
            self._move_on("cannot connect")
        except Exception:
            log.exception("on_connect_fail")

    def _on_disconnect(self, client: mqtt.Client, userdata: Any, flags: Any, rc: Any, props: Any) -> None:
        try:
            self._post("disconnected", None if self._is_moving_back else str(rc))  # None: an orderly move
            self._move_on(str(rc))
        except Exception:
            log.exception("on_disconnect")

    def _on_answer(self, client: mqtt.Client, userdata: Any, mid: int, rcs: Any, props: Any) -> None:
        self.last_inbound_s = time.monotonic()  # a SUBACK, or the UNSUBACK answering a link probe

    def _on_message(self, client: mqtt.Client, userdata: Any, msg: mqtt.MQTTMessage) -> None:
        try:
            self.last_inbound_s = time.monotonic()
            kind = msg.topic.rsplit("/", 1)[-1]
            payload = bytes(msg.payload)  # paho hands over bytes or bytearray; the decoders take bytes
            if msg.topic == p.HUB_STATUS_TOPIC:
                self._post("hub", p.decode_status(payload))
            elif kind == p.ACK:
                self._post("ack", p.decode_ack(payload))
            elif kind == p.CONFIG:
                self._post("config", payload)
            elif kind == p.COMMAND:
                self._post("command", p.decode_command(payload))
        except p.ProtocolError as exc:
            log.warning("kiosk %s: ignored bad message on %s: %s", self.config.kiosk_id, msg.topic, exc)
        except Exception:
            log.exception("on_message")

    def _on_publish(self, client: mqtt.Client, userdata: Any, mid: int, rc: Any, props: Any) -> None:
        # MQTT 5 PUBACK reason codes: 0x87 "not authorized" still counts as published for paho.
        try:
            self.last_inbound_s = time.monotonic()
            if rc.is_failure:
                self._post("denied", f"PUBACK {rc} ({int(rc.value):#x}) for mid {mid}")
        except Exception:
            log.exception("on_publish")

    # ------------------------------------------------------------------------------------------ pump
    def set_state(self, **changes: Any) -> None:
        with self._state_lock:
            self._state = replace(self._state, **changes)
            state = self._state
        if self._on_change is not None:
            try:
                self._on_change(state)
            except Exception:
                log.exception("on_change")

    def _pump(self) -> None:
        outbox = Outbox(self.config.outbox_path, kiosk_id=self.config.kiosk_id)
        try:
            ReplayPump(self, outbox).run()
        except Exception:
            log.exception("uplink pump crashed")
            self.set_state(last_error="uplink pump crashed; see log")
        finally:
            outbox.close()
