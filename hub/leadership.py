"""Which of several ``hub serve`` processes on one store does the work that must happen once (issue 15).

Each kind of leader-only work has a named lease in the store (``store.leases``): ``alerts`` (rule evaluation and
queueing due reports) and ``config`` (planning kiosk configs and publishing them retained). A thread renews this
process's leases every third of the lease time, and asks every second for one it wants and lacks; the work asks
:meth:`Leadership.is_leader` before each round. A process that dies without releasing (SIGKILL, a lost machine)
is replaced when its lease expires: within ``ttl`` plus a second. An orderly stop releases its leases, so another
process takes over within a second.

The lease is for efficiency and order; the database still refuses the duplicates that would matter (one live
alert per rule, store and subject; one report per user, period and start), so two processes that both believe
they lead for a moment (a paused process, clocks apart by more than the margin) do no harm.
"""

from __future__ import annotations

import logging
import os
import secrets
import socket
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from hub.errors import StoreUnavailable
from hub.store import Store

log = logging.getLogger(__name__)

ALERTS = "alerts"  # alert rule evaluation and report queueing (hub.alerts.service)
CONFIG = "config"  # kiosk config planning and retained publishing (hub.runtime, hub.mqtt.publisher)
LEADER_WORK = (ALERTS, CONFIG)  # the leases that are work done once (hub.client_ids' are identities)
DEFAULT_LEASE_S = 15.0
ASK_EVERY_MS = 1000  # how often a process asks for a lease it wants and lacks


@dataclass(frozen=True, slots=True)
class LeaseTerms:
    """How long a lease runs in the store (``ttl_ms``); renewed every third of it. The holder believes it leads
    only until one renewal period before the store's expiry: a margin for a late renewal and for clocks apart."""

    ttl_ms: int

    def __post_init__(self) -> None:
        if self.ttl_ms < 300:
            raise ValueError(f"a lease of {self.ttl_ms} ms is too short to renew")

    @property
    def renew_ms(self) -> int:
        return self.ttl_ms // 3

    @property
    def ask_ms(self) -> int:
        return min(self.renew_ms, ASK_EVERY_MS)

    def believed_until(self, asked_ms: int) -> int:
        """Until when a lease taken by a write sent at ``asked_ms`` counts as held here."""
        return asked_ms + self.ttl_ms - self.renew_ms

    def takeover_bound_ms(self) -> int:
        """At most how long after its holder died another process holds a lease (its last renewal's expiry, plus
        the others' wait between asks)."""
        return self.ttl_ms + self.ask_ms


def may_take(current: tuple[str, int] | None, holder: str, *, now_ms: int) -> bool:
    """The store's rule (``hub/store/portable/leases.py`` spells it in SQL): ``holder`` may take a lease that is
    ``current`` = (holder, expires_ms) or absent when it is absent, already its own, or expired."""
    return current is None or current[0] == holder or current[1] <= now_ms


def process_holder() -> str:
    """This process's name in the leases: host, pid and a random part (a pid is reused after a restart)."""
    return f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(3)}"


class Leadership:
    """This process's leases: ``wants`` maps each lease name to whether this process may lead it now (the config
    lease only while its broker connection is up)."""

    def __init__(
        self,
        *,
        open_store: Callable[[], Store],
        wants: Mapping[str, Callable[[], bool]],
        terms: LeaseTerms,
        now_ms: Callable[[], int],
        holder: str | None = None,
    ) -> None:
        self._open_store = open_store
        self.wants = dict(wants)
        self.terms = terms
        self.now_ms = now_ms
        self.holder = holder or process_holder()
        self._until: dict[str, int] = dict.fromkeys(self.wants, 0)
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None

    def is_leader(self, name: str) -> bool:
        with self._lock:
            return self.now_ms() < self._until.get(name, 0)

    def held(self) -> list[str]:
        return [name for name in self.wants if self.is_leader(name)]

    def start(self) -> None:
        self._thread = threading.Thread(target=self._loop, name="leadership", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stopping.set()
        if self._thread is not None:
            self._thread.join(10)

    def renew(self, store: Store) -> None:
        """One round: take or renew each lease this process wants; give up those it no longer wants."""
        for name, wants in self.wants.items():
            asked = self.now_ms()
            was = self.is_leader(name)
            if wants():
                got = store.leases.take(name, self.holder, now_ms=asked, ttl_ms=self.terms.ttl_ms)
            else:
                if was:
                    store.leases.release(name, self.holder)
                got = False
            with self._lock:
                self._until[name] = self.terms.believed_until(asked) if got else 0
            if got != was:
                log.info("leadership: %s %s the %s lease", self.holder, "took" if got else "lost", name)

    def _loop(self) -> None:
        store: Store | None = None
        try:
            while True:
                try:
                    if store is None:
                        store = self._open_store()
                    self.renew(store)
                except StoreUnavailable as exc:  # belief lapses by itself; the others take over if this lasts
                    log.warning("leadership: %s", exc)
                except Exception:
                    log.exception("leadership")
                lacking = any(wants() and not self.is_leader(n) for n, wants in self.wants.items())
                if self._stopping.wait((self.terms.ask_ms if lacking else self.terms.renew_ms) / 1000):
                    break
            if store is not None:
                for name in self.wants:
                    with self._lock:
                        self._until[name] = 0
                    store.leases.release(name, self.holder)
        except Exception:
            log.exception("leadership: releasing the leases")
        finally:
            if store is not None:
                store.close()
