"""The ingest transaction on PostgreSQL: store a batch of decoded messages exactly once and compute the acks.

The same steps as :mod:`hub.store.sqlite.ledger`, in one transaction: per kiosk (in sorted order, so two ingest
processes never wait on each other's kiosks in a cycle) its ``kiosk_state`` row is locked first (``FOR UPDATE``:
processes handling the same kiosk take turns, and each reads what the other committed), seqs already present
are skipped, new ratings are inserted with one ``INSERT … SELECT FROM unnest(…) ON CONFLICT DO NOTHING
RETURNING seq``, and the hourly and reason rollups are incremented for the returned rows only (the daily and
cumulative rollups follow through triggers). Refused ratings are kept in ``rejected``, ratings from unknown
kiosks in ``quarantine``. Then the highest contiguous seq held is advanced; it is what the hub acknowledges
(after the commit, by the caller). A gap behind it yields a resend request once it is older than a grace
(``locks.py``: another worker's batch may fill it).
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterable
from typing import Any

import msgspec

from feedback import protocol as p
from feedback.abuse import TapLimit, TapState
from feedback.rating import Rating
from hub.reports.flags import flags_of
from hub.reports.localtime import local_bucket
from hub.reports.schedule import Schedule
from hub.store.postgresql.connection import Conn, transaction
from hub.store.postgresql.locks import keep_state, lock_kiosk, lock_locations, resend_decision
from hub.store.postgresql.placing import Locator, effective_time, is_closed, locator, schedule
from hub.store.postgresql.taps import load_state, neighbours, save_state
from hub.store.records import Incoming, Outcome

DEFAULT_LIMIT = TapLimit()
RATING_COLUMNS = (
    "kiosk_id, seq, uuid, location_id, face, scale, question, reason, device_time_ms, time_ms, time_flag, boot_id,"
    " mono_ms, misuse_device, misuse, received_ms, local_day, local_hour, closed"
)
RATING_TYPES = (
    "text", "bigint", "text", "text", "smallint", "smallint", "text", "text", "bigint", "bigint", "text", "text",
    "bigint", "smallint", "smallint", "bigint", "text", "smallint", "smallint",
)  # fmt: skip
# One JSON parameter holding the batch's rows, read by json_to_recordset: psycopg dumps the arrays ``unnest`` takes
# element by element in Python (37 % of a worker's samples in bench.pipeline_drain_pg); msgspec encodes the
# rows in C, and the insert ran 1.4-1.55x as fast at 100-5,000 rows per statement, client time included.
_NAMES = [c.strip() for c in RATING_COLUMNS.split(",")]
INSERT_RATINGS = (
    f"INSERT INTO ratings ({RATING_COLUMNS}) SELECT {RATING_COLUMNS} FROM json_to_recordset(?::json) AS r("
    + ", ".join(f"{n} {t}" for n, t in zip(_NAMES, RATING_TYPES, strict=True))
    + ") ON CONFLICT DO NOTHING RETURNING seq"
)
_encode = msgspec.json.Encoder().encode


def rows_json(rows: list[tuple[Any, ...]]) -> str:
    """The ratings rows (in ``RATING_COLUMNS`` order) as the JSON array of objects ``INSERT_RATINGS`` reads."""
    return _encode([dict(zip(_NAMES, row, strict=True)) for row in rows]).decode()


def _rate_limited(r: Rating, limit: TapLimit) -> p.Rejection:
    detail = f"over {limit.per_minute} taps per minute from this kiosk"
    return p.Rejection("rate_limited", detail, r.seq, p.rating_to_wire(r))


def _held_seqs(conn: Conn, kiosk_id: str, low: int, high: int) -> set[int]:
    rows = conn.execute(
        "SELECT seq FROM ratings WHERE kiosk_id = ?1 AND seq BETWEEN ?2 AND ?3"
        " UNION ALL SELECT seq FROM rejected WHERE kiosk_id = ?1 AND seq BETWEEN ?2 AND ?3"
        " UNION ALL SELECT seq FROM quarantine WHERE kiosk_id = ?1 AND seq BETWEEN ?2 AND ?3",
        (kiosk_id, low, high),
    )
    return {r[0] for r in rows}


def _stored_uuids(conn: Conn, kiosk_id: str, seqs: set[int]) -> dict[int, str]:
    rows = conn.execute(
        "SELECT seq, uuid FROM ratings WHERE kiosk_id = ? AND seq BETWEEN ? AND ?", (kiosk_id, min(seqs), max(seqs))
    )
    return {seq: uuid for seq, uuid in rows if seq in seqs}


def advance(conn: Conn, kiosk_id: str, through: int, known: set[int]) -> int:
    """Walk the contiguous run of held seqs after ``through``."""
    while True:
        if through + 1 in known:
            through += 1
            continue
        held = _held_seqs(conn, kiosk_id, through + 1, through + 10_000)
        if through + 1 not in held:
            return through
        known |= held


def store_batch(conn: Conn, items: Iterable[Incoming], *, now_ms: int, limit: TapLimit = DEFAULT_LIMIT) -> Outcome:
    """Run the ingest transaction; the caller acknowledges (PUBACK + app ack) only after it returns."""
    out = Outcome()
    by_kiosk: dict[str, list[Incoming]] = {}
    for item in items:
        by_kiosk.setdefault(item.kiosk_id, []).append(item)
    with transaction(conn):
        lock_locations(conn, list(by_kiosk))
        for kiosk_id in sorted(by_kiosk):
            ack = store_kiosk(conn, kiosk_id, by_kiosk[kiosk_id], now_ms, out, limit)
            if ack is not None:
                out.acks[kiosk_id] = ack
    return out


def store_kiosk(
    conn: Conn,
    kiosk_id: str,
    group: list[Incoming],
    now_ms: int,
    out: Outcome,
    limit: TapLimit = DEFAULT_LIMIT,
) -> p.Ack | None:
    state = lock_kiosk(conn, kiosk_id)
    row = conn.execute(
        "SELECT k.location_id, l.timezone FROM kiosks k JOIN locations l ON l.id = k.location_id WHERE k.id = ?",
        (kiosk_id,),
    ).fetchone()

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
            "INSERT INTO quarantine (kiosk_id, seq, received_ms, rating_json) VALUES (?,?,?,?) ON CONFLICT DO NOTHING",
            [(kiosk_id, r.seq, received[id(r)], json.dumps(p.rating_to_wire(r))) for r in fresh.values()],
        )
        out.quarantined += len(fresh)
    else:
        locate = locator(conn, kiosk_id, row[0], row[1])
        limited = _insert_ratings(conn, kiosk_id, locate, list(fresh.values()), received, now_ms, limit, out)
        out.stored += len(fresh) - len(limited)
        for r in limited:
            rejections.append((Incoming(kiosk_id, received[id(r)]), _rate_limited(r, limit)))
            del fresh[r.seq]

    for item, rj in rejections:
        out.rejected[rj.reason] += 1
        if rj.seq is not None and (rj.seq in held or rj.seq in fresh):
            continue
        conn.execute(
            "INSERT INTO rejected (kiosk_id, seq, rating_seq, received_ms, reason, detail, payload)"
            " VALUES (?,?,?,?,?,?,?) ON CONFLICT DO NOTHING",
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
    new_through = advance(conn, kiosk_id, state.acked_through, known)
    has_gap = bool(seqs) and max(seqs) > new_through + 1
    resend_from, kept = resend_decision(state, new_through, has_gap=has_gap, now_ms=now_ms)
    keep_state(conn, kiosk_id, kept, now_ms=now_ms)
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
    conn: Conn,
    kiosk_id: str,
    locate: Locator,
    ratings: list[Rating],
    received: dict[int, int],
    now_ms: int,
    limit: TapLimit,
    out: Outcome,
) -> list[Rating]:
    """Insert ratings judged by the hub's own rules (``feedback.abuse``) in seq order; returns those refused
    for going over the tap limit (not inserted)."""
    rows: list[tuple[Any, ...]] = []
    buckets: dict[int, tuple[tuple[Any, ...], tuple[Any, ...] | None]] = {}  # seq: its hourly and reason keys
    boots: dict[tuple[str, str], int | None] = {}
    intervals: dict[str, float] = {}
    schedules: dict[str, Schedule | None] = {}
    state = load_state(conn, kiosk_id)
    gap_previous: tuple[int, int] | None = None  # (seq, time) of the latest gap-filling tap of this batch
    # taps at or below the kiosk's latest fill gaps (nothing below is written before the insert at the end)
    gaps = [r.seq for r in ratings if r.seq <= state.last_seq]
    around = neighbours(conn, kiosk_id, gaps) if gaps else {}
    refused: list[Rating] = []
    for r in sorted(ratings, key=lambda r: r.seq):
        rec = received.get(id(r), now_ms)
        t, flag = effective_time(conn, r, rec, boots)
        if r.seq > state.last_seq:
            judge = state
            t, out_of_order = state.in_order(t)
            if state.is_over(t, limit) and limit.is_throttling:
                refused.append(r)
                continue
        else:  # filling a gap: judged between its stored neighbours (the minute window is not counted)
            before, after_ms = around[r.seq]
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
        misuse = int(judge.is_misuse(t, interval_s=intervals[location_id]))
        if judge is state:
            state.took(r.seq, t)
        else:
            gap_previous = (r.seq, t)
        day, hour, weekday = local_bucket(tz, t)
        closed = int(is_closed(schedules[location_id], tz, t, day, weekday))
        flags = flags_of(misuse=misuse, closed=closed)
        rows.append(
            (
                r.kiosk_id,
                r.seq,
                r.uuid,
                location_id,
                r.face,
                r.scale,
                r.question_id,
                r.reason,
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
        buckets[r.seq] = (
            (location_id, day, hour, weekday, r.kiosk_id, r.scale, r.face, flags),
            (location_id, day, r.reason, r.scale, r.face, flags) if r.reason is not None else None,
        )
    if state.over_limit:
        out.over_limit[kiosk_id] += state.over_limit
    save_state(conn, kiosk_id, state, now_ms=now_ms)
    hourly: Counter[tuple[Any, ...]] = Counter()
    reasons: Counter[tuple[Any, ...]] = Counter()
    if rows:
        for (seq,) in conn.execute(INSERT_RATINGS, (rows_json(rows),)).fetchall():  # the rows inserted, only those
            hour_key, reason_key = buckets[seq]
            hourly[hour_key] += 1
            if reason_key is not None:
                reasons[reason_key] += 1
    out.locations.update(key[0] for key in hourly)
    count_in_rollups(conn, hourly, reasons)
    return refused


def count_in_rollups(conn: Conn, hourly: Counter[tuple[Any, ...]], reasons: Counter[tuple[Any, ...]]) -> None:
    """Add newly stored ratings to the rollups, inside the caller's transaction (the daily and cumulative rollups
    follow through triggers). ``hourly`` counts ``(location, day, hour, weekday, kiosk, scale, face, flags)``,
    ``reasons`` ``(location, day, reason, scale, face, flags)`` (``hub.reports.flags``; the rollups' column for
    them is still named ``misuse``); the ingest and the importer both call this."""
    # keys in sorted order: concurrent transactions lock the rollup rows they share in one order
    if hourly:
        keys = sorted(hourly)
        conn.execute(
            "INSERT INTO rollup_hourly (location_id, local_day, local_hour, weekday, kiosk_id, scale, face, misuse, n)"
            " SELECT * FROM unnest(?::text[], ?::text[], ?::smallint[], ?::smallint[], ?::text[], ?::smallint[],"
            " ?::smallint[], ?::smallint[], ?::int[])"
            " ON CONFLICT (location_id, local_day, local_hour, kiosk_id, scale, face, misuse)"
            " DO UPDATE SET n = rollup_hourly.n + excluded.n",
            [*(list(c) for c in zip(*keys, strict=True)), [hourly[k] for k in keys]],
        )
    if reasons:
        keys = sorted(reasons)
        conn.execute(
            "INSERT INTO rollup_reasons (location_id, local_day, reason, scale, face, misuse, n)"
            " SELECT * FROM unnest(?::text[], ?::text[], ?::text[], ?::smallint[], ?::smallint[], ?::smallint[],"
            " ?::int[]) ON CONFLICT (location_id, local_day, reason, scale, face, misuse)"
            " DO UPDATE SET n = rollup_reasons.n + excluded.n",
            [*(list(c) for c in zip(*keys, strict=True)), [reasons[k] for k in keys]],
        )
