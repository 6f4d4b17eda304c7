"""The kiosk's SQLite outbox: the one durable queue between a tap and the hub.

Each tap is one transaction (WAL, synchronous=FULL: committed and fsync'd when ``record`` returns) that
assigns the next seq (AUTOINCREMENT, so a seq is never reused even after old rows are pruned). A row stays
unacknowledged until the hub's cumulative ack, sent after the hub's own commit, covers it; acknowledged rows
are kept ``keep_acked_days`` so a hub that lost its disk can ask for them again.

One ``Outbox`` object per thread: the recorder thread records, the uplink thread reads and acknowledges.
"""

from __future__ import annotations

import dataclasses
import sqlite3
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from feedback.rating import Rating
from kiosk import seqs

_SCHEMA = """
CREATE TABLE IF NOT EXISTS outbox (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    uuid TEXT NOT NULL,
    face INTEGER NOT NULL,
    scale INTEGER NOT NULL,
    question TEXT NOT NULL,
    reason TEXT,
    time_ms INTEGER NOT NULL,
    boot_id TEXT NOT NULL,
    mono_ms INTEGER NOT NULL,
    misuse INTEGER NOT NULL DEFAULT 0,
    held INTEGER NOT NULL DEFAULT 0,
    acked_at_ms INTEGER,
    rejected_reason TEXT
);
CREATE INDEX IF NOT EXISTS outbox_unacked ON outbox(seq) WHERE acked_at_ms IS NULL;
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
"""


OUTBOX_PAGE_SIZE = 1024


@dataclass(frozen=True, slots=True)
class OutboxCounts:
    recorded: int
    pending: int
    acked: int
    last_seq: int
    acked_through: int

    def as_dict(self) -> dict[str, int]:
        return {
            "recorded": self.recorded,
            "pending": self.pending,
            "acked": self.acked,
            "last_seq": self.last_seq,
            "acked_through": self.acked_through,
        }


