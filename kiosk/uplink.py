"""The kiosk's MQTT uplink: sends the outbox to the hub and applies the hub's acknowledgements.

paho's network thread only puts events on a queue (its callbacks never raise); one pump thread owns the
uplink's state and its own outbox connection. Taps never wait for the network: the UI records into the
outbox and calls :meth:`Uplink.wake`.

Flow control: at most ``window_batches × batch_size`` ratings in flight beyond the hub's cumulative ack.
A rating is resent when the connection or the hub comes back (after a random jitter, so a fleet coming
back at once does not stampede the hub), when the hub asks (``resend_from``) and when no ack progress
arrives within ``ack_timeout_s``.
"""

from __future__ import annotations

import logging
import queue
import random
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion

from feedback import __version__
from feedback import protocol as p
from kiosk.clock import DeviceClock
from kiosk.config import KioskConfig
from kiosk.outbox import Outbox
from kiosk.tls import client_context

log = logging.getLogger(__name__)

DENIED_BACKOFF_S = 30.0
PRUNE_EVERY_S = 3600.0


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
    config_version: int | None = None


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
        self._on_config = on_config
        self._on_change = on_change
        self._initial_config_version = config_version  # the remote config applied before this start
        self._events: queue.Queue[tuple[str, Any]] = queue.Queue()
        self._wake = threading.Event()
        self._stopping = threading.Event()
        self._state = UplinkState()
        self._state_lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self._client = self._make_client()
        self._rng = random.Random()

    # ------------------------------------------------------------------------------------------ public
    @property
    def state(self) -> UplinkState:
        with self._state_lock:
            return self._state

    def start(self) -> None:
        b = self.config.broker
        self._thread = threading.Thread(target=self._pump, name=f"uplink-{self.config.kiosk_id}", daemon=True)
        self._thread.start()
        self._client.connect_async(b.host, b.port, keepalive=self.config.uplink.keepalive_s, clean_start=True)
        self._client.loop_start()

    def report(self, payload: bytes) -> None:
        """Publish a report to the hub (e.g. remote config applied or refused); QoS 1, not retained."""
        self._client.publish(p.kiosk_topic(self.config.kiosk_id, p.REPORT), payload, qos=1)

    def wake(self) -> None:
        """Tell the pump a rating was recorded or released."""
        self._wake.set()

    def stop(self, timeout: float = 5.0) -> None:
        """Publish an orderly offline status, disconnect and join the threads."""
        self._stopping.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout)
        try:  # the pump published the orderly offline status, with its last figures, as it finished
            self._client.disconnect()
        except (RuntimeError, ValueError, OSError) as exc:
            log.warning("uplink stop: %s", exc)
        self._client.loop_stop()

    # ------------------------------------------------------------------------------------------ paho side
    def _make_client(self) -> mqtt.Client:
        cfg = self.config
        c = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=f"kiosk-{cfg.kiosk_id}", protocol=mqtt.MQTTv5)
        c.username_pw_set(cfg.broker.username, cfg.broker.password)
        if cfg.broker.tls:
            c.tls_set_context(client_context(cfg.broker))
        c.will_set(
            p.kiosk_topic(cfg.kiosk_id, p.STATUS), p.encode_status(p.Status("offline", kind="will")), qos=1, retain=True
        )
        c.reconnect_delay_set(1, 30)
        c.max_inflight_messages_set(cfg.uplink.window_batches + 8)
        c.on_connect = self._on_connect
        c.on_disconnect = self._on_disconnect
        c.on_message = self._on_message
        c.on_publish = self._on_publish
        return c

    def _post(self, kind: str, value: Any = None) -> None:
        self._events.put((kind, value))
        self._wake.set()

    def _on_connect(self, client: mqtt.Client, userdata: Any, flags: Any, rc: Any, props: Any) -> None:
        try:
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
            self._post("connected")
        except Exception:  # a paho callback must never raise: it would kill the network thread
            log.exception("on_connect")

    def _on_disconnect(self, client: mqtt.Client, userdata: Any, flags: Any, rc: Any, props: Any) -> None:
        self._post("disconnected", str(rc))

    def _on_message(self, client: mqtt.Client, userdata: Any, msg: mqtt.MQTTMessage) -> None:
        try:
            kind = msg.topic.rsplit("/", 1)[-1]
            if msg.topic == p.HUB_STATUS_TOPIC:
                self._post("hub", p.decode_status(msg.payload))
            elif kind == p.ACK:
                self._post("ack", p.decode_ack(msg.payload))
            elif kind == p.CONFIG:
                self._post("config", bytes(msg.payload))
            elif kind == p.COMMAND:
                self._post("command", p.decode_command(msg.payload))
        except p.ProtocolError as exc:
            log.warning("kiosk %s: ignored bad message on %s: %s", self.config.kiosk_id, msg.topic, exc)
        except Exception:
            log.exception("on_message")

    def _on_publish(self, client: mqtt.Client, userdata: Any, mid: int, rc: Any, props: Any) -> None:
        # MQTT 5 PUBACK reason codes: 0x87 "not authorized" still counts as published for paho.
        try:
            if rc.is_failure:
                self._post("denied", f"PUBACK {rc} ({int(rc.value):#x}) for mid {mid}")
        except Exception:
            log.exception("on_publish")

    # ------------------------------------------------------------------------------------------ pump
    def _set_state(self, **changes: Any) -> None:
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
            _Pump(self, outbox).run()
        except Exception:
            log.exception("uplink pump crashed")
            self._set_state(last_error="uplink pump crashed; see log")
        finally:
            outbox.close()


