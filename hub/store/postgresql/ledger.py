"""The ingest transaction on PostgreSQL: store a batch of decoded messages exactly once and compute the acks.

Per kiosk, in one transaction, with the kiosk's ``kiosk_state`` row locked (``FOR UPDATE``) so that several
ingest workers handling the same kiosk take turns: the seqs already held are read after the lock (every
statement sees what other workers committed), new ratings are inserted with one ``INSERT … SELECT FROM
unnest(…) ON CONFLICT DO NOTHING RETURNING`` and the rollups are incremented for the rows it returned only.
Then the highest contiguous seq held is derived from the table and stored; the caller acknowledges it after
the commit. Kiosks are handled in sorted order, so two workers never wait on each other's kiosk locks in a
cycle.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from feedback import protocol as p
from feedback.rating import Rating
from hub.reports.localtime import local_bucket
from hub.store import rules
from hub.store.postgresql.connection import Conn
from hub.store.postgresql.rollups import add_to_rollups
from hub.store.records import Incoming, Outcome

RATING_COLUMNS = (
    "kiosk_id, seq, uuid, location_id, face, scale, question, reason, device_time_ms, time_ms, time_flag, boot_id,"
    " mono_ms, misuse_device, misuse, received_ms, local_day, local_hour"
)
RATING_TYPES = (
    "text", "bigint", "text", "text", "smallint", "smallint", "text", "text", "bigint", "bigint", "text", "text",
    "bigint", "smallint", "smallint", "bigint", "text", "smallint",
)  # fmt: skip
INSERT_RATINGS = (
    f"INSERT INTO ratings ({RATING_COLUMNS}) SELECT * FROM unnest("
    + ", ".join(f"%s::{t}[]" for t in RATING_TYPES)
    + ") ON CONFLICT DO NOTHING RETURNING seq"
)


def held_seqs(conn: Conn, kiosk_id: str, low: int, high: int) -> set[int]:
    rows = conn.execute(
        "SELECT seq FROM ratings WHERE kiosk_id = %(k)s AND seq BETWEEN %(lo)s AND %(hi)s"
        " UNION ALL SELECT seq FROM rejected WHERE kiosk_id = %(k)s AND seq BETWEEN %(lo)s AND %(hi)s"
        " UNION ALL SELECT seq FROM quarantine WHERE kiosk_id = %(k)s AND seq BETWEEN %(lo)s AND %(hi)s",
        {"k": kiosk_id, "lo": low, "hi": high},
    )
    return {r[0] for r in rows}


def advance(conn: Conn, kiosk_id: str, through: int, known: set[int]) -> int:
    """Walk the contiguous run of held seqs after ``through``."""
    while True:
        if through + 1 in known:
            through += 1
            continue
        held = held_seqs(conn, kiosk_id, through + 1, through + 10_000)
        if through + 1 not in held:
            return through
        known |= held


@dataclass(frozen=True, slots=True)
class KioskState:
    acked_through: int
    last_resend_ms: int | None
    gap_through: int | None  # a gap after this seq was first seen ...
    gap_seen_ms: int | None  # ... at this time


def lock_kiosk(conn: Conn, kiosk_id: str) -> KioskState:
    """Take the kiosk's state row lock for this transaction (other workers' transactions for this kiosk wait)."""
    conn.execute("INSERT INTO kiosk_state (kiosk_id) VALUES (%s) ON CONFLICT DO NOTHING", (kiosk_id,))
    row = conn.execute(
        "SELECT acked_through, last_resend_ms, gap_through, gap_seen_ms FROM kiosk_state WHERE kiosk_id = %s"
        " FOR UPDATE",
        (kiosk_id,),
    ).fetchone()
    assert row is not None
    return KioskState(int(row[0]), row[1], row[2], row[3])


def resend_decision(
    state: KioskState, new_through: int, *, has_gap: bool, now_ms: int
) -> tuple[int | None, KioskState]:
    """Whether to ask for a resend from ``new_through + 1``, and the state to keep.

    With several ingest workers, a kiosk's later batch is often committed before an earlier one that another
    worker holds: a gap is only worth a resend once it has outlived ``rules.GAP_GRACE_MS`` (then at most one
    request per ``RESEND_INTERVAL_MS``); the kiosk's own ack timeout covers a gap no later batch reveals.
    """
    if not has_gap:
        return None, KioskState(new_through, state.last_resend_ms, None, None)
    if state.gap_through != new_through or state.gap_seen_ms is None:
        return None, KioskState(new_through, state.last_resend_ms, new_through, now_ms)
    if now_ms - state.gap_seen_ms >= rules.GAP_GRACE_MS and rules.may_resend(state.last_resend_ms, now_ms):
        return new_through + 1, KioskState(new_through, now_ms, new_through, state.gap_seen_ms)
    return None, KioskState(new_through, state.last_resend_ms, state.gap_through, state.gap_seen_ms)


def store_batch(conn: Conn, items: Iterable[Incoming], *, now_ms: int) -> Outcome:
    """Run the ingest transaction; the caller acknowledges (PUBACK + app ack) only after it returns."""
    out = Outcome()
    by_kiosk: dict[str, list[Incoming]] = {}
    for item in items:
        by_kiosk.setdefault(item.kiosk_id, []).append(item)
    with conn.transaction():
        for kiosk_id in sorted(by_kiosk):
            ack = store_kiosk(conn, kiosk_id, by_kiosk[kiosk_id], now_ms, out)
            if ack is not None:
                out.acks[kiosk_id] = ack
    return out


def store_kiosk(conn: Conn, kiosk_id: str, group: list[Incoming], now_ms: int, out: Outcome) -> p.Ack | None:
    state = lock_kiosk(conn, kiosk_id)
    row = conn.execute(
        "SELECT k.location_id, l.timezone FROM kiosks k JOIN locations l ON l.id = k.location_id WHERE k.id = %s",
        (kiosk_id,),
    ).fetchone()
    ratings = [r for item in group for r in item.ratings]
    conflicts: list[Rating] = []
    rejections = [(item, rj) for item in group for rj in item.rejections]
    rejections += [(item, item.error) for item in group if item.error is not None]
    seqs = [r.seq for r in ratings] + [rj.seq for _, rj in rejections if rj.seq is not None]
    held = held_seqs(conn, kiosk_id, min(seqs), max(seqs)) if seqs else set()
    received = {id(r): item.received_ms for item in group for r in item.ratings}
    stored_uuids: dict[int, str] = {}
    if held:
        stored_uuids = dict(
            conn.execute(
                "SELECT seq, uuid FROM ratings WHERE kiosk_id = %s AND seq = ANY(%s)", (kiosk_id, sorted(held))
            ).fetchall()
        )
    fresh: dict[int, Rating] = {}
    for r in ratings:
        if r.seq in held or r.seq in fresh:
            known_uuid = stored_uuids.get(r.seq) or (fresh[r.seq].uuid if r.seq in fresh else None)
            if known_uuid is not None and known_uuid != r.uuid:
                conflicts.append(r)  # same (kiosk, seq), another tap: keep it, never drop it silently
            else:
                out.duplicates += 1
        else:
            fresh[r.seq] = r
    if row is None:
        rs = list(fresh.values())
        cur = conn.execute(
            "INSERT INTO quarantine (kiosk_id, seq, received_ms, rating_json)"
            " SELECT %s, * FROM unnest(%s::bigint[], %s::bigint[], %s::text[]) ON CONFLICT DO NOTHING RETURNING seq",
            (
                kiosk_id,
                [r.seq for r in rs],
                [received[id(r)] for r in rs],
                [json.dumps(p.rating_to_wire(r)) for r in rs],
            ),
        )
        out.quarantined += len(cur.fetchall())
    else:
        out.stored += insert_ratings(
            conn, _locator(conn, kiosk_id, row[0], row[1]), list(fresh.values()), received, now_ms
        )

    for item, rj in rejections:
        out.rejected[rj.reason] += 1
        if rj.seq is not None and (rj.seq in held or rj.seq in fresh):
            continue
        conn.execute(
            "INSERT INTO rejected (kiosk_id, seq, rating_seq, received_ms, reason, detail, payload)"
            " VALUES (%s, %s, %s, %s, %s, %s, %s) ON CONFLICT DO NOTHING",
            (
                kiosk_id,
                rj.seq,
                rj.seq,
                item.received_ms,
                rj.reason,
                rj.detail[:500],
                json.dumps(rj.raw)[:4000] if rj.raw is not None else item.raw[:4000].decode("utf-8", "replace"),
            ),
        )
    for r in conflicts:
        out.rejected["seq_conflict"] += 1
        doc = json.dumps(p.rating_to_wire(r))
        conn.execute(
            "INSERT INTO rejected (kiosk_id, seq, rating_seq, received_ms, reason, detail, payload)"
            " SELECT %(k)s, NULL, %(s)s, %(r)s, 'seq_conflict', %(d)s, %(p)s WHERE NOT EXISTS (SELECT 1 FROM rejected"
            " WHERE kiosk_id = %(k)s AND rating_seq = %(s)s AND reason = 'seq_conflict' AND payload = %(p)s)",
            {
                "k": kiosk_id,
                "s": r.seq,
                "r": received[id(r)],
                "d": f"seq {r.seq} already holds another rating",
                "p": doc,
            },
        )
    known = held | set(fresh) | {rj.seq for _, rj in rejections if rj.seq is not None}
    new_through = advance(conn, kiosk_id, state.acked_through, known)
    has_gap = bool(seqs) and max(seqs) > new_through + 1
    resend_from, kept = resend_decision(state, new_through, has_gap=has_gap, now_ms=now_ms)
    conn.execute(
        "UPDATE kiosk_state SET acked_through = %s, last_seen_ms = %s, last_resend_ms = %s, gap_through = %s,"
        " gap_seen_ms = %s WHERE kiosk_id = %s",
        (new_through, now_ms, kept.last_resend_ms, kept.gap_through, kept.gap_seen_ms, kiosk_id),
    )
    refused = tuple((rj.seq, rj.reason) for _, rj in rejections if rj.seq is not None)
    refused += tuple((r.seq, "seq_conflict") for r in conflicts)
    for item in group:
        if item.error is not None:  # told to the device with the reason; its seqs stay unacknowledged
            whole = p.MessageError(item.error.reason, item.error.detail[:200], item.correlation)
            told = tuple((seq, item.error.reason) for seq in p.message_seqs(item.raw))
            out.refusals.append((kiosk_id, p.Ack(new_through, rejected=told, error=whole)))
    if not seqs and not refused:
        return p.Ack(new_through) if any(item.error is None for item in group) else None
    return p.Ack(new_through, resend_from, refused)


Locator = Callable[[int], tuple[str, str]]


def _locator(conn: Conn, kiosk_id: str, current: str, current_tz: str) -> Locator:
    """Where the kiosk stood at a given time: ``(location_id, timezone)``, from its move history."""
    moves = conn.execute(
        "SELECT from_ms, previous_location_id FROM kiosk_moves WHERE kiosk_id = %s ORDER BY from_ms", (kiosk_id,)
    ).fetchall()
    if not moves:
        return lambda t: (current, current_tz)
    zones: dict[str, str] = dict(conn.execute("SELECT id, timezone FROM locations").fetchall())

    def locate(t: int) -> tuple[str, str]:
        for from_ms, previous in moves:
            if t < from_ms:
                return previous, zones[previous]
        return current, current_tz

    return locate


def insert_ratings(conn: Conn, locate: Locator, ratings: list[Rating], received: dict[int, int], now_ms: int) -> int:
    """Insert the ratings; the rollups count the rows actually inserted. Returns how many."""
    if not ratings:
        return 0
    boots: dict[str, int | None] = {}
    rows: list[tuple[Any, ...]] = []
    buckets: dict[int, tuple[Any, ...]] = {}
    for r in ratings:
        if r.boot_id not in boots:
            got = conn.execute(
                "SELECT start_ms FROM boots WHERE kiosk_id = %s AND boot_id = %s", (r.kiosk_id, r.boot_id)
            ).fetchone()
            boots[r.boot_id] = got[0] if got else None
        rec = received.get(id(r), now_ms)
        t, flag = rules.effective_time(r, rec, boots[r.boot_id])
        location_id, tz = locate(t)
        day, hour, weekday = local_bucket(tz, t)
        misuse = int(r.is_misuse)
        rows.append(
            (r.kiosk_id, r.seq, r.uuid, location_id, r.face, r.scale, r.question_id, r.reason, r.time_ms, t, flag,
             r.boot_id, r.mono_ms, misuse, misuse, rec, day, hour)
        )  # fmt: skip
        buckets[r.seq] = (location_id, day, hour, weekday, r.kiosk_id, r.scale, r.face, misuse, r.reason)
    columns = [list(c) for c in zip(*rows, strict=True)]
    inserted = [row[0] for row in conn.execute(INSERT_RATINGS, columns).fetchall()]
    hourly: Counter[tuple[Any, ...]] = Counter()
    reasons: Counter[tuple[Any, ...]] = Counter()
    for seq in inserted:
        location_id, day, hour, weekday, kiosk_id, scale, face, misuse, reason = buckets[seq]
        hourly[(location_id, day, hour, weekday, kiosk_id, scale, face, misuse)] += 1
        if reason is not None:
            reasons[(location_id, day, reason, scale, face, misuse)] += 1
    add_to_rollups(conn, hourly, reasons)
    return len(inserted)
