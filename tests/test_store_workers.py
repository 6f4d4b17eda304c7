"""The PostgreSQL ledger shared by several ingest workers (each a store connection of its own): one kiosk's
batches in any order, at the same time, and a fresh birth handled by every worker."""

from __future__ import annotations

import threading
import uuid
from collections.abc import Iterator
from dataclasses import replace

import pytest

from feedback import protocol as p
from feedback.rating import Rating
from hub.fleet.kiosks import register_kiosk
from hub.store import Store, open_store
from hub.store.postgresql.locks import GAP_GRACE_MS
from hub.store.records import Incoming
from tests.dashboard.conftest import NOW_MS
from tests.postgres import sql_of


def ratings(kiosk_id: str, seqs: range) -> list[Rating]:
    """Taps a minute apart (within the tap limit, none misuse), the last ones just before ``NOW_MS``."""
    return [
        Rating(kiosk_id, s, str(uuid.uuid5(uuid.NAMESPACE_OID, f"{kiosk_id}-{s}")), s % 4, 4, "visit",
               NOW_MS - (3000 - s) * 60_000, "boot-1", s * 60_000)
        for s in seqs
    ]  # fmt: skip


def batch(store: Store, kiosk_id: str, seqs: range, *, now_ms: int = NOW_MS) -> p.Ack:
    out = store.ledger.store_batch([Incoming(kiosk_id, now_ms, ratings(kiosk_id, seqs))], now_ms=now_ms)
    return out.acks[kiosk_id]


@pytest.fixture
def workers(pg_url: str) -> Iterator[tuple[Store, Store]]:
    """Two store connections to one PostgreSQL database holding location ``sto`` with kiosks k1 and k2."""
    a, b = open_store(pg_url), open_store(pg_url)
    a.registry.add_location("sto", name="Sto", timezone="Europe/Stockholm", now_ms=NOW_MS)
    for kid in ("k1", "k2"):
        register_kiosk(a, kid, location_id="sto", now_ms=NOW_MS)
    yield a, b
    a.close()
    b.close()


def test_a_later_batch_committed_first_asks_no_resend_and_the_earlier_one_acks_both(
    workers: tuple[Store, Store],
) -> None:
    """Seqs 101-200 stored by one worker before 1-100 by another: no resend request, then one ack through 200."""
    a, b = workers
    first = batch(a, "k1", range(101, 201))
    assert (first.acked_through, first.resend_from) == (0, None)
    second = batch(b, "k1", range(1, 101))
    assert (second.acked_through, second.resend_from) == (200, None)
    assert a.ops.rating_counts(kiosk_id="k1") == b.ops.rating_counts(kiosk_id="k1")
    assert a.ops.rating_counts(kiosk_id="k1").ratings == a.ops.rating_counts(kiosk_id="k1").rolled_up == 200
    assert a.ops.rating_counts(kiosk_id="k1", misuse=True).ratings == 0  # judged in seq order, whoever stored them


def test_a_gap_that_outlives_the_grace_asks_for_a_resend_once(workers: tuple[Store, Store]) -> None:
    """A gap still open after GAP_GRACE_MS, seen again by a later batch, is answered with resend_from."""
    a, b = workers
    assert batch(a, "k1", range(1, 11)).acked_through == 10
    assert batch(a, "k1", range(21, 31)).resend_from is None  # the gap 11-20 is new: maybe in flight elsewhere
    late = batch(b, "k1", range(31, 41), now_ms=NOW_MS + GAP_GRACE_MS)
    assert (late.acked_through, late.resend_from) == (10, 11)
    again = batch(a, "k1", range(41, 51), now_ms=NOW_MS + GAP_GRACE_MS + 100)
    assert again.resend_from is None, "at most one request per RESEND_INTERVAL_MS"
    assert batch(b, "k1", range(11, 21), now_ms=NOW_MS + GAP_GRACE_MS + 200).acked_through == 50