class _Pump:
    """The pump thread's state machine; touched by that thread only."""

    def __init__(self, up: Uplink, outbox: Outbox) -> None:
        self.up = up
        self.outbox = outbox
        self.cfg = up.config
        self.kid = up.config.kiosk_id
        self.acked = outbox.acked_through()
        self.cursor = self.acked  # highest seq sent since the last (re)start of replay
        self.hub_through = self.acked  # the hub's latest cumulative ack (drops if the hub lost data)
        self.connected = False
        self.hub_online: bool | None = None
        self.hub_epoch: int | None = None
        self.epoch = 0
        self.send_after = 0.0  # monotonic seconds: replay starts after a jitter
        self.backoff_until = 0.0
        self.last_progress = time.monotonic()
        self.next_heartbeat = 0.0
        self.next_prune = 0.0
        self.config_version: int | None = up._initial_config_version
        # A fresh outbox sends nothing until the hub has said which seqs it holds for this id.
        self.is_floor_confirmed = outbox.is_seq_floor_confirmed()
        self.floor_answer: int | None = None
        self.last_birth = 0.0
        up._set_state(acked_through=self.acked)

    def run(self) -> None:
        self.loop()
        if self.connected:
            info = self.publish_status("shutdown", state="offline")
            try:
                info.wait_for_publish(timeout=2.0)
            except (RuntimeError, ValueError) as exc:
                log.warning("kiosk %s: shutdown status not confirmed: %s", self.kid, exc)

    def loop(self) -> None:
        up = self.up
        while not up._stopping.is_set():
            up._wake.wait(timeout=0.5)
            up._wake.clear()
            while True:
                try:
                    kind, value = up._events.get_nowait()
                except queue.Empty:
                    break
                getattr(self, f"on_{kind}")(value)
            now = time.monotonic()
            if not self.is_floor_confirmed:
                if self.floor_answer is not None:
                    self.confirm_floor()
                elif (
                    self.connected
                    and self.hub_online is not False
                    and now - self.last_birth > 2 * self.cfg.uplink.ack_timeout_s
                ):
                    self.publish_status("birth")  # the hub's answer to our birth got lost: ask again
            if self.connected and now >= self.next_heartbeat:
                self.publish_status("heartbeat")
            if now >= self.next_prune:
                self.prune()
            self.send(now)

    # events -------------------------------------------------------------------------------------
    def on_connected(self, _: Any) -> None:
        self.connected = True
        self.epoch = self.outbox.next_epoch()
        self.publish_status("birth")
        self.restart_replay()
        self.up._set_state(is_connected=True, epoch=self.epoch, last_error=None)
        log.info("kiosk %s: connected (epoch %d)", self.kid, self.epoch)

    def on_disconnected(self, why: Any) -> None:
        if self.connected:
            log.warning("kiosk %s: disconnected: %s", self.kid, why)
        self.connected = False
        self.up._set_state(is_connected=False)

    def on_error(self, why: Any) -> None:
        self.up._set_state(last_error=str(why))

    def on_hub(self, status: p.Status) -> None:
        was_online = self.hub_online
        self.hub_online = status.state == "online"
        if self.hub_online and (not was_online or status.epoch != self.hub_epoch):
            self.restart_replay()  # a hub (re)birth: send everything unacknowledged again
            if self.connected:
                self.publish_status("birth")  # and tell it what we hold, in case it lost data
        self.hub_epoch = status.epoch
        self.up._set_state(is_hub_online=self.hub_online)

    def on_ack(self, ack: p.Ack) -> None:
        if not self.is_floor_confirmed:
            self.floor_answer = ack.acked_through  # the hub's answer to our first birth
            if not self.confirm_floor():
                return
        now_ms = self.up.clock.now_ms()
        rejected = dict(ack.rejected)
        for seq, why in ack.rejected:
            log.error("kiosk %s: hub rejected seq %d: %s", self.kid, seq, why)
        if ack.acked_through > self.acked or rejected:
            self.outbox.mark_acked_through(ack.acked_through, now_ms=now_ms, rejected=rejected)
        if ack.acked_through > self.hub_through:
            self.last_progress = time.monotonic()
        if ack.acked_through > self.acked:
            self.acked = ack.acked_through
        self.hub_through = ack.acked_through
        self.cursor = max(self.cursor, ack.acked_through)
        if ack.resend_from is not None:
            log.warning("kiosk %s: hub asks to resend from seq %d", self.kid, ack.resend_from)
            self.cursor = min(self.cursor, ack.resend_from - 1)
            self.hub_through = min(self.hub_through, self.cursor)
            self.last_progress = time.monotonic()
        self.up._set_state(last_ack_ms=now_ms, acked_through=self.acked, hub_through=self.hub_through)

    def on_denied(self, why: Any) -> None:
        log.error("kiosk %s: broker refused a publish (check credentials/ACL): %s", self.kid, why)
        self.backoff_until = time.monotonic() + DENIED_BACKOFF_S
        self.cursor = self.hub_through
        st = self.up.state
        self.up._set_state(last_error=str(why), denied=st.denied + 1)

    def on_config(self, payload: bytes) -> None:
        if self.up._on_config is not None:
            version = self.up._on_config(payload)
            if version is not None:
                self.config_version = version
                self.up._set_state(config_version=version)
                self.publish_status("heartbeat")

    def on_command(self, cmd: dict[str, Any]) -> None:
        if cmd["command"] == "resend":
            start = cmd.get("from_seq", 1)
            if isinstance(start, int) and start >= 1:
                self.cursor = min(self.cursor, start - 1)
                self.hub_through = min(self.hub_through, self.cursor)
        else:
            log.warning("kiosk %s: unknown command %r", self.kid, cmd["command"])

    # actions ------------------------------------------------------------------------------------
    def confirm_floor(self) -> bool:
        assert self.floor_answer is not None
        shift = self.outbox.confirm_seq_floor(self.floor_answer)
        if shift is None:
            return False  # a rating is held for a follow-up; try again shortly
        if shift:
            log.warning(
                "kiosk %s: the hub already holds seqs through %d for this id (re-flashed or replaced"
                " device?); this outbox's ratings were renumbered by +%d",
                self.kid,
                self.floor_answer,
                shift,
            )
        self.is_floor_confirmed = True
        self.acked = self.outbox.acked_through()
        self.hub_through = self.cursor = self.floor_answer
        self.up._set_state(acked_through=self.acked, hub_through=self.floor_answer)
        return True

    def restart_replay(self) -> None:
        self.cursor = self.hub_through
        self.send_after = time.monotonic() + self.up._rng.uniform(0.0, self.cfg.uplink.replay_jitter_s)
        self.last_progress = time.monotonic()

    def publish_status(self, kind: str, *, state: str = "online") -> mqtt.MQTTMessageInfo:
        clock = self.up.clock
        c = self.outbox.counts()
        status = p.Status(
            state,
            epoch=self.epoch,
            version=__version__,
            pending=c.pending,
            last_seq=c.last_seq,
            acked_through=self.acked,
            clock_ms=clock.now_ms(),
            boot_id=clock.boot_id,
            mono_ms=clock.mono_ms(),
            ntp_synced=clock.is_ntp_synced(),
            config_version=self.config_version,
            kind=kind,
        )
        info = self.up._client.publish(p.kiosk_topic(self.kid, p.STATUS), p.encode_status(status), qos=1, retain=True)
        self.next_heartbeat = time.monotonic() + self.cfg.uplink.heartbeat_s
        if kind == "birth":
            self.last_birth = time.monotonic()
        return info

    def prune(self) -> None:
        keep_ms = self.cfg.uplink.keep_acked_days * 86_400_000
        n = self.outbox.prune(older_than_ms=self.up.clock.now_ms() - keep_ms)
        if n:
            log.info("kiosk %s: pruned %d acknowledged ratings", self.kid, n)
        self.next_prune = time.monotonic() + PRUNE_EVERY_S

    def send(self, now: float) -> None:
        if (
            not self.connected
            or not self.is_floor_confirmed
            or self.hub_online is False
            or now < self.send_after
            or now < self.backoff_until
        ):
            return
        u = self.cfg.uplink
        if self.cursor > self.hub_through and now - self.last_progress > u.ack_timeout_s:
            log.warning(
                "kiosk %s: no ack for %.1f s, resending from %d", self.kid, u.ack_timeout_s, self.hub_through + 1
            )
            self.cursor = self.hub_through
            self.last_progress = now
        window = u.window_batches * u.batch_size
        topic = p.kiosk_topic(self.kid, p.RATINGS)
        while self.cursor - self.hub_through < window:
            batch = self.outbox.sendable_wire(after_seq=self.cursor, limit=u.batch_size)
            if not batch:
                return
            payload = p.encode_wire_ratings(self.kid, batch)
            while len(payload) > p.MAX_PAYLOAD_BYTES and len(batch) > 1:
                batch = batch[: len(batch) // 2]
                payload = p.encode_wire_ratings(self.kid, batch)
            info = self.up._client.publish(topic, payload, qos=1)
            if info.rc != mqtt.MQTT_ERR_SUCCESS:
                return  # not connected after all; the reconnect restarts replay
            if self.cursor <= self.hub_through:
                self.last_progress = now
            self.cursor = int(batch[-1]["seq"])
