"""Which locations just got new answers: a thread-safe feed from the ingest (a worker thread) to the open
dashboard pages (asyncio streams, ``GET /api/events``), so a tap shows without polling.

The ingest publishes after its commit; each subscriber is an asyncio queue on the event loop, fed with
``call_soon_threadsafe``. A subscriber that falls behind loses the oldest notices, never blocks the ingest:
a notice only says "reload", so one is as good as many.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
from collections.abc import Iterable

MAX_PENDING = 64


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
