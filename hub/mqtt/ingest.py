"""The hub's MQTT ingest: a persistent-session paho client per broker, with manual acknowledgements.

paho's threads only queue messages (callbacks never raise), each marked with the broker it came from. One worker
thread takes whatever is queued, from every broker, stores it in one transaction (the store's
``ledger.store_batch``), and only after the commit sends the PUBACKs and each kiosk's cumulative application ack,
on the broker the message came from (where the kiosk is connected). With several brokers (kiosks fail over
between them) the hub's birth goes to each broker as the worker connects to it. A message that cannot be stored
because the store is busy or failing is retried, never acknowledged early; one that trips a bug is kept raw in
``rejected``.
"""

from __future__ import annotations

import gc
import logging
import queue
import threading
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

import paho.mqtt.client as mqtt
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties

from feedback import __version__
from feedback import protocol as p
from feedback.abuse import TapLimit
from feedback.remote_config import decode_report
from hub.config import DEFAULT_KEEPALIVE_S, MqttEndpoint
from hub.metrics import Metrics
from hub.mqtt.client import hub_client, refused_hint
from hub.mqtt.fast_decode import decode_valid_ratings
from hub.mqtt.received import Received, received
from hub.mqtt.writer import StoreWriter
from hub.store import Store
from hub.store.records import Incoming, IngestStep, Outcome, StatusIn

log = logging.getLogger(__name__)
T = TypeVar("T")

SESSION_EXPIRY_S = 7 * 86_400
MAX_MESSAGES_PER_TXN = 2000


def _says_offline(payload: bytes) -> bool:
    try:
        return p.decode_status(payload).state == "offline"
    except p.ProtocolError:
        return False


