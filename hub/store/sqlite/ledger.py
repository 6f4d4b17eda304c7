"""The ingest transaction: store a batch of decoded messages exactly once and compute the acks.

For every kiosk in the batch, within one ``BEGIN IMMEDIATE`` transaction: seqs already present are skipped,
new ratings are inserted (``INSERT OR IGNORE`` on ``(kiosk_id, seq)``), the hourly and reason rollups are
incremented for the inserted rows only, refused ratings are kept in ``rejected`` and ratings from unknown
kiosks in ``quarantine``. Then the highest contiguous seq held is advanced; it is what the hub acknowledges
(after the commit, by the caller). A gap behind it yields a resend request.
"""

from __future__ import annotations

import json
import sqlite3
from collections import Counter
from collections.abc import Iterable
from operator import attrgetter
from typing import Any

from feedback import protocol as p
from feedback.abuse import TapLimit, TapState
from feedback.rating import Rating
from hub.reports.flags import MISUSE, OUTSIDE_HOURS
from hub.reports.localtime import QUARTER_MS, local_bucket
from hub.reports.schedule import Schedule
from hub.store.records import Incoming, Outcome
from hub.store.sqlite.connection import immediate
from hub.store.sqlite.cumulative import Changes
from hub.store.sqlite.placing import Locator, effective_time, is_closed, locator, schedule
from hub.store.sqlite.taps import load_state, neighbours, save_state

RESEND_INTERVAL_MS = 5_000
DEFAULT_LIMIT = TapLimit()
_by_seq = attrgetter("seq")


def _rate_limited(r: Rating, limit: TapLimit) -> p.Rejection:
    detail = f"over {limit.per_minute} taps per minute from this kiosk"
    return p.Rejection("rate_limited", detail, r.seq, p.rating_to_wire(r))


def _held_seqs(conn: sqlite3.Connection, kiosk_id: str, low: int, high: int) -> set[int]:
    rows = conn.execute(
        "SELECT seq FROM ratings WHERE kiosk_id = ?1 AND seq BETWEEN ?2 AND ?3"
        " UNION ALL SELECT seq FROM rejected WHERE kiosk_id = ?1 AND seq BETWEEN ?2 AND ?3"
        " UNION ALL SELECT seq FROM quarantine WHERE kiosk_id = ?1 AND seq BETWEEN ?2 AND ?3",
        (kiosk_id, low, high),
    )
    return {r[0] for r in rows}


def _stored_uuids(conn: sqlite3.Connection, kiosk_id: str, seqs: set[int]) -> dict[int, str]:
    rows = conn.execute(
        "SELECT seq, uuid FROM ratings WHERE kiosk_id = ? AND seq BETWEEN ? AND ?", (kiosk_id, min(seqs), max(seqs))
    )
    return {seq: uuid for seq, uuid in rows if seq in seqs}


def advance(conn: sqlite3.Connection, kiosk_id: str, through: int, known: set[int]) -> int:
    """Walk the contiguous run of held seqs after ``through``."""
    while True:
        if through + 1 in known:
            through += 1
            continue
        held = _held_seqs(conn, kiosk_id, through + 1, through + 10_000)
        if through + 1 not in held:
            return through
        known |= held


def store_batch(
    conn: sqlite3.Connection, items: Iterable[Incoming], *, now_ms: int, limit: TapLimit = DEFAULT_LIMIT
) -> Outcome:
    """Run the ingest transaction; the caller acknowledges (PUBACK + app ack) only after it returns."""
    with immediate(conn):
        return store_in_transaction(conn, items, now_ms=now_ms, limit=limit)


