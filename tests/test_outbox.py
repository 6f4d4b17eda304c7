"""The kiosk's SQLite outbox: durable seqs, holds for follow-up, acknowledgements, pruning."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from feedback import protocol as p
from feedback.rating import InvalidRating
from kiosk.outbox import Outbox, OutboxBelongsToAnotherKiosk


def _tap(ob: Outbox, face: int = 1, **kw: object) -> int:
    return ob.record(face=face, scale=4, question_id="q1", time_ms=1_000, boot_id="b", mono_ms=1, **kw).seq  # type: ignore[arg-type]


def test_seqs_are_consecutive_persisted_and_never_reused_after_prune(tmp_path: Path) -> None:
    """Seqs count 1, 2, 3 across reopenings and continue after acknowledged rows are pruned."""
    ob = Outbox(tmp_path / "o.db", kiosk_id="k1")
    assert [_tap(ob) for _ in range(3)] == [1, 2, 3]
    ob.mark_acked_through(3, now_ms=10)
    assert ob.prune(older_than_ms=11) == 3
    ob.close()
    ob = Outbox(tmp_path / "o.db", kiosk_id="k1")
    assert _tap(ob) == 4
    assert ob.counts().as_dict() == {"recorded": 4, "pending": 1, "acked": 0, "last_seq": 4, "acked_through": 3}


def test_outbox_uses_wal_full_sync_and_small_pages(tmp_path: Path) -> None:
    """Durability settings: WAL journal and synchronous=FULL (2); 1 KiB pages to spare the SD card."""
    ob = Outbox(tmp_path / "o.db", kiosk_id="k1")
    assert ob.conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert ob.conn.execute("PRAGMA synchronous").fetchone()[0] == 2
    assert ob.conn.execute("PRAGMA page_size").fetchone()[0] == 1024


def test_invalid_tap_writes_nothing(tmp_path: Path) -> None:
    """A tap that breaks the contract raises before anything is stored and burns no seq."""
    ob = Outbox(tmp_path / "o.db", kiosk_id="k1")
    with pytest.raises(InvalidRating):
        _tap(ob, face=7)
    assert _tap(ob) == 1


def test_held_rating_blocks_sending_until_released_with_its_reason(tmp_path: Path) -> None:
    """A rating held for the follow-up screen, and everything after it, waits; release attaches the reason."""
    ob = Outbox(tmp_path / "o.db", kiosk_id="k1")
    _tap(ob)
    held = _tap(ob, face=0, held=True)
    assert [r.seq for r in ob.sendable(after_seq=0, limit=10)] == [1]
    ob.release(held, reason="queue")
    sent = ob.sendable(after_seq=0, limit=10)
    assert [(r.seq, r.reason) for r in sent] == [(1, None), (2, "queue")]


def test_ratings_rendered_as_json_by_sqlite_make_the_same_message_as_the_wire_rows(tmp_path: Path) -> None:
    """The replay's batch from the outbox's JSON rendering is byte for byte the message encoded from its wire rows
    (quotes, non-ASCII text, a reason and none, the misuse flag both ways), decodes whole, and stops before a
    held rating as ``sendable_wire`` does."""
    ob = Outbox(tmp_path / "o.db", kiosk_id="k1")
    ob.record(face=1, scale=4, question_id="q1", time_ms=1_780_000_000_000, boot_id="b", mono_ms=5)
    for question, reason, is_misuse in (('frågä "x" \\ 🙂', "kö ✓", True), ("q2", None, False)):
        ob.record(
            face=0,
            scale=5,
            question_id=question,
            time_ms=2**53 + 1,
            boot_id="b-2",
            mono_ms=7,
            reason=reason,
            is_misuse=is_misuse,
        )
    _tap(ob, held=True)
    _tap(ob)
    wire, docs = ob.sendable_wire(after_seq=0, limit=10), ob.sendable_json(after_seq=0, limit=10)
    assert [seq for seq, _ in docs] == [w["seq"] for w in wire] == [1, 2, 3]
    message = p.encode_json_ratings("k1", [doc for _, doc in docs])
    assert message == p.encode_wire_ratings("k1", wire)
    assert p.decode_ratings("k1", message).ratings == ob.sendable(after_seq=0, limit=10)


def test_restart_releases_ratings_held_by_a_power_cut(tmp_path: Path) -> None:
    """After a restart nobody is at the follow-up screen: held ratings go out without a reason."""
    ob = Outbox(tmp_path / "o.db", kiosk_id="k1")
    _tap(ob, held=True)
    assert ob.release_all_held() == 1
    assert len(ob.sendable(after_seq=0, limit=10)) == 1


def test_acks_are_cumulative_and_record_refusals(tmp_path: Path) -> None:
    """An ack through N marks 1..N; a lower ack later (hub data loss) does not un-acknowledge."""
    ob = Outbox(tmp_path / "o.db", kiosk_id="k1")
    for _ in range(5):
        _tap(ob)
    assert ob.mark_acked_through(3, now_ms=1, rejected={2: "invalid_rating"}) == 3
    assert ob.mark_acked_through(1, now_ms=2) == 0
    assert ob.acked_through() == 3 and ob.pending_count() == 2
    conn = sqlite3.connect(tmp_path / "o.db")
    assert conn.execute("SELECT rejected_reason FROM outbox WHERE seq = 2").fetchone()[0] == "invalid_rating"


def test_outbox_refuses_to_serve_another_kiosk(tmp_path: Path) -> None:
    """A data dir copied to another kiosk would mix two seq spaces: refused."""
    Outbox(tmp_path / "o.db", kiosk_id="k1").close()
    with pytest.raises(OutboxBelongsToAnotherKiosk):
        Outbox(tmp_path / "o.db", kiosk_id="k2")


def test_epoch_increments_per_connection(tmp_path: Path) -> None:
    """The connection epoch is persisted and grows by one per call."""
    ob = Outbox(tmp_path / "o.db", kiosk_id="k1")
    assert [ob.next_epoch(), ob.next_epoch()] == [1, 2]
    ob.close()
    assert Outbox(tmp_path / "o.db", kiosk_id="k1").next_epoch() == 3


def test_fresh_outbox_moves_its_taps_after_what_the_hub_holds(tmp_path: Path) -> None:
    """Under an id the hub knows through seq 50, a fresh outbox's taps 1..3 become 51..53, and 54 is next."""
    ob = Outbox(tmp_path / "o.db", kiosk_id="k1")
    for _ in range(3):
        _tap(ob)
    assert not ob.is_seq_floor_confirmed()
    assert ob.confirm_seq_floor(50) == 50
    assert [r.seq for r in ob.sendable(after_seq=50, limit=10)] == [51, 52, 53]
    assert _tap(ob) == 54
    assert ob.acked_through() == 50 and ob.pending_count() == 4
    assert ob.confirm_seq_floor(500) == 0, "confirmed once, never again"


def test_floor_waits_while_a_tap_is_held_and_is_a_no_op_for_a_new_id(tmp_path: Path) -> None:
    """A held tap's seq is in the UI's hands, so renumbering waits; a hub that knows nothing changes nothing."""
    ob = Outbox(tmp_path / "o.db", kiosk_id="k1")
    seq = _tap(ob, held=True)
    assert ob.confirm_seq_floor(10) is None
    ob.release(seq)
    assert ob.confirm_seq_floor(0) == 0
    assert [r.seq for r in ob.sendable(after_seq=0, limit=10)] == [1]