class Ingest:
    def __init__(
        self,
        *,
        open_store: Callable[[], Store],
        endpoints: Sequence[MqttEndpoint],
        client_id: str,
        metrics: Metrics,
        now_ms: Callable[[], int],
        tap_limit: TapLimit | None = None,
        on_stored: Callable[[set[str]], None] | None = None,
        keepalive_s: int = DEFAULT_KEEPALIVE_S,
    ) -> None:
        self.open_store = open_store
        self.keepalive_s = keepalive_s
        self.tap_limit = tap_limit or TapLimit()
        self.on_stored = on_stored  # told, after each commit, which locations got new ratings
        self.endpoints = tuple(endpoints)
        self.metrics = metrics
        self.now_ms = now_ms
        self._queue: queue.Queue[Received] = queue.Queue()
        self._stopping = threading.Event()
        self._closing = threading.Event()  # set before this worker says "offline" itself
        self.client_id = client_id
        self._writer = StoreWriter(metrics=metrics, now_ms=now_ms, stopping=self._stopping, tap_limit=self.tap_limit)
        self._connected = [threading.Event() for _ in self.endpoints]
        self._worker: threading.Thread | None = None
        self._clients = [self._make_client(source, e) for source, e in enumerate(self.endpoints)]

    def _make_client(self, source: int, endpoint: MqttEndpoint) -> mqtt.Client:
        c = hub_client(endpoint, client_id=self.client_id, manual_ack=True, with_will=True)
        c.user_data_set(source)  # each callback learns which broker it is about
        c.on_connect = self._on_connect
        c.on_disconnect = self._on_disconnect
        c.on_message = self._on_message
        return c

    @property
    def is_connected(self) -> bool:
        """Connected to at least one broker (each kiosk uses one of them at a time)."""
        return any(c.is_set() for c in self._connected)

    def start(self) -> None:
        self._worker = threading.Thread(target=self._work, name="ingest-worker", daemon=True)
        self._worker.start()
        for client, endpoint in zip(self._clients, self.endpoints, strict=True):
            props = Properties(PacketTypes.CONNECT)  # type: ignore[no-untyped-call]  # paho leaves it unannotated
            props.SessionExpiryInterval = SESSION_EXPIRY_S
            client.connect_async(
                endpoint.host, endpoint.port, keepalive=self.keepalive_s, clean_start=False, properties=props
            )
            client.loop_start()

    def stop(self) -> None:
        self._closing.set()
        offline = p.encode_status(p.Status("offline", kind="shutdown"))
        sent = [c.publish(p.HUB_STATUS_TOPIC, offline, qos=1, retain=True) for c in self._clients if c.is_connected()]
        for info in sent:
            try:
                info.wait_for_publish(2.0)
            except (RuntimeError, ValueError, OSError) as exc:
                log.warning("hub status on stop: %s", exc)
        self._stopping.set()
        if self._worker is not None:
            self._worker.join(10)
        for client in self._clients:
            client.disconnect()
            client.loop_stop()

    # ------------------------------------------------------------------------------------------ paho
    def _on_connect(self, client: mqtt.Client, userdata: Any, flags: Any, rc: Any, props: Any) -> None:
        try:
            if rc.is_failure:
                log.error("hub: broker refused connection: %s", rc)
                self.metrics.inc("hub_mqtt_connect_refused_total")
                return
            client.subscribe(
                [
                    (p.ratings_subscription(shared=True), 1),
                    (f"{p.ROOT}/k/+/{p.STATUS}", 1),
                    (f"{p.ROOT}/k/+/{p.REPORT}", 1),
                    (p.HUB_STATUS_TOPIC, 1),  # another ingest worker's will: see _process
                ]
            )
            self._queue.put(Received("$connected", b"", 0, 0, False, self.now_ms(), source=userdata))
            self._connected[userdata].set()
            e = self.endpoints[userdata]
            log.info("hub: connected to %s:%s (session present: %s)", e.host, e.port, flags.session_present)
        except Exception:  # never raise into paho
            log.exception("hub on_connect")

    def _on_disconnect(self, client: mqtt.Client, userdata: Any, flags: Any, rc: Any, props: Any) -> None:
        try:
            hint = "" if self._connected[userdata].is_set() else refused_hint(self.endpoints[userdata])
            self._connected[userdata].clear()
            if not self._stopping.is_set():
                e = self.endpoints[userdata]
                log.warning("hub: disconnected from broker %s:%s: %s%s", e.host, e.port, rc, hint)
        except Exception:
            log.exception("hub on_disconnect")

    def _on_message(self, client: mqtt.Client, userdata: Any, msg: mqtt.MQTTMessage) -> None:
        try:
            self._queue.put(received(msg, source=userdata, received_ms=self.now_ms()))
        except Exception:
            log.exception("hub on_message")

    # ------------------------------------------------------------------------------------------ worker
    def _work(self) -> None:
        # Decoding creates many short-lived objects; the default gen-0 threshold (700) runs the collector
        # every few messages. Nothing here builds reference cycles worth chasing that often.
        gc.set_threshold(50_000, 20, 20)
        store = self.open_store()
        self._writer.retry(lambda: store.ledger.register_worker(self.client_id, now_ms=self.now_ms()))
        while not self._stopping.is_set():
            try:
                first = self._queue.get(timeout=0.2)
            except queue.Empty:
                continue
            batch = [first]
            while len(batch) < MAX_MESSAGES_PER_TXN:
                try:
                    batch.append(self._queue.get_nowait())
                except queue.Empty:
                    break
            self.metrics.set(
                "hub_ingest_queue_depth",
                self._queue.qsize(),
                help="MQTT messages received but not yet stored (after this batch was taken)",
            )
            self.metrics.inc("hub_ingest_batches_total", help="ingest transactions (each stores what was queued)")
            try:
                self._process(store, batch)
            except Exception:
                log.exception("hub ingest: unexpected failure; messages stay unacknowledged")
                self.metrics.inc("hub_ingest_errors_total")
        store.close()

    def _process(self, store: Store, batch: list[Received]) -> None:
        """Handle messages in the order they arrived; PUBACK all of them after everything is committed.

        Ratings are stored together, but a kiosk's ratings received before its status are stored before the
        status is handled: a birth is then answered with everything that reached the hub before it (a re-flashed
        device numbers its taps above all of them), and a live birth fixes its boot's clock before that boot's
        later ratings. On SQLite the ratings and statuses of a batch are one transaction; every answer is sent
        after its commit.
        """
        steps: list[IngestStep] = []
        pending: list[Incoming] = []  # ratings not yet placed in ``steps``
        pending_kiosks: set[str] = set()
        sources: dict[int, int] = {}  # step index of a status -> the broker it came from (its answer goes there)
        where: dict[str, int] = {}  # kiosk id -> the broker its latest message came from: its acks go there
        to_ack: list[Received] = []
        for m in batch:
            if m.topic == "$connected":
                self._publish_birth(store, m.source)
                continue
            to_ack.append(m)
            if m.topic == p.HUB_STATUS_TOPIC:
                # several workers share one retained hub status: when another one's will (or orderly stop) says
                # "offline" live, the kiosks would pause; a worker still running says "online" again
                if not m.retain and not self._closing.is_set() and _says_offline(m.payload):
                    self._publish_birth(store, m.source)
                continue
            try:
                kiosk_id, kind = p.parse_kiosk_topic(m.topic)
            except p.ProtocolError as exc:
                self._count_reject(exc.reason, m.topic, exc)
                continue
            if kind == p.RATINGS:
                pending.append(self._decode(kiosk_id, m))
                pending_kiosks.add(kiosk_id)
                where[kiosk_id] = m.source
            elif kind == p.STATUS:
                try:
                    status = p.decode_status(m.payload)
                except p.ProtocolError as exc:
                    self._count_reject(exc.reason, m.topic, exc)
                    continue
                if kiosk_id in pending_kiosks:  # its earlier ratings first; other kiosks' may wait
                    steps.append(pending)
                    pending, pending_kiosks = [], set()
                sources[len(steps)] = m.source
                steps.append(StatusIn(kiosk_id, status, m.received_ms, m.retain, worker=self.client_id))
            elif kind == p.REPORT:
                self._store_report(store, kiosk_id, m)
        if pending:
            steps.append(pending)
        results = self._writer.store_steps(store, steps) if steps else []
        for i, (step, result) in enumerate(zip(steps, results, strict=True)):
            if isinstance(step, StatusIn):
                self._answer_status(step.kiosk_id, result, sources[i])
            elif isinstance(result, Outcome):
                self._send_acks(result, where)
        for m in to_ack:
            if m.qos > 0:
                self._clients[m.source].ack(m.mid, m.qos)  # mids belong to the connection they came on

    def _send_acks(self, outcome: Outcome, where: dict[str, int]) -> None:
        for kiosk_id, ack in outcome.acks.items():
            self._clients[where.get(kiosk_id, 0)].publish(p.kiosk_topic(kiosk_id, p.ACK), p.encode_ack(ack), qos=1)
        for kiosk_id, refusal in outcome.refusals:
            self._clients[where.get(kiosk_id, 0)].publish(p.kiosk_topic(kiosk_id, p.ACK), p.encode_ack(refusal), qos=1)
        if outcome.locations and self.on_stored is not None:
            self.on_stored(outcome.locations)

    def _answer_status(self, kiosk_id: str, reply: object, source: int) -> None:
        self.metrics.inc("hub_status_messages_total", help="kiosk status messages received")
        if isinstance(reply, p.Ack):
            if reply.resend_from is not None:
                self.metrics.inc("hub_resend_requests_total", help="resend requests sent to kiosks")
            self._clients[source].publish(p.kiosk_topic(kiosk_id, p.ACK), p.encode_ack(reply), qos=1)

    def _decode(self, kiosk_id: str, m: Received) -> Incoming:
        self.metrics.inc("hub_rating_messages_total", help="ratings messages received")
        try:
            batch = decode_valid_ratings(kiosk_id, m.payload) or p.decode_ratings(kiosk_id, m.payload)
        except p.ProtocolError as exc:
            log.warning("hub: refused message from %s: %s", kiosk_id, exc)
            return Incoming(
                kiosk_id,
                m.received_ms,
                error=p.Rejection(exc.reason, exc.detail),
                raw=m.payload,
                correlation=m.correlation,
            )
        for rj in batch.rejections:
            log.warning("hub: refused rating %s from %s: %s", rj.seq, kiosk_id, rj.detail)
        return Incoming(kiosk_id, m.received_ms, batch.ratings, batch.rejections, raw=m.payload)

    def _store_report(self, store: Store, kiosk_id: str, m: Received) -> None:
        """A kiosk's answer to a remote config: applied, or refused with the reason (hub/remote_config.py)."""
        try:
            report = decode_report(m.payload)
        except p.ProtocolError as exc:
            self._count_reject(exc.reason, m.topic, exc)
            return
        if not report.is_applied:
            log.warning("hub: kiosk %s refused config v%d: %s", kiosk_id, report.config_version, report.reason)
        self._writer.retry(lambda: store.ledger.store_config_report(kiosk_id, report, received_ms=m.received_ms))
        self.metrics.inc(
            "hub_config_reports_total",
            help="config reports from kiosks, by result",
            result="applied" if report.is_applied else "refused",
        )

    def _count_reject(self, reason: str, topic: str, exc: Exception) -> None:
        log.warning("hub: refused message on %s: %s", topic[:200], exc)
        self.metrics.inc("hub_rejected_total", help="ratings or messages refused, by reason", reason=reason)

    def _publish_birth(self, store: Store, source: int) -> None:
        """The hub's retained "online" on one broker (as this worker connects to it, or after another's will)."""
        epoch = self._writer.retry(store.ledger.next_hub_epoch)
        status = p.Status("online", epoch=epoch, version=__version__, clock_ms=self.now_ms(), kind="birth")
        self._clients[source].publish(p.HUB_STATUS_TOPIC, p.encode_status(status), qos=1, retain=True)