class Outbox:
    """Durable record of every tap of one kiosk."""

    def __init__(self, path: str | Path, *, kiosk_id: str) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.kiosk_id = kiosk_id
        is_new = not self.path.exists() or self.path.stat().st_size == 0
        # The stdlib module, autocommit (isolation_level=None): transactions are ours. (sqlite-utils, used here
        # before for four PRAGMAs, cost the kiosk 11.7 MB of RSS in imports: bench/kiosk_ui.py.)
        self.conn = conn = sqlite3.connect(str(self.path), isolation_level=None, timeout=30.0)
        if is_new:
            # Every WAL frame is one page, and each tap commits a few pages: 1 KiB pages instead of 4 KiB
            # halve the bytes a tap writes to the SD card (bench/devices.py). Only possible before the first
            # table exists and before WAL mode.
            conn.execute(f"PRAGMA page_size={OUTBOX_PAGE_SIZE}")
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("PRAGMA synchronous=FULL")
        conn.execute("PRAGMA busy_timeout=30000")
        conn.executescript(_SCHEMA)
        owner = self.get_meta("kiosk_id")
        if owner is None:
            self.set_meta("kiosk_id", kiosk_id)
        elif owner != kiosk_id:
            raise OutboxBelongsToAnotherKiosk(f"{self.path} holds kiosk {owner!r}, not {kiosk_id!r}")

    def close(self) -> None:
        self.conn.close()

    @contextmanager
    def _write(self) -> Iterator[sqlite3.Connection]:
        conn = self.conn
        conn.execute("BEGIN IMMEDIATE")
        try:
            yield conn
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        conn.execute("COMMIT")

    # ------------------------------------------------------------------------------------------ taps
    def record(
        self,
        *,
        face: int,
        scale: int,
        question_id: str,
        time_ms: int,
        boot_id: str,
        mono_ms: int,
        is_misuse: bool = False,
        reason: str | None = None,
        held: bool = False,
    ) -> Rating:
        """Durably record one tap and return it with its new seq.

        ``held=True`` keeps the rating (and every later one) from being sent until :meth:`release`: the
        UI holds a tap while the shopper may still add a follow-up reason to it.

        :raises InvalidRating: before anything is written, when a field breaks the contract.
        """
        rid = str(uuid.uuid4())
        checked = Rating(
            kiosk_id=self.kiosk_id,
            seq=1,  # any valid seq: the row's own is known once it is written
            uuid=rid,
            face=face,
            scale=scale,
            question_id=question_id,
            time_ms=time_ms,
            boot_id=boot_id,
            mono_ms=mono_ms,
            reason=reason,
            is_misuse=is_misuse,
        )  # validates: an invalid tap raises here, before anything is written
        # One statement in autocommit mode is a transaction of its own, committed and (WAL, synchronous=FULL)
        # fsync'd when execute returns. One call instead of BEGIN, INSERT, COMMIT: the recorder thread lets go
        # of the GIL and has to take it back once per tap, not three times; on a busy kiosk each take-back
        # waited for the UI thread drawing the thank-you (bench/kiosk_ui.py: tap -> durable).
        cur = self.conn.execute(
            "INSERT INTO outbox (uuid, face, scale, question, reason, time_ms, boot_id, mono_ms, misuse, held)"
            " VALUES (?,?,?,?,?,?,?,?,?,?)",
            (rid, face, scale, question_id, reason, time_ms, boot_id, mono_ms, int(is_misuse), int(held)),
        )
        assert cur.lastrowid is not None
        return dataclasses.replace(checked, seq=cur.lastrowid)

    def release(self, seq: int, *, reason: str | None = None) -> None:
        """Let a held rating go, attaching the shopper's follow-up reason if one was chosen (one statement, so
        one transaction of its own, fsync'd when it returns: see :meth:`record`)."""
        if reason is None:
            self.conn.execute("UPDATE outbox SET held = 0 WHERE seq = ?", (seq,))
        else:
            self.conn.execute("UPDATE outbox SET held = 0, reason = ? WHERE seq = ?", (reason, seq))

    def release_all_held(self) -> int:
        """After a restart no shopper is at the follow-up screen: send what was held without a reason."""
        with self._write() as conn:
            return conn.execute("UPDATE outbox SET held = 0 WHERE held = 1").rowcount

    # ------------------------------------------------------------------------------------------ uplink
    def sendable(self, *, after_seq: int, limit: int) -> list[Rating]:
        """Unacknowledged ratings with seq > ``after_seq`` in seq order, stopping before a held one."""
        return [
            Rating(
                kiosk_id=self.kiosk_id,
                seq=w["seq"],
                uuid=w["uuid"],
                face=w["face"],
                scale=w["scale"],
                question_id=w["question"],
                time_ms=w["time_ms"],
                boot_id=w["boot_id"],
                mono_ms=w["mono_ms"],
                reason=w["reason"],
                is_misuse=w["misuse"],
            )
            for w in self.sendable_wire(after_seq=after_seq, limit=limit)
        ]

    def sendable_wire(self, *, after_seq: int, limit: int) -> list[dict[str, Any]]:
        """Like :meth:`sendable`, in wire form: the rows were validated when recorded, so no re-validation."""
        rows = self.conn.execute(
            "SELECT seq, uuid, face, scale, question, reason, time_ms, boot_id, mono_ms, misuse, held"
            " FROM outbox WHERE seq > ? ORDER BY seq LIMIT ?",
            (after_seq, limit),
        ).fetchall()
        out: list[dict[str, Any]] = []
        for seq, rid, face, scale, q, reason, t, boot, mono, misuse, held in rows:
            if held:
                break
            out.append(
                {
                    "seq": seq,
                    "uuid": rid,
                    "face": face,
                    "scale": scale,
                    "question": q,
                    "reason": reason,
                    "time_ms": t,
                    "boot_id": boot,
                    "mono_ms": mono,
                    "misuse": bool(misuse),
                }
            )
        return out

    def sendable_json(self, *, after_seq: int, limit: int) -> list[tuple[int, str]]:
        """Like :meth:`sendable_wire`, each rating as ``(seq, its wire JSON object)`` rendered by SQLite: the
        uplink's replay builds no Python dict per rating (a backlog drain sends every rating this way)."""
        rows = self.conn.execute(
            "SELECT seq, held, json_object('seq', seq, 'uuid', uuid, 'face', face, 'scale', scale, 'question',"
            " question, 'reason', reason, 'time_ms', time_ms, 'boot_id', boot_id, 'mono_ms', mono_ms, 'misuse',"
            " json(CASE WHEN misuse THEN 'true' ELSE 'false' END)) FROM outbox WHERE seq > ? ORDER BY seq LIMIT ?",
            (after_seq, limit),
        ).fetchall()
        out: list[tuple[int, str]] = []
        for seq, held, doc in rows:
            if held:
                break
            out.append((seq, doc))
        return out

    def mark_acked_through(self, seq: int, *, now_ms: int, rejected: dict[int, str] | None = None) -> int:
        """Mark every unacknowledged row up to ``seq`` acknowledged; returns how many changed."""
        with self._write() as conn:
            # rows up to the recorded mark are acknowledged already (a held row is never sent, so no ack passes
            # it): start there, or every ack would walk the table from seq 1 (quadratic over a long backlog)
            acked = seqs.acked_through(conn)
            n = conn.execute(
                "UPDATE outbox SET acked_at_ms = ? WHERE seq > ? AND seq <= ? AND acked_at_ms IS NULL AND held = 0",
                (now_ms, acked, seq),
            ).rowcount
            for s, why in (rejected or {}).items():
                conn.execute("UPDATE outbox SET rejected_reason = ? WHERE seq = ?", (why[:200], s))
            if seq > acked:
                seqs.set_meta(conn, "acked_through", str(min(seq, seqs.last_seq(conn))))
        return n

    def acked_through(self) -> int:
        return seqs.acked_through(self.conn)

    def first_unacked_seq(self) -> int | None:
        row = self.conn.execute("SELECT min(seq) FROM outbox WHERE acked_at_ms IS NULL").fetchone()
        return row[0] if row and row[0] is not None else None

    def prune(self, *, older_than_ms: int) -> int:
        """Delete acknowledged rows acknowledged before ``older_than_ms``; seqs are never reused."""
        with self._write() as conn:
            return conn.execute(
                "DELETE FROM outbox WHERE acked_at_ms IS NOT NULL AND acked_at_ms < ?", (older_than_ms,)
            ).rowcount

    # ------------------------------------------------------------------------------------------ figures
    def counts(self) -> OutboxCounts:
        conn = self.conn
        pending, acked = conn.execute(
            "SELECT count(*) FILTER (WHERE acked_at_ms IS NULL), count(*) FILTER (WHERE acked_at_ms IS NOT NULL)"
            " FROM outbox"
        ).fetchone()
        last = seqs.last_seq(conn)
        return OutboxCounts(
            recorded=last, pending=pending, acked=acked, last_seq=last, acked_through=seqs.acked_through(conn)
        )

    def pending_count(self) -> int:
        return int(self.conn.execute("SELECT count(*) FROM outbox WHERE acked_at_ms IS NULL").fetchone()[0])

    def last_seq(self) -> int:
        return seqs.last_seq(self.conn)

    def last_tap(self) -> tuple[int, int] | None:
        """``(seq, time_ms)`` of the newest tap, for the misuse rule across restarts."""
        row = self.conn.execute("SELECT seq, time_ms FROM outbox ORDER BY seq DESC LIMIT 1").fetchone()
        return (row[0], row[1]) if row else None

    # ------------------------------------------------------------------------------------------ meta
    def get_meta(self, key: str) -> str | None:
        row = self.conn.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return row[0] if row else None

    def set_meta(self, key: str, value: str) -> None:
        with self._write() as conn:
            seqs.set_meta(conn, key, value)

    def is_seq_floor_confirmed(self) -> bool:
        return self.get_meta("seq_floor_confirmed") is not None

    def confirm_seq_floor(self, hub_through: int) -> int | None:
        """Make sure this outbox never reuses a seq the hub already holds for this kiosk id (see
        :func:`kiosk.seqs.confirm_seq_floor`). Returns the shift, or None while a rating is held."""
        with self._write() as conn:
            return seqs.confirm_seq_floor(conn, hub_through)

    def next_epoch(self) -> int:
        """Increment and return the connection epoch (one per successful broker connection)."""
        with self._write() as conn:
            row = conn.execute("SELECT value FROM meta WHERE key = 'epoch'").fetchone()
            epoch = (int(row[0]) if row else 0) + 1
            seqs.set_meta(conn, "epoch", str(epoch))
        return epoch


class OutboxBelongsToAnotherKiosk(RuntimeError):
    """The data dir's outbox was created for a different kiosk id."""
