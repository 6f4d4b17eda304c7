"""The uplink's pump thread: the replay window over the outbox, driven by the events paho's thread posts.

At most ``window_batches × batch_size`` ratings are in flight beyond the hub's cumulative ack. A rating is
resent when the connection or the hub comes back (after a random jitter, so a fleet coming back at once
does not stampede the hub), when the hub asks (``resend_from``), and when the hub says it lacks them: when no
ack progress arrives within ``ack_timeout_s``, the kiosk does not resend its window blindly (a hub busy with a
fleet's backlog would get every kiosk's window again: the resend storm) but asks with a birth, which the hub
answers only after storing everything that reached it before; what that answer does not cover was lost on the
way and is sent again. One object, touched by the pump thread only.
"""

from __future__ import annotations

import logging
import queue
import secrets
import time
from typing import TYPE_CHECKING, Any

import paho.mqtt.client as mqtt
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties

from feedback import __version__
from feedback import protocol as p
from kiosk.outbox import Outbox

if TYPE_CHECKING:
    from kiosk.uplink import Uplink

log = logging.getLogger(__name__)

DENIED_BACKOFF_S = 30.0
PRUNE_EVERY_S = 3600.0


class ReplayPump:
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
        self.broker_index = 0  # the broker connected to (config.broker.addresses), for fail-back
        self.hub_online: bool | None = None
        self.hub_epoch: int | None = None
        self.epoch = 0
        self.send_after = 0.0  # monotonic seconds: replay starts after a jitter
        self.backoff_until = 0.0
        self.last_progress = time.monotonic()
        self.next_heartbeat = 0.0
        self.next_prune = 0.0
        self.config_version: int | None = up.initial_config_version
        # A fresh outbox sends nothing until the hub has said which seqs it holds for this id.
        self.is_floor_confirmed = outbox.is_seq_floor_confirmed()
        self.floor_answer: int | None = None
        self.births: set[str] = set()  # ids of the births sent while fresh: only their answer sets the floor
        self.probes: set[str] = set()  # ids of the births asking what the hub holds after an ack timeout
        self.last_birth = 0.0
        up.set_state(acked_through=self.acked)

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
        while not up.stopping.is_set():
            up.woken.wait(timeout=0.5)
            up.woken.clear()
            while True:
                try:
                    kind, value = up.events.get_nowait()
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
            if self.connected:
                up.check_link(now)
            up.check_failback(now, index=self.broker_index, is_connected=self.connected)
            if self.connected and now >= self.next_heartbeat:
                self.publish_status("heartbeat")
            if now >= self.next_prune:
                self.prune()
            self.send(now)

    # events -------------------------------------------------------------------------------------
    def on_connected(self, index: int) -> None:
        broker = str(self.cfg.broker.addresses[index])
        self.connected, self.broker_index = True, index
        self.up.failback.connected(index=index, now_s=time.monotonic())
        self.epoch = self.outbox.next_epoch()
        if self.is_floor_confirmed and self.cursor > self.hub_through and self.hub_online is not False:
            # batches were in flight when the link went: those the broker took are still queued for the hub.
            # Ask what the hub holds (it answers after storing everything that reached it before the question)
            # and resend only what it lacks, not the whole window: a thousand kiosks resending theirs at once
            # after a broker or network blip was the resend storm (bench.fleet_reconnect).
            self.probes.clear()
            self.publish_status("birth", is_probe=True)
            self.last_progress = time.monotonic()
        else:
            self.publish_status("birth")  # on a broker the kiosk failed over to too: the hub answers what it holds
            self.restart_replay()
        self.up.set_state(is_connected=True, epoch=self.epoch, last_error=None, broker=broker)
        log.info("kiosk %s: connected to %s (epoch %d)", self.kid, broker, self.epoch)

    def on_failover(self, move: tuple[str, str]) -> None:
        old, new = move
        st = self.up.state
        self.up.set_state(
            broker=new,
            failover_from=old,
            last_failover_ms=self.up.clock.now_ms(),
            failovers=st.failovers + 1,
            is_failback=False,
        )

    def on_failback(self, move: tuple[str, str]) -> None:
        old, new = move
        self.up.set_state(broker=new, failover_from=old, last_failover_ms=self.up.clock.now_ms(), is_failback=True)

    def on_checked(self, accepted: int | None) -> None:
        """A check of the preferred brokers ended (:meth:`kiosk.uplink.Uplink.check_failback`)."""
        target = self.up.failback.checked(
            accepted=accepted, index=self.broker_index, is_connected=self.connected, now_s=time.monotonic()
        )
        if target is not None and not self.up.stopping.is_set():
            self.up.move_back(target)

    def on_disconnected(self, why: Any) -> None:
        """``why`` is None when the uplink left the broker on purpose (fail-back): nothing to tell staff."""
        self.up.failback.disconnected()
        if self.connected and why is not None:
            log.warning("kiosk %s: disconnected: %s", self.kid, why)
            self.on_error(f"broker connection lost: {why}")  # staff see why (issue 12: it said "none")
        self.connected = False
        self.up.set_state(is_connected=False)

    def on_error(self, why: Any) -> None:
        self.up.set_state(last_error=f"{time.strftime('%H:%M:%S')} {why}")

    def on_hub(self, status: p.Status) -> None:
        was_online = self.hub_online
        self.hub_online = status.state == "online"
        if self.hub_online and (not was_online or status.epoch != self.hub_epoch):
            self.restart_replay()  # a hub (re)birth: send everything unacknowledged again
            if self.connected:
                self.publish_status("birth")  # and tell it what we hold, in case it lost data
        self.hub_epoch = status.epoch
        self.up.set_state(is_hub_online=self.hub_online)

    def on_ack(self, ack: p.Ack) -> None:
        if ack.error is not None:
            self.on_refused(ack)
            return
        if not self.is_floor_confirmed:
            if ack.birth is None or ack.birth not in self.births:
                return  # an ack for messages of the storage this id had before (re-flash): not our answer
            self.floor_answer = ack.acked_through  # the hub's answer to a birth of this fresh storage
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
        if ack.birth is not None and ack.birth in self.probes:
            self.probes.clear()
            self.last_progress = time.monotonic()
            if ack.acked_through < self.cursor:
                # the answer came after everything we sent before asking: the rest never reached the hub
                log.warning(
                    "kiosk %s: the hub holds through %d of %d sent: resending the rest",
                    self.kid,
                    ack.acked_through,
                    self.cursor,
                )
                self.cursor = ack.acked_through
        if ack.resend_from is not None:
            log.warning("kiosk %s: hub asks to resend from seq %d", self.kid, ack.resend_from)
            self.cursor = min(self.cursor, ack.resend_from - 1)
            self.hub_through = min(self.hub_through, self.cursor)
            self.last_progress = time.monotonic()
        self.up.set_state(last_ack_ms=now_ms, acked_through=self.acked, hub_through=self.hub_through)

    def on_refused(self, ack: p.Ack) -> None:
        """The hub refused a whole message of ours (a bug here: our messages follow the contract). Its ratings
        stay pending and are resent after ``ack_timeout_s``; the staff panel shows the reason."""
        assert ack.error is not None
        seqs = [seq for seq, _ in ack.rejected]
        why = f"hub refused a message ({ack.error.reason}: {ack.error.detail})"
        log.error("kiosk %s: %s; seqs %s", self.kid, why, f"{seqs[0]}-{seqs[-1]}" if seqs else "unknown")
        self.up.set_state(last_error=why, refused_messages=self.up.state.refused_messages + 1)

    def on_denied(self, why: Any) -> None:
        log.error("kiosk %s: broker refused a publish (check credentials/ACL): %s", self.kid, why)
        self.backoff_until = time.monotonic() + DENIED_BACKOFF_S
        self.cursor = self.hub_through
        st = self.up.state
        self.up.set_state(last_error=str(why), denied=st.denied + 1)

    def on_config(self, payload: bytes) -> None:
        if self.up.on_config is not None:
            version = self.up.on_config(payload)
            if version is not None:
                self.config_version = version
                self.up.set_state(config_version=version)
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
        self.up.set_state(acked_through=self.acked, hub_through=self.floor_answer)
        return True

    def restart_replay(self) -> None:
        self.probes.clear()
        self.cursor = self.hub_through
        self.send_after = time.monotonic() + self.up.rng.uniform(0.0, self.cfg.uplink.replay_jitter_s)
        self.last_progress = time.monotonic()

    def publish_status(self, kind: str, *, state: str = "online", is_probe: bool = False) -> mqtt.MQTTMessageInfo:
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
            birth_id=secrets.token_hex(8) if kind == "birth" else None,
            fresh=True if kind == "birth" and not self.is_floor_confirmed else None,
        )
        if status.birth_id is not None and status.fresh:
            self.births.add(status.birth_id)
        if status.birth_id is not None and is_probe:
            self.probes.add(status.birth_id)
        info = self.up.client.publish(p.kiosk_topic(self.kid, p.STATUS), p.encode_status(status), qos=1, retain=True)
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
        if (
            self.cursor > self.hub_through
            and now - self.last_progress > u.ack_timeout_s
            and (not self.probes or now - self.last_birth > 2 * u.ack_timeout_s)
        ):
            log.info(  # a busy hub is normal flow: what it turns out to lack is a warning (on_ack)
                "kiosk %s: no ack progress for %.1f s (hub holds through %d, sent through %d): asking the hub",
                self.kid,
                now - self.last_progress,
                self.hub_through,
                self.cursor,
            )
            self.publish_status("birth", is_probe=True)
        window = u.window_batches * u.batch_size
        topic = p.kiosk_topic(self.kid, p.RATINGS)
        while self.cursor - self.hub_through < window:
            batch = self.outbox.sendable_json(after_seq=self.cursor, limit=u.batch_size)
            if not batch:
                return
            payload = p.encode_json_ratings(self.kid, [doc for _, doc in batch])
            while len(payload) > p.MAX_PAYLOAD_BYTES and len(batch) > 1:
                batch = batch[: len(batch) // 2]
                payload = p.encode_json_ratings(self.kid, [doc for _, doc in batch])
            info = self.up.client.publish(topic, payload, qos=1, properties=_correlation(batch[0][0], batch[-1][0]))
            if info.rc != mqtt.MQTT_ERR_SUCCESS:
                return  # not connected after all; the reconnect restarts replay
            if self.cursor <= self.hub_through:
                self.last_progress = now
            self.cursor = batch[-1][0]


def _correlation(first_seq: int, last_seq: int) -> Properties:
    """MQTT 5 Correlation Data naming the batch's seqs: the hub echoes it if it refuses the whole message."""
    props = Properties(PacketTypes.PUBLISH)  # type: ignore[no-untyped-call]  # paho leaves it unannotated
    props.CorrelationData = f"{first_seq}-{last_seq}".encode()
    return props