def store_in_transaction(
    conn: sqlite3.Connection, items: Iterable[Incoming], *, now_ms: int, limit: TapLimit = DEFAULT_LIMIT
) -> Outcome:
    """:func:`store_batch` inside the caller's write transaction."""
    out = Outcome()
    by_kiosk: dict[str, list[Incoming]] = {}
    for item in items:
        by_kiosk.setdefault(item.kiosk_id, []).append(item)
    cumulative = Changes()
    cumulative.pause(conn)
    for kiosk_id, group in by_kiosk.items():
        ack = store_kiosk(conn, kiosk_id, group, now_ms, out, limit, cumulative)
        if ack is not None:
            out.acks[kiosk_id] = ack
    cumulative.apply(conn)
    return out


def store_kiosk(
    conn: sqlite3.Connection,
    kiosk_id: str,
    group: list[Incoming],
    now_ms: int,
    out: Outcome,
    limit: TapLimit = DEFAULT_LIMIT,
    cumulative: Changes | None = None,
) -> p.Ack | None:
    row = conn.execute(
        "SELECT k.location_id, l.timezone FROM kiosks k JOIN locations l ON l.id = k.location_id WHERE k.id = ?",
        (kiosk_id,),
    ).fetchone()
    state = conn.execute(
        "SELECT acked_through, last_resend_ms FROM kiosk_state WHERE kiosk_id = ?", (kiosk_id,)
    ).fetchone()
    through, last_resend = (state[0], state[1]) if state else (0, None)

    ratings = [r for item in group for r in item.ratings]
    conflicts: list[Rating] = []
    rejections = [(item, rj) for item in group for rj in item.rejections]
    for item in group:
        if item.error is not None:
            rejections.append((item, item.error))
    seqs = [r.seq for r in ratings] + [rj.seq for _, rj in rejections if rj.seq is not None]
    held = _held_seqs(conn, kiosk_id, min(seqs), max(seqs)) if seqs else set()
    received = {id(r): item.received_ms for item in group for r in item.ratings}

    stored_uuids = _stored_uuids(conn, kiosk_id, held) if held else {}
    fresh: dict[int, Rating] = {}
    for r in ratings:
        if r.seq in held or r.seq in fresh:
            known_uuid = stored_uuids.get(r.seq) or (fresh[r.seq].uuid if r.seq in fresh else None)
            if known_uuid is not None and known_uuid != r.uuid:
                # same (kiosk, seq), another tap: a device that reused seqs. Keep it, never drop it silently.
                conflicts.append(r)
            else:
                out.duplicates += 1
        else:
            fresh[r.seq] = r
    if row is None:
        conn.executemany(
            "INSERT OR IGNORE INTO quarantine (kiosk_id, seq, received_ms, rating_json) VALUES (?,?,?,?)",
            [(kiosk_id, r.seq, received[id(r)], json.dumps(p.rating_to_wire(r))) for r in fresh.values()],
        )
        out.quarantined += len(fresh)
    else:
        locate = locator(conn, kiosk_id, row[0], row[1])
        limited = _insert_ratings(
            conn, kiosk_id, locate, list(fresh.values()), received, now_ms, limit, out, cumulative
        )
        out.stored += len(fresh) - len(limited)
        for r in limited:
            rejections.append((Incoming(kiosk_id, received[id(r)]), _rate_limited(r, limit)))
            del fresh[r.seq]

    for item, rj in rejections:
        out.rejected[rj.reason] += 1
        if rj.seq is not None and (rj.seq in held or rj.seq in fresh):
            continue
        conn.execute(
            "INSERT OR IGNORE INTO rejected (kiosk_id, seq, rating_seq, received_ms, reason, detail, payload)"
            " VALUES (?,?,?,?,?,?,?)",
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
        # seq stays NULL (the seq is held by the other rating); rating_seq says which one, once per seq
        conn.execute(
            "INSERT INTO rejected (kiosk_id, seq, rating_seq, received_ms, reason, detail, payload)"
            " SELECT ?, NULL, ?, ?, 'seq_conflict', ?, ? WHERE NOT EXISTS (SELECT 1 FROM rejected"
            " WHERE kiosk_id = ? AND rating_seq = ? AND reason = 'seq_conflict' AND payload = ?)",
            (
                kiosk_id,
                r.seq,
                received[id(r)],
                f"seq {r.seq} already holds another rating",
                json.dumps(p.rating_to_wire(r)),
                kiosk_id,
                r.seq,
                json.dumps(p.rating_to_wire(r)),
            ),
        )
    known = held | set(fresh) | {rj.seq for _, rj in rejections if rj.seq is not None}
    new_through = advance(conn, kiosk_id, through, known)
    resend_from = None
    if seqs and max(seqs) > new_through + 1 and (last_resend is None or now_ms - last_resend >= RESEND_INTERVAL_MS):
        resend_from = new_through + 1
        last_resend = now_ms
    conn.execute(
        "INSERT INTO kiosk_state (kiosk_id, acked_through, last_seen_ms, last_resend_ms) VALUES (?,?,?,?)"
        " ON CONFLICT(kiosk_id) DO UPDATE SET acked_through = excluded.acked_through,"
        " last_seen_ms = excluded.last_seen_ms, last_resend_ms = excluded.last_resend_ms",
        (kiosk_id, new_through, now_ms, last_resend),
    )
    refused = tuple((rj.seq, rj.reason) for _, rj in rejections if rj.seq is not None)
    refused += tuple((r.seq, "seq_conflict") for r in conflicts)
    for item in group:
        if item.error is not None:  # told to the device with the reason; its seqs stay unacknowledged
            whole = p.MessageError(item.error.reason, item.error.detail[:200], item.correlation)
            told = tuple((seq, item.error.reason) for seq in p.message_seqs(item.raw))
            out.refusals.append((kiosk_id, p.Ack(new_through, rejected=told, error=whole)))
    if not seqs and not refused:
        # a message refused whole is answered by its own ack (Outcome.refusals), not by a bare one
        return p.Ack(new_through) if any(item.error is None for item in group) else None
    return p.Ack(new_through, resend_from, refused)


def _insert_ratings(
    conn: sqlite3.Connection,
    kiosk_id: str,
    locate: Locator,
    ratings: list[Rating],
    received: dict[int, int],
    now_ms: int,
    limit: TapLimit,
    out: Outcome,
    cumulative: Changes | None,
) -> list[Rating]:
    """Insert ratings judged by the hub's own rules (``feedback.abuse``) in seq order; returns those refused
    for going over the tap limit (not inserted)."""
    rows: list[tuple[Any, ...]] = []
    hourly: Counter[tuple[Any, ...]] = Counter()
    reasons: Counter[tuple[Any, ...]] = Counter()
    boots: dict[tuple[str, str], int | None] = {}
    intervals: dict[str, float] = {}
    schedules: dict[str, Schedule | None] = {}
    state = load_state(conn, kiosk_id)
    gap_previous: tuple[int, int] | None = None  # (seq, time) of the latest gap-filling tap of this batch
    refused: list[Rating] = []
    # This loop runs once per rating received (bench.pipeline_drain): the state's methods and the last local
    # bucket (one per quarter of an hour, local_bucket's own unit) are looked up once, not per rating.
    in_order, is_over, is_misuse, took = state.in_order, state.is_over, state.is_misuse, state.took
    is_throttling = limit.is_throttling
    quarter: tuple[str, int] | None = None
    day, hour, weekday = "", 0, 0
    for r in sorted(ratings, key=_by_seq):
        seq = r.seq
        rec = received.get(id(r), now_ms)
        t, flag = effective_time(conn, r, rec, boots)
        if seq > state.last_seq:
            judge = state
            t, out_of_order = in_order(t)
            if is_over(t, limit) and is_throttling:
                refused.append(r)
                continue
        else:  # filling a gap: judged between its stored neighbours (the minute window is not counted)
            before, after_ms = neighbours(conn, kiosk_id, seq)
            if gap_previous is not None and (before is None or gap_previous[0] > before[0]):
                before = gap_previous
            judge = TapState(last_tap_ms=before[1] if before else None)
            t, out_of_order = judge.in_order(t)
            if after_ms is not None and t > after_ms:
                t, out_of_order = max(after_ms, judge.last_tap_ms or after_ms), True
        if out_of_order:
            flag = "time_out_of_order"
        location_id, tz = locate(t)
        if location_id not in intervals:
            got = conn.execute("SELECT response_interval_s FROM locations WHERE id = ?", (location_id,)).fetchone()
            intervals[location_id] = got[0] if got else 0.0
            schedules[location_id] = schedule(conn, location_id)
        if judge is state:
            misuse = int(is_misuse(t, interval_s=intervals[location_id]))
            took(seq, t)
        else:
            misuse = int(judge.is_misuse(t, interval_s=intervals[location_id]))
            gap_previous = (seq, t)
        if quarter != (tz, t // QUARTER_MS):
            quarter = (tz, t // QUARTER_MS)
            day, hour, weekday = local_bucket(tz, t)
        plan = schedules[location_id]
        closed = 0 if plan is None else int(is_closed(plan, tz, t, day, weekday))
        face, scale, reason = r.face, r.scale, r.reason
        rows.append(
            (
                kiosk_id,
                seq,
                r.uuid,
                location_id,
                face,
                scale,
                r.question_id,
                reason,
                r.time_ms,
                t,
                flag,
                r.boot_id,
                r.mono_ms,
                int(r.is_misuse),
                misuse,
                rec,
                day,
                hour,
                closed,
            )
        )
        flags = misuse * MISUSE | closed * OUTSIDE_HOURS  # hub.reports.flags.flags_of, inlined
        hourly[(location_id, day, hour, weekday, kiosk_id, scale, face, flags)] += 1
        if reason is not None:
            reasons[(location_id, day, reason, scale, face, flags)] += 1
    if state.over_limit:
        out.over_limit[kiosk_id] += state.over_limit
    save_state(conn, kiosk_id, state, now_ms=now_ms)
    conn.executemany(
        "INSERT OR IGNORE INTO ratings (kiosk_id, seq, uuid, location_id, face, scale, question, reason,"
        " device_time_ms, time_ms, time_flag, boot_id, mono_ms, misuse_device, misuse, received_ms, local_day,"
        " local_hour, closed) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
        rows,
    )
    out.locations.update(key[0] for key in hourly)
    count_in_rollups(conn, hourly, reasons, cumulative)
    return refused


def count_in_rollups(
    conn: sqlite3.Connection,
    hourly: Counter[tuple[Any, ...]],
    reasons: Counter[tuple[Any, ...]],
    cumulative: Changes | None = None,
) -> None:
    """Add newly stored ratings to the rollups, inside the caller's transaction (the daily rollup follows through
    triggers, the cumulative one too unless the caller gathers its ``cumulative`` changes). ``hourly`` counts
    ``(location, day, hour, weekday, kiosk, scale, face, flags)``, ``reasons`` ``(location, day, reason, scale,
    face, flags)`` (``hub.reports.flags``; the rollups' column for them is still named ``misuse``); the ingest and
    the importer both call this."""
    conn.executemany(
        "INSERT INTO rollup_hourly (location_id, local_day, local_hour, weekday, kiosk_id, scale, face, misuse, n)"
        " VALUES (?,?,?,?,?,?,?,?,?) ON CONFLICT DO UPDATE SET n = n + excluded.n",
        [(*k, n) for k, n in hourly.items()],
    )
    if cumulative is not None:
        cumulative.add(hourly)
    if reasons:
        conn.executemany(
            "INSERT INTO rollup_reasons (location_id, local_day, reason, scale, face, misuse, n)"
            " VALUES (?,?,?,?,?,?,?) ON CONFLICT DO UPDATE SET n = n + excluded.n",
            [(*k, n) for k, n in reasons.items()],
        )