def test_a_batch_filling_a_gap_is_judged_between_the_taps_stored_around_it(workers: tuple[Store, Store]) -> None:
    """Seqs 11-20 arriving after 1-10 and 21-30: seq 11, 2 s after seq 10, is misuse; seq 20, later than seq 21,
    is held back to seq 21's time and flagged (the neighbours are read in one statement for the whole batch)."""
    a, b = workers
    batch(a, "k1", range(1, 11))
    batch(a, "k1", range(21, 31))
    t10, t21 = (r.time_ms for r in ratings("k1", range(10, 22)) if r.seq in (10, 21))
    gap = ratings("k1", range(11, 21))
    gap[0] = replace(gap[0], time_ms=t10 + 2_000)
    gap[-1] = replace(gap[-1], time_ms=t21 + 3_600_000)
    out = b.ledger.store_batch([Incoming("k1", NOW_MS, gap)], now_ms=NOW_MS)
    assert out.acks["k1"].acked_through == 30
    misuse = sql_of(b).execute("SELECT seq FROM ratings WHERE kiosk_id = 'k1' AND misuse = 1").fetchall()
    assert [row[0] for row in misuse] == [11]
    held_back = sql_of(b).execute("SELECT time_ms, time_flag FROM ratings WHERE kiosk_id = 'k1' AND seq = 20")
    assert tuple(held_back.fetchone()) == (t21, "time_out_of_order")
    assert b.ops.rating_counts(kiosk_id="k1").ratings == b.ops.rating_counts(kiosk_id="k1").rolled_up == 30


def test_two_workers_storing_the_same_kiosks_at_once_count_each_rating_once(workers: tuple[Store, Store]) -> None:
    """Interleaved and duplicated batches of two kiosks from two threads: every seq once, rollups equal, ack max."""
    a, b = workers
    errors: list[BaseException] = []

    def run(store: Store, starts: list[int]) -> None:
        try:
            for start in starts:
                for kid in ("k1", "k2"):
                    batch(store, kid, range(start, start + 50))
        except BaseException as exc:  # reported by the assertion below
            errors.append(exc)

    threads = [
        threading.Thread(target=run, args=(a, list(range(1, 2001, 100)))),  # 1-50, 101-150, ...
        threading.Thread(target=run, args=(b, list(range(51, 2001, 100)) + list(range(1, 2001, 200)))),
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    assert errors == []
    for kid in ("k1", "k2"):
        counts = a.ops.rating_counts(kiosk_id=kid)
        assert counts.ratings == counts.rolled_up == 2000
    kiosks = {k["id"]: k["acked_through"] for k in a.registry.kiosks()}
    assert kiosks == {"k1": 2000, "k2": 2000}


def test_a_fresh_birth_is_answered_only_by_the_last_registered_worker_to_handle_it(
    workers: tuple[Store, Store],
) -> None:
    """Worker w1 holds no answer while w2 has not handled the birth; w2 answers with the floor covering what it
    stored before the birth."""
    a, b = workers
    a.ledger.register_worker("w1", now_ms=NOW_MS)
    b.ledger.register_worker("w2", now_ms=NOW_MS)
    birth = p.Status("online", kind="birth", birth_id="b-1", fresh=True)
    batch(a, "k1", range(1, 11))
    assert a.ledger.store_status("k1", birth, received_ms=NOW_MS, is_retained=False, worker="w1") is None
    batch(b, "k1", range(11, 31))  # the old storage's messages w2 received before the birth
    answer = b.ledger.store_status("k1", birth, received_ms=NOW_MS, is_retained=False, worker="w2")
    assert answer is not None and (answer.acked_through, answer.birth) == (30, "b-1")
    assert b.ledger.retire_worker("w2") and not b.ledger.retire_worker("w2")
    other = p.Status("online", kind="birth", birth_id="b-2", fresh=True)
    assert a.ledger.store_status("k1", other, received_ms=NOW_MS, is_retained=False, worker="w1") is not None


def test_a_kiosks_question_after_an_ack_timeout_is_answered_once_every_worker_stored_what_it_held(
    workers: tuple[Store, Store],
) -> None:
    """A (not fresh) birth asking what the hub holds: the first worker to handle it does not answer while the other
    may still be storing this kiosk's messages; the last one answers with all of them (no false resend)."""
    a, b = workers
    a.ledger.register_worker("w1", now_ms=NOW_MS)
    b.ledger.register_worker("w2", now_ms=NOW_MS)
    probe = p.Status("online", kind="birth", birth_id="probe-1", acked_through=10)
    batch(a, "k1", range(1, 11))
    assert a.ledger.store_status("k1", probe, received_ms=NOW_MS, is_retained=False, worker="w1") is None
    batch(b, "k1", range(11, 21))  # held by w2 when the question reached w1
    answer = b.ledger.store_status("k1", probe, received_ms=NOW_MS, is_retained=False, worker="w2")
    assert answer is not None and (answer.acked_through, answer.resend_from, answer.birth) == (20, None, "probe-1")
