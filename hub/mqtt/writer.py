"""Writing decoded messages through the store for the ingest: retried while the store is busy or failing
(never acknowledged early), a poison message isolated so the rest of its batch is stored."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from functools import partial
from typing import TypeVar

from feedback import protocol as p
from feedback.abuse import TapLimit
from hub.errors import StoreUnavailable
from hub.metrics import Metrics
from hub.store import Store
from hub.store.records import Incoming, IngestStep, Outcome, StatusIn

log = logging.getLogger(__name__)
T = TypeVar("T")


class StoreWriter:
    def __init__(
        self, *, metrics: Metrics, now_ms: Callable[[], int], stopping: threading.Event, tap_limit: TapLimit
    ) -> None:
        self.metrics = metrics
        self.tap_limit = tap_limit
        self.now_ms = now_ms
        self._stopping = stopping

    def store_steps(self, store: Store, steps: list[IngestStep]) -> list[Outcome | p.Ack | None]:
        """Store groups of ratings and statuses in order (one transaction where the store joins them); one
        result per step: an ``Outcome`` per group, the answer per status."""
        if store.ledger.steps_share_a_transaction:
            try:
                results = self.retry(
                    lambda: store.ledger.store_in_order(steps, now_ms=self.now_ms(), limit=self.tap_limit)
                )
            except Exception as exc:  # a poison message or a sick store: step by step decides which
                log.exception("hub: ingest transaction failed (%s); storing step by step", exc)
            else:
                for r in results:
                    if isinstance(r, Outcome):
                        self._count(r)
                return results
        return [self._store_status(store, s) if isinstance(s, StatusIn) else self.store(store, s) for s in steps]

    def _store_status(self, store: Store, s: StatusIn) -> p.Ack | None:
        return self.retry(
            partial(
                store.ledger.store_status, s.kiosk_id, s.status, received_ms=s.received_ms,
                is_retained=s.is_retained, worker=s.worker,
            )
        )  # fmt: skip

    def store(self, store: Store, items: list[Incoming]) -> Outcome:
        try:
            outcome = self.retry(lambda: store.ledger.store_batch(items, now_ms=self.now_ms(), limit=self.tap_limit))
        except Exception as exc:  # any failure here: a poison message or a sick store, decided below
            log.exception("hub: batch failed (%s); storing message by message", exc)
            outcome = self._one_by_one(store, items)
        self._count(outcome)
        return outcome

    def _count(self, outcome: Outcome) -> None:
        m = self.metrics
        m.inc("hub_ratings_stored_total", outcome.stored, help="ratings stored (first time)")
        m.inc("hub_ratings_duplicate_total", outcome.duplicates, help="ratings received again and ignored")
        m.inc("hub_ratings_quarantined_total", outcome.quarantined, help="ratings from unknown kiosks kept aside")
        for reason, n in outcome.rejected.items():
            m.inc("hub_rejected_total", n, help="ratings or messages refused, by reason", reason=reason)
        for kiosk_id, n in outcome.over_limit.items():
            log.warning("hub: kiosk %s sent %d taps over its limit of %d/min", kiosk_id, n, self.tap_limit.per_minute)
            m.inc("hub_kiosk_taps_over_limit_total", n, help="taps over the per-kiosk tap limit", kiosk=kiosk_id)

    def _one_by_one(self, store: Store, items: list[Incoming]) -> Outcome:
        """Isolate a poison message: it is kept raw in ``rejected`` as ``internal_error`` (and acknowledged),
        but only when other messages of the batch stored fine. When every one fails, the store itself is
        sick: raise, acknowledge nothing, and let the kiosks resend later (they keep everything)."""
        outcome = Outcome()
        failed: list[tuple[Incoming, Exception]] = []
        for inc in items:
            try:
                one = self.retry(partial(store.ledger.store_batch, [inc], now_ms=self.now_ms(), limit=self.tap_limit))
            except Exception as exc:  # see the docstring
                failed.append((inc, exc))
                continue
            outcome.merge(one)
        if failed and len(failed) == len(items):
            self.metrics.inc("hub_ingest_stalls_total", help="batches left unacknowledged: the store failed")
            raise failed[0][1]
        for inc, error in failed:
            log.error("hub: message from %s kept raw as internal_error: %s", inc.kiosk_id, error)
            bad = Incoming(
                inc.kiosk_id, inc.received_ms, error=p.Rejection("internal_error", str(error)[:200]), raw=inc.raw
            )
            outcome.merge(store.ledger.store_batch([bad], now_ms=self.now_ms()))
        return outcome

    def retry(self, fn: Callable[[], T]) -> T:
        """Run ``fn``; while the store is busy or failing to write, wait and try again (never ack early)."""
        delay = 0.05
        while True:
            try:
                return fn()
            except StoreUnavailable as exc:
                if self._stopping.is_set():
                    raise
                log.warning("hub: database busy or failing (%s); retrying in %.2f s", exc, delay)
                time.sleep(delay)
                delay = min(delay * 2, 2.0)
