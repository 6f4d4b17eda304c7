"""Records taps into the outbox on a worker thread of its own, so the UI never waits for the disk.

One thread, one :class:`~kiosk.outbox.Outbox` (connections are per thread), tasks in submission order: a
follow-up's ``release`` always runs after its ``record``. Every call returns a ``Future``; the UI polls
``done()`` before it leaves the thank-you screen, so a tap is durable before the screen returns home.
"""

from __future__ import annotations

import contextlib
import logging
import sqlite3
import time
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import TypeVar

from feedback.rating import Rating
from kiosk.outbox import Outbox, OutboxCounts
from kiosk.taps import Tap

log = logging.getLogger(__name__)

T = TypeVar("T")
RETRY_DELAYS_S = (0.05, 0.25, 1.0)  # a busy or briefly failing disk; then the error goes to the staff panel


class Recorder:
    def __init__(
        self,
        path: Path,
        *,
        kiosk_id: str,
        on_written: Callable[[], None] | None = None,
        on_error: Callable[[str], None] | None = None,
    ) -> None:
        self.path = path
        self.kiosk_id = kiosk_id
        self._on_written = on_written
        self._on_error = on_error
        self._outbox: Outbox | None = None  # opened and used by the worker thread only
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="recorder")

    # ------------------------------------------------------------------------------------------ API
    def record(self, tap: Tap, *, held: bool = False) -> Future[Rating]:
        """Durably record ``tap``; ``held`` keeps it (and what follows) unsent until :meth:`release`."""
        return self._pool.submit(
            self._retrying,
            "record",
            lambda ob: ob.record(
                face=tap.face,
                scale=tap.scale,
                question_id=tap.question_id,
                time_ms=tap.time_ms,
                boot_id=tap.boot_id,
                mono_ms=tap.mono_ms,
                is_misuse=tap.is_misuse,
                held=held,
            ),
        )

    def release(self, recorded: Future[Rating], *, reason: str | None) -> Future[None]:
        """Let a held rating go with the shopper's reason (or none); a no-op if recording it failed."""

        def run(ob: Outbox) -> None:
            if recorded.exception() is None:  # done: the record task ran before this one
                ob.release(recorded.result().seq, reason=reason)

        return self._pool.submit(self._retrying, "release", run)

    def counts(self) -> Future[OutboxCounts]:
        return self._pool.submit(self._retrying, "counts", lambda ob: ob.counts())

    def close(self) -> None:
        """Finish queued writes, then close the worker's outbox."""
        self._pool.submit(self._close_outbox)
        self._pool.shutdown(wait=True)

    # ------------------------------------------------------------------------------------------ worker
    def _retrying(self, what: str, work: Callable[[Outbox], T]) -> T:
        for attempt, delay in enumerate((*RETRY_DELAYS_S, None)):
            try:
                if self._outbox is None:
                    self._outbox = Outbox(self.path, kiosk_id=self.kiosk_id)
                result = work(self._outbox)
            except (sqlite3.Error, OSError) as exc:
                log.warning("outbox %s failed (attempt %d): %s", what, attempt + 1, exc)
                if delay is None:
                    log.error("outbox %s failed for good: %s", what, exc)
                    if self._on_error is not None:
                        self._on_error(f"outbox {what} failed: {exc}")
                    raise
                self._reopen()
                time.sleep(delay)
                continue
            if what != "counts" and self._on_written is not None:
                self._on_written()
            return result
        raise AssertionError("unreachable")

    def _reopen(self) -> None:
        if self._outbox is not None:
            with contextlib.suppress(sqlite3.Error):
                self._outbox.close()
            self._outbox = None

    def _close_outbox(self) -> None:
        self._reopen()
