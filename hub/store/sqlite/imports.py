"""The importer's writes (issue 13): another system's history into ``ratings`` and the rollups, exactly once.

Each batch is one ``BEGIN IMMEDIATE`` transaction holding the new ratings, their rollup counts (the ledger's own
``count_in_rollups``), the refused rows and the file's progress: a crash loses at most the batch in flight, and the
next run resumes after the last committed row. Imported ratings carry ``imported = 1`` and the export's
``feedbackId`` as their ``uuid`` (unique among imported ratings), so a feedback already stored is a duplicate.
"""

from __future__ import annotations

import sqlite3
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from hub.reports.flags import SQL as FLAGS_SQL
from hub.reports.flags import flags_of
from hub.reports.localtime import local_bucket
from hub.reports.schedule import Schedule
from hub.store.records import FileState, ImportedFollowup, ImportedRating, Refusal
from hub.store.sqlite.connection import immediate, unavailable_when_busy
from hub.store.sqlite.cumulative import REFRESH_FROM_DAY
from hub.store.sqlite.ledger import count_in_rollups
from hub.store.sqlite.placing import is_closed, schedule

IMPORT_BOOT_ID = "imported"
_CHUNK = 900  # host parameters per IN (...) list


def _chunks(values: Sequence[str]) -> Iterable[Sequence[str]]:
    for i in range(0, len(values), _CHUNK):
        yield values[i : i + _CHUNK]


