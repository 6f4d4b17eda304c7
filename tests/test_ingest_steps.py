"""``LedgerPart.store_in_order``: the ingest's ratings and statuses of one batch, stored in arrival order (one
transaction on SQLite), each step answered as its own call would be."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from datetime import date
from pathlib import Path

import pytest

from feedback import protocol as p
from hub.fleet.kiosks import register_kiosk
from hub.store import Store, open_store
from hub.store.records import Incoming, IngestStep, Outcome, StatusIn
from hub.store.sqlite.exports import RATING_FIELDS
from tests.dashboard.conftest import NOW_MS
from tests.test_store_workers import ratings

pytestmark = pytest.mark.both_engines


@pytest.fixture
def store(engine: str, database: str | None, tmp_path: Path) -> Iterator[Store]:
    s = open_store(database or tmp_path / "hub.db")
    s.registry.add_location("sto", name="Sto", timezone="Europe/Stockholm", now_ms=NOW_MS)
    for kid in ("k1", "k2"):
        register_kiosk(s, kid, location_id="sto", now_ms=NOW_MS)
    yield s
    s.close()


def test_a_birth_between_a_kiosks_ratings_is_answered_with_those_before_it_only(store: Store) -> None:
    birth = p.Status("online", kind="birth", birth_id="b-1", acked_through=0)
    steps: list[IngestStep] = [
        [Incoming("k1", NOW_MS, ratings("k1", range(1, 6))), Incoming("k2", NOW_MS, ratings("k2", range(1, 4)))],
        StatusIn("k1", birth, NOW_MS, is_retained=False),
        [Incoming("k1", NOW_MS, ratings("k1", range(6, 11)))],
        StatusIn("k2", p.Status("online", kind="heartbeat"), NOW_MS, is_retained=False),
    ]
    first, answer, second, heartbeat = store.ledger.store_in_order(steps, now_ms=NOW_MS)
    assert isinstance(first, Outcome) and isinstance(second, Outcome)
    assert (first.stored, first.acks["k1"].acked_through, first.acks["k2"].acked_through) == (8, 5, 3)
    assert isinstance(answer, p.Ack) and (answer.acked_through, answer.birth) == (5, "b-1")
    assert (second.stored, second.acks["k1"].acked_through) == (5, 10)
    assert heartbeat is None  # a heartbeat is not answered
    assert store.ops.rating_counts(kiosk_id="k1").ratings == store.ops.rating_counts(kiosk_id="k1").rolled_up == 10


def test_steps_sent_again_count_as_duplicates_and_change_nothing(store: Store) -> None:
    steps: list[IngestStep] = [[Incoming("k1", NOW_MS, ratings("k1", range(1, 101)))]]
    store.ledger.store_in_order(steps, now_ms=NOW_MS)
    (again,) = store.ledger.store_in_order(steps, now_ms=NOW_MS)
    assert isinstance(again, Outcome) and (again.stored, again.duplicates) == (0, 100)
    assert store.ops.rating_counts(kiosk_id="k1").rolled_up == 100


def test_question_and_reason_texts_come_back_exactly_as_sent(store: Store) -> None:
    """Quotes, commas, backslashes, braces and non-ASCII letters in a question id or reason (PostgreSQL gets the
    rows as one JSON document) are stored as they came."""
    texts = ['"snabb", tack', "back\\slash {x}", "Bemötande – 5 ⭐", "NULL", "null"]
    sent = [replace(r, reason=t) for r, t in zip(ratings("k1", range(1, 6)), texts, strict=True)]
    (out,) = store.ledger.store_in_order([[Incoming("k1", NOW_MS, sent)]], now_ms=NOW_MS)
    assert isinstance(out, Outcome) and out.stored == 5
    rows = store.exports.ratings(
        "sto", date(1970, 1, 1), date(9999, 12, 31), start_ms=0, end_ms=2**62, include_misuse=True,
        include_closed=True,
    )  # fmt: skip
    at = RATING_FIELDS.index("reason")
    assert sorted(row[at] for row in rows) == sorted(texts)
