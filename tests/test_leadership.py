"""Leader leases in the store (``store.leases``, ``hub.leadership``) on both engines, with the clock passed in:
one holder at a time, renewal, takeover after expiry, release; and the change notices between processes."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from hub.leadership import ALERTS, CONFIG, Leadership, LeaseTerms, may_take
from hub.store import Store, open_store
from tests.harness import wait_until
from tests.postgres import both_engines

pytestmark = both_engines

TTL_MS = 9_000
T0 = 1_700_000_000_000


@pytest.fixture
def opener(tmp_path: Path, database: str | None) -> Callable[[], Store]:
    """Opens another connection to one store (another process's, as far as the store can tell)."""
    target = database or tmp_path / "hub.db"
    open_store(target).close()
    return lambda: open_store(target)


@pytest.fixture
def store(opener: Callable[[], Store]) -> Iterator[Store]:
    s = opener()
    yield s
    s.close()


# (holder now, its expiry) or None, who asks, when: may it take the lease?
CASES = [
    (None, "a", T0),
    (("a", T0 + 5), "a", T0),  # renewing its own
    (("a", T0 + 5), "b", T0),  # another's, running
    (("a", T0), "b", T0),  # another's, expired this very ms
    (("a", T0 - 1), "b", T0),  # another's, expired
]


@pytest.mark.parametrize(("current", "asker", "now_ms"), CASES)
def test_the_store_takes_a_lease_exactly_when_may_take_says(
    store: Store, current: tuple[str, int] | None, asker: str, now_ms: int
) -> None:
    """The engine's conditional write and the pure rule agree, case by case; a refused take changes nothing."""
    if current is not None:
        holder, expires_ms = current
        assert store.leases.take("x", holder, now_ms=expires_ms - TTL_MS, ttl_ms=TTL_MS)
    expected = may_take(current, asker, now_ms=now_ms)
    assert store.leases.take("x", asker, now_ms=now_ms, ttl_ms=TTL_MS) is expected
    if expected:
        assert store.leases.holder("x", now_ms=now_ms) == asker
        assert store.leases.holder("x", now_ms=now_ms + TTL_MS) is None  # expired at now + ttl
    else:
        assert current is not None
        assert store.leases.holder("x", now_ms=now_ms) == current[0]


def test_a_lease_is_taken_over_only_from_the_holder_named(store: Store) -> None:
    """``take_over`` (a dead holder on this host) moves a running lease from the holder named, and from no other:
    a lease that moved on meanwhile stays with its new holder."""
    assert store.leases.take("x", "a", now_ms=T0, ttl_ms=TTL_MS)
    assert not store.leases.take_over("x", "c", from_holder="b", now_ms=T0, ttl_ms=TTL_MS)
    assert store.leases.holder("x", now_ms=T0) == "a"
    assert store.leases.take_over("x", "c", from_holder="a", now_ms=T0 + 1, ttl_ms=TTL_MS)
    assert store.leases.holder("x", now_ms=T0 + TTL_MS) == "c", "runs a full ttl from the take-over"
    assert not store.leases.take_over("y", "c", from_holder="a", now_ms=T0, ttl_ms=TTL_MS), "no lease, nothing"


def test_a_free_lease_is_taken_by_one_of_many_at_once(opener: Callable[[], Store]) -> None:
    """Eight processes' connections ask for a free lease at the same moment: exactly one gets it."""
    stores = [opener() for _ in range(8)]
    got: list[str] = []
    start = threading.Barrier(len(stores))

    def ask(i: int) -> None:
        start.wait()
        if stores[i].leases.take("alerts", f"p{i}", now_ms=T0, ttl_ms=TTL_MS):
            got.append(f"p{i}")

    threads = [threading.Thread(target=ask, args=(i,)) for i in range(len(stores))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert len(got) == 1
    assert stores[0].leases.holder("alerts", now_ms=T0) == got[0]
    for s in stores:
        s.close()


def test_one_process_leads_until_it_stops_renewing_then_another_takes_over(store: Store) -> None:
    """Two processes' leaderships on one store, the clock in hand: the first leads both kinds of work, the second
    waits; when the first stops renewing (it died) its belief ends before its lease does, and the second leads
    within the takeover bound; an orderly release hands over at the next renewal."""
    now = [T0]
    terms = LeaseTerms(TTL_MS)
    wants = {ALERTS: lambda: True, CONFIG: lambda: True}
    a = Leadership(open_store=lambda: store, wants=wants, terms=terms, now_ms=lambda: now[0], holder="a")
    b = Leadership(open_store=lambda: store, wants=wants, terms=terms, now_ms=lambda: now[0], holder="b")
    a.renew(store)
    b.renew(store)
    assert (a.held(), b.held()) == ([ALERTS, CONFIG], [])
    for _ in range(5):  # renewals keep it
        now[0] += terms.renew_ms
        a.renew(store)
        b.renew(store)
        assert (a.held(), b.held()) == ([ALERTS, CONFIG], [])
    died = now[0]  # a renews no more
    while not b.held():
        assert not (a.held() and b.held()), "two leaders"
        now[0] += terms.ask_ms
        b.renew(store)
    assert now[0] - died <= terms.takeover_bound_ms()
    assert a.held() == [] and b.held() == [ALERTS, CONFIG]
    b.wants[CONFIG] = lambda: False  # its broker connection is down: it gives the config lease up at once
    b.renew(store)
    a.renew(store)
    assert (a.held(), b.held()) == ([CONFIG], [ALERTS])


def test_a_lease_is_released_only_by_its_holder(store: Store) -> None:
    """Releasing someone else's lease changes nothing; releasing one's own frees it for the next asker."""
    assert store.leases.take("config", "a", now_ms=T0, ttl_ms=TTL_MS)
    store.leases.release("config", "b")
    assert not store.leases.take("config", "b", now_ms=T0 + 1, ttl_ms=TTL_MS)
    store.leases.release("config", "a")
    assert store.leases.take("config", "b", now_ms=T0 + 1, ttl_ms=TTL_MS)


def test_changes_announced_by_one_process_reach_the_others_listening(opener: Callable[[], Store]) -> None:
    """On PostgreSQL a notice one connection announces reaches every listening connection (its own too); on
    SQLite nothing crosses processes and the engine says so."""
    speaker, listener, other = (opener() for _ in range(3))
    try:
        if not speaker.changes.reaches_other_processes:
            assert speaker.engine == "sqlite"
            speaker.changes.announce({"sto"})
            assert listener.changes.wait(0.1) == set()
            return
        assert listener.changes.wait(0.05) == set()  # starts listening
        assert other.changes.wait(0.05) == set()
        many = {f"loc-{i:05d}" for i in range(2000)}  # over one notice's payload limit
        speaker.changes.announce({"sto", "gbg"})
        speaker.changes.announce(many)
        for s in (listener, other):
            assert _heard(s, until=many | {"sto", "gbg"}) == many | {"sto", "gbg"}
    finally:
        for s in (speaker, listener, other):
            s.close()


def _heard(store: Store, *, until: set[str]) -> set[str]:
    heard: set[str] = set()

    def enough() -> bool:
        heard.update(store.changes.wait(0.5))
        return heard >= until

    wait_until(enough, timeout=10, message="the announced locations")
    return heard
