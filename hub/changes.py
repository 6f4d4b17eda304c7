"""Which locations just got new answers: a thread-safe feed from the ingest (a worker thread) to the open
dashboard pages (asyncio streams, ``GET /api/events``), so a tap shows without polling.

The ingest publishes after its commit; each subscriber is an asyncio queue on the event loop, fed with
``call_soon_threadsafe``. A subscriber that falls behind loses the oldest notices, never blocks the ingest:
a notice only says "reload", so one is as good as many.

With several processes on one PostgreSQL store (``hub serve`` behind a load balancer, ``hub ingest`` workers) a
page may stream from a process that did not store the answers: ``ChangeRelay`` announces what this process stored
through the store (``store.changes``: NOTIFY) and feeds what any process announced (LISTEN) to its streams.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
from collections.abc import Callable, Iterable

from hub.errors import StoreUnavailable
from hub.store import Store

log = logging.getLogger(__name__)

MAX_PENDING = 64
ANNOUNCE_EVERY_S = 0.25  # notices of one process coalesced over this long: a NOTIFY is a transaction of its own
LISTEN_WAIT_S = 1.0  # how long one wait for notices blocks (the listener checks for stop between waits)


class ChangeFeed:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._subscribers: dict[asyncio.Queue[frozenset[str]], asyncio.AbstractEventLoop] = {}

    def publish(self, location_ids: Iterable[str]) -> None:
        """From any thread: tell every open stream that these locations have new answers."""
        ids = frozenset(location_ids)
        if not ids:
            return
        with self._lock:
            targets = list(self._subscribers.items())
        for q, loop in targets:
            with contextlib.suppress(RuntimeError):  # its loop closed meanwhile
                loop.call_soon_threadsafe(_offer, q, ids)

    def subscribe(self) -> asyncio.Queue[frozenset[str]]:
        """On the event loop: a queue of notices for one stream (``unsubscribe`` it when done)."""
        q: asyncio.Queue[frozenset[str]] = asyncio.Queue(MAX_PENDING)
        with self._lock:
            self._subscribers[q] = asyncio.get_running_loop()
        return q

    def unsubscribe(self, q: asyncio.Queue[frozenset[str]]) -> None:
        with self._lock:
            self._subscribers.pop(q, None)

    @property
    def subscriber_count(self) -> int:
        with self._lock:
            return len(self._subscribers)


def _offer(q: asyncio.Queue[frozenset[str]], ids: frozenset[str]) -> None:
    if q.full():
        q.get_nowait()
    q.put_nowait(ids)


class ChangeRelay:
    """Carries notices between the processes sharing a store that can (``store.changes.reaches_other_processes``).

    ``stored`` (the ingest's ``on_stored``, any thread) gathers location ids; a thread announces them, coalesced,
    from its own connection after the ingest's commit (a NOTIFY inside the ingest's transaction would serialise
    the workers' commits). With a ``feed``, a second thread listens and publishes what every process announced —
    this one's too, so its own notices reach its streams once, by the same path.
    """

    def __init__(self, *, open_store: Callable[[], Store], feed: ChangeFeed | None) -> None:
        self._open_store = open_store
        self.feed = feed
        self._lock = threading.Lock()
        self._pending: set[str] = set()
        self._stopping = threading.Event()
        self._threads: list[threading.Thread] = []

    def stored(self, location_ids: Iterable[str]) -> None:
        with self._lock:
            self._pending.update(location_ids)

    def start(self) -> None:
        loops = [(self._announce_loop, "changes-announce")]
        if self.feed is not None:
            loops.append((self._listen_loop, "changes-listen"))
        for target, name in loops:
            t = threading.Thread(target=target, name=name, daemon=True)
            t.start()
            self._threads.append(t)

    def stop(self) -> None:
        self._stopping.set()
        for t in self._threads:
            t.join(LISTEN_WAIT_S + 5)

    def _announce_loop(self) -> None:
        self._run(self._announce_once, every_s=ANNOUNCE_EVERY_S)

    def _announce_once(self, store: Store) -> None:
        with self._lock:
            ids, self._pending = self._pending, set()
        if ids:
            try:
                store.changes.announce(ids)
            except StoreUnavailable:
                self.stored(ids)  # announced with the next ones
                raise

    def _listen_loop(self) -> None:
        self._run(self._listen_once, every_s=0.0)

    def _listen_once(self, store: Store) -> None:
        ids = store.changes.wait(LISTEN_WAIT_S)
        if ids and self.feed is not None:
            self.feed.publish(ids)

    def _run(self, step: Callable[[Store], None], *, every_s: float) -> None:
        store: Store | None = None
        while not self._stopping.is_set():
            try:
                if store is None:
                    store = self._open_store()
                step(store)
            except StoreUnavailable as exc:  # the server restarting: the pages' slow poll covers the gap
                log.warning("change relay: %s", exc)
                self._stopping.wait(1.0)
            except Exception:
                log.exception("change relay")
                self._stopping.wait(1.0)
            self._stopping.wait(every_s)
        if store is not None:
            store.close()
