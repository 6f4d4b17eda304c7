"""The alert threads beside the ingest: one evaluates the rules and queues due reports every
``--alert-interval-s`` seconds; the other drains the delivery queue (so a slow or dead SMTP server never delays
evaluation, and neither ever touches the ingest's thread). Each opens its own store connection.

With several hub processes on one store, only the one holding the ``alerts`` lease (``is_leader``) evaluates and
queues reports; every process drains the queue (``claim_due`` gives each message to one sender)."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

from hub.alerts.cycle import run_cycle
from hub.alerts.delivery import Senders, deliver_due
from hub.alerts.messages import Outgoing
from hub.alerts.report import queue_due_reports
from hub.alerts.unsubscribe import signing_key
from hub.metrics import Metrics
from hub.store import Store

log = logging.getLogger(__name__)


class AlertService:
    def __init__(
        self,
        *,
        open_store: Callable[[], Store],
        senders: Senders,
        public_url: str,
        interval_s: float,
        now_ms: Callable[[], int],
        is_leader: Callable[[], bool],
        metrics: Metrics,
    ) -> None:
        self._open_store = open_store
        self.senders = senders
        self.public_url = public_url
        self.interval_s = interval_s
        self.now_ms = now_ms
        self.is_leader = is_leader
        self.metrics = metrics
        self._stopping = threading.Event()
        self._wake = threading.Event()
        self._threads: list[threading.Thread] = []

    def start(self) -> None:
        for target, name in ((self._evaluate_loop, "alert-evaluator"), (self._deliver_loop, "alert-delivery")):
            t = threading.Thread(target=target, name=name, daemon=True)
            t.start()
            self._threads.append(t)

    def stop(self) -> None:
        self._stopping.set()
        self._wake.set()
        for t in self._threads:
            t.join(20)

    def _evaluate_loop(self) -> None:
        store = self._open_store()
        out = Outgoing(self.senders.mail_from, self.public_url, signing_key(store))
        try:
            while not self._stopping.is_set():
                if not self.is_leader():  # another process evaluates (or none is sure yet): look again shortly
                    self._stopping.wait(min(self.interval_s, 1.0))
                    continue
                try:
                    result = run_cycle(store, out, now_ms=self.now_ms())
                    reports = queue_due_reports(store, out, now_ms=self.now_ms())
                    self.metrics.inc("hub_alert_cycles_total", help="alert evaluations run here (the leader)")
                    if result.opened or result.closed or reports:
                        log.info(
                            "alerts: %d opened, %d closed, %d reports queued",
                            len(result.opened),
                            len(result.closed),
                            reports,
                        )
                        self._wake.set()
                except Exception:  # a bad cycle must not end evaluation: logged, tried again next interval
                    log.exception("alert evaluation")
                self._stopping.wait(self.interval_s)
        finally:
            store.close()

    def _deliver_loop(self) -> None:
        store = self._open_store()
        try:
            while not self._stopping.is_set():
                try:
                    deliver_due(store, self.senders, now_ms=self.now_ms)
                except Exception:
                    log.exception("alert delivery")
                self._wake.wait(0.5)
                self._wake.clear()
        finally:
            store.close()