class Imports:
    def __init__(self, conn: sqlite3.Connection) -> None:
        self.conn = conn

    @contextmanager
    def larger_cache(self, *, mib: int = 64) -> Iterator[None]:
        """A bigger page cache for this connection while a history is imported (index inserts of a million
        random feedbackIds stay in memory: measured ~1.3x faster), then the one it had."""
        before = int(self.conn.execute("PRAGMA cache_size").fetchone()[0])
        self.conn.execute(f"PRAGMA cache_size = {-mib * 1024}")
        try:
            yield
        finally:
            self.conn.execute(f"PRAGMA cache_size = {before}")

    # ------------------------------------------------------------------------------------------ foreign ids
    def foreign_ids(self, kind: str) -> dict[int, str]:
        """``{foreign id: our id}`` of one kind (``experience_point``, ``group``, ``smiley``, ``survey``)."""
        return dict(self.conn.execute("SELECT foreign_id, our_id FROM import_ids WHERE kind = ?", (kind,)).fetchall())

    def foreign_rows(self, kind: str) -> list[tuple[int, str, str | None]]:
        """``(foreign id, our id, detail)`` of one kind (the detail of a smiley is its type, of a survey its scale)."""
        rows = self.conn.execute("SELECT foreign_id, our_id, detail FROM import_ids WHERE kind = ?", (kind,))
        return [(r[0], r[1], r[2]) for r in rows]

    def is_imported_device(self, kiosk_id: str) -> bool:
        """A device id an import made (a kiosk may not take it: their seqs would collide)."""
        row = self.conn.execute("SELECT 1 FROM import_ids WHERE kind = 'smiley' AND our_id = ?", (kiosk_id,))
        return row.fetchone() is not None

    def put_foreign_id(self, kind: str, foreign_id: int, our_id: str, *, detail: str | None = None) -> None:
        """Remember that ``foreign_id`` of ``kind`` is ``our_id`` (a later mapping replaces an earlier one)."""
        self.conn.execute(
            "INSERT INTO import_ids (kind, foreign_id, our_id, detail) VALUES (?, ?, ?, ?) ON CONFLICT DO UPDATE"
            " SET our_id = excluded.our_id, detail = coalesce(excluded.detail, detail)",
            (kind, foreign_id, our_id, detail),
        )

    # ------------------------------------------------------------------------------------------ files
    def file_state(self, file_key: str, *, name: str, kind: str, now_ms: int) -> FileState:
        """The progress of this file under this mapping (a new record the first time)."""
        self.conn.execute(
            "INSERT OR IGNORE INTO import_files (file_key, name, kind, started_ms) VALUES (?, ?, ?, ?)",
            (file_key, name, kind, now_ms),
        )
        row = self.conn.execute(
            "SELECT rows_done, stored, duplicates, is_finished FROM import_files WHERE file_key = ?", (file_key,)
        ).fetchone()
        return FileState(file_key, row[0], row[1], row[2], bool(row[3]))

    def finish_file(self, file_key: str, *, now_ms: int) -> None:
        self.conn.execute(
            "UPDATE import_files SET is_finished = 1, finished_ms = ? WHERE file_key = ?", (now_ms, file_key)
        )

    def refusal_counts(self, file_key: str) -> Counter[str]:
        rows = self.conn.execute(
            "SELECT reason, count(*) FROM import_refusals WHERE file_key = ? GROUP BY reason", (file_key,)
        )
        return Counter(dict(rows.fetchall()))

    def refusals(self, file_key: str, *, limit: int = 20) -> list[Refusal]:
        """The first refused rows of a file, by line."""
        rows = self.conn.execute(
            "SELECT line, reason, detail FROM import_refusals WHERE file_key = ? ORDER BY line LIMIT ?",
            (file_key, limit),
        ).fetchall()
        return [Refusal(*r) for r in rows]

    def _progress(self, state: FileState, rows_done: int, refusals: list[Refusal], stored: int, dupes: int) -> None:
        self.conn.executemany(
            "INSERT OR IGNORE INTO import_refusals (file_key, line, reason, detail) VALUES (?, ?, ?, ?)",
            [(state.file_key, r.line, r.reason, r.detail[:500]) for r in refusals],
        )
        self.conn.execute(
            "UPDATE import_files SET rows_done = ?, stored = stored + ?, duplicates = duplicates + ?"
            " WHERE file_key = ?",
            (rows_done, stored, dupes, state.file_key),
        )
        state.rows_done = rows_done
        state.stored += stored
        state.duplicates += dupes

    # ------------------------------------------------------------------------------------------ ratings
    def store_ratings(
        self,
        state: FileState,
        ratings: Sequence[ImportedRating],
        refusals: list[Refusal],
        *,
        rows_done: int,
        now_ms: int,
    ) -> tuple[int, int]:
        """Store a batch of button feedbacks and the file's progress in one transaction; returns
        ``(stored, duplicates)``. A follow-up answer imported earlier becomes the new rating's reason."""
        with unavailable_when_busy(), immediate(self.conn):
            stored, dupes = self._insert(ratings, now_ms)
            self._progress(state, rows_done, refusals, stored, dupes)
        return stored, dupes

    def _insert(self, ratings: Sequence[ImportedRating], now_ms: int) -> tuple[int, int]:
        conn = self.conn
        ids = [r.feedback_id for r in ratings]
        held: set[str] = set()
        for chunk in _chunks(ids):
            held.update(
                row[0]
                for row in conn.execute(
                    f"SELECT uuid FROM ratings WHERE imported = 1 AND uuid IN ({','.join('?' * len(chunk))})", chunk
                )
            )
        fresh: dict[str, ImportedRating] = {}
        for r in ratings:
            if r.feedback_id not in held:
                fresh.setdefault(r.feedback_id, r)
        reasons = self._pending_reasons(list(fresh))
        next_seq: dict[str, int] = {}
        rows: list[tuple[Any, ...]] = []
        hourly: Counter[tuple[Any, ...]] = Counter()
        reason_counts: Counter[tuple[Any, ...]] = Counter()
        schedules: dict[str, Schedule | None] = {}
        for r in fresh.values():
            if r.kiosk_id not in next_seq:
                top = conn.execute("SELECT max(seq) FROM ratings WHERE kiosk_id = ?", (r.kiosk_id,)).fetchone()[0]
                next_seq[r.kiosk_id] = (top or 0) + 1
            seq = next_seq[r.kiosk_id]
            next_seq[r.kiosk_id] = seq + 1
            day, hour, weekday = local_bucket(r.timezone, r.time_ms)
            misuse = int(r.is_misuse)
            if r.location_id not in schedules:
                schedules[r.location_id] = schedule(conn, r.location_id)
            closed = int(is_closed(schedules[r.location_id], r.timezone, r.time_ms, day, weekday))
            flags = flags_of(misuse=misuse, closed=closed)
            reason = reasons.get(r.feedback_id)
            rows.append(
                (
                    *(r.kiosk_id, seq, r.feedback_id, r.location_id, r.face, r.scale, r.question, reason),
                    *(r.time_ms, r.time_ms, IMPORT_BOOT_ID, 0, misuse, misuse, now_ms, day, hour, closed),
                )
            )
            hourly[(r.location_id, day, hour, weekday, r.kiosk_id, r.scale, r.face, flags)] += 1
            if reason is not None:
                reason_counts[(r.location_id, day, reason, r.scale, r.face, flags)] += 1
        conn.executemany(
            "INSERT INTO ratings (kiosk_id, seq, uuid, location_id, face, scale, question, reason, device_time_ms,"
            " time_ms, boot_id, mono_ms, misuse_device, misuse, received_ms, local_day, local_hour, closed,"
            " imported) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,1)",
            rows,
        )
        self._count(hourly, reason_counts)
        return len(fresh), len(ratings) - len(fresh)

    def _count(self, hourly: Counter[tuple[Any, ...]], reasons: Counter[tuple[Any, ...]]) -> None:
        """The ledger's ``count_in_rollups``, with the cumulative rollup's per-row triggers paused and its rows
        from each batch's first day on recomputed once per store and scale instead (a history spans many days
        per batch). The pause lives inside this transaction: no other connection ever sees it."""
        conn = self.conn
        conn.execute("INSERT OR REPLACE INTO meta (key, value) VALUES ('rollup_cum_paused', '1')")
        count_in_rollups(conn, hourly, reasons)
        first: dict[tuple[str, int], str] = {}
        for loc, day, _, _, _, scale, _, _ in hourly:
            first[(loc, scale)] = min(day, first.get((loc, scale), day))
        for (loc, scale), day in first.items():
            conn.execute("INSERT OR IGNORE INTO rollup_scales (location_id, scale) VALUES (?, ?)", (loc, scale))
            conn.execute(
                "DELETE FROM rollup_cum WHERE location_id = ? AND scale = ? AND local_day >= ?", (loc, scale, day)
            )
            conn.execute(REFRESH_FROM_DAY, (loc, scale, day))
        conn.execute("DELETE FROM meta WHERE key = 'rollup_cum_paused'")

    def _pending_reasons(self, feedback_ids: list[str]) -> dict[str, str]:
        """Follow-up answers that arrived before their button feedback: attached now (same transaction)."""
        conn = self.conn
        waiting = conn.execute("SELECT 1 FROM import_followups WHERE is_attached = 0 LIMIT 1").fetchone()
        if not feedback_ids or waiting is None:
            return {}
        found: dict[str, str] = {}
        for chunk in _chunks(feedback_ids):
            marks = ",".join("?" * len(chunk))
            found.update(
                conn.execute(
                    f"SELECT feedback_id, option_text FROM import_followups WHERE is_attached = 0"
                    f" AND feedback_id IN ({marks})",
                    chunk,
                ).fetchall()
            )
            conn.execute(
                f"UPDATE import_followups SET is_attached = 1 WHERE is_attached = 0 AND feedback_id IN ({marks})",
                chunk,
            )
        return found

    # ------------------------------------------------------------------------------------------ follow-ups
    def store_followups(
        self, state: FileState, followups: Sequence[ImportedFollowup], refusals: list[Refusal], *, rows_done: int
    ) -> tuple[int, int]:
        """Keep follow-up answers and attach each to its imported rating as the reason (counted in the reasons
        rollup) in one transaction; one waits when its button feedback is not imported yet. Returns
        ``(kept, duplicates)``; a second answer to the same feedback is a duplicate."""
        conn = self.conn
        kept = dupes = 0
        with unavailable_when_busy(), immediate(conn):
            reasons: Counter[tuple[Any, ...]] = Counter()
            for f in followups:
                cur = conn.execute(
                    "INSERT OR IGNORE INTO import_followups (feedback_id, question_id, option_id, option_text)"
                    " VALUES (?, ?, ?, ?)",
                    (f.feedback_id, f.question_id, f.option_id, f.text),
                )
                if cur.rowcount == 0:
                    dupes += 1
                    continue
                kept += 1
                row = conn.execute(
                    f"SELECT location_id, local_day, scale, face, {FLAGS_SQL} FROM ratings WHERE imported = 1"
                    " AND uuid = ?"
                    " AND reason IS NULL",
                    (f.feedback_id,),
                ).fetchone()
                if row is None:
                    continue
                loc, day, scale, face, flags = row
                conn.execute("UPDATE ratings SET reason = ? WHERE imported = 1 AND uuid = ?", (f.text, f.feedback_id))
                conn.execute("UPDATE import_followups SET is_attached = 1 WHERE feedback_id = ?", (f.feedback_id,))
                reasons[(loc, day, f.text, scale, face, flags)] += 1
            count_in_rollups(conn, Counter(), reasons)
            self._progress(state, rows_done, refusals, kept, dupes)
        return kept, dupes

    def waiting_followups(self) -> int:
        """Follow-up answers whose button feedback has not been imported (yet)."""
        return int(self.conn.execute("SELECT count(*) FROM import_followups WHERE is_attached = 0").fetchone()[0])

    def imported_count(self) -> int:
        return int(self.conn.execute("SELECT count(*) FROM ratings WHERE imported = 1").fetchone()[0])
