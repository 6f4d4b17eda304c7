"""What the PostgreSQL ingest locks, so that several ingest workers can share the store: each kiosk's state row
(workers handling one kiosk take turns) and each location's rollups; and when to ask for a resend of a gap.

With several workers, a kiosk's later batch is often committed before an earlier one that another worker still
holds: the gap it leaves is in flight, not lost. A gap is only worth a resend once it has outlived
``GAP_GRACE_MS`` (then at most one request per ``RESEND_INTERVAL_MS``, as on SQLite); the kiosk's own ack
timeout covers a gap no later batch reveals.
"""

from __future__ import annotations

from dataclasses import dataclass

from hub.store.postgresql.connection import Conn

RESEND_INTERVAL_MS = 5_000
GAP_GRACE_MS = 2_000  # a gap younger than this may be another worker's batch in flight
ROLLUP_LOCK = 0x68756272  # pg_advisory_xact_lock(ROLLUP_LOCK, hashtext(location_id)): "hubr"


@dataclass(frozen=True, slots=True)
class KioskState:
    acked_through: int
    last_resend_ms: int | None
    gap_through: int | None  # a gap after this seq was first seen ...
    gap_seen_ms: int | None  # ... at this time


def lock_kiosk(conn: Conn, kiosk_id: str) -> KioskState:
    """Take the kiosk's state row lock for this transaction (another transaction for this kiosk waits until this
    one ends) and read it."""
    conn.execute("INSERT INTO kiosk_state (kiosk_id) VALUES (?) ON CONFLICT DO NOTHING", (kiosk_id,))
    row = conn.execute(
        "SELECT acked_through, last_resend_ms, gap_through, gap_seen_ms FROM kiosk_state WHERE kiosk_id = ? FOR UPDATE",
        (kiosk_id,),
    ).fetchone()
    return KioskState(int(row[0]), row[1], row[2], row[3])


def lock_locations(conn: Conn, kiosk_ids: list[str]) -> None:
    """Take the rollup lock of each location these kiosks stand at, in sorted order, before any kiosk's lock.

    The rollups of one location are shared by all its kiosks, and their triggers update the cumulative rows of
    every later day: two ingest processes counting into the same location would lock those rows in different
    orders and deadlock (retried, but slow). One process at a time counts into a location; different locations
    go on in parallel. (A tap from before a move counts at another location, locked when reached.)
    """
    rows = conn.execute("SELECT DISTINCT location_id FROM kiosks WHERE id = ANY(?) ORDER BY 1", (kiosk_ids,))
    for (location_id,) in rows:
        conn.execute("SELECT pg_advisory_xact_lock(?::int, hashtext(?))", (ROLLUP_LOCK, location_id))


def may_resend(last_resend_ms: int | None, now_ms: int) -> bool:
    """At most one resend request per kiosk every ``RESEND_INTERVAL_MS`` (no storms while a gap fills)."""
    return last_resend_ms is None or now_ms - last_resend_ms >= RESEND_INTERVAL_MS


def resend_decision(
    state: KioskState, new_through: int, *, has_gap: bool, now_ms: int
) -> tuple[int | None, KioskState]:
    """Whether to ask for a resend from ``new_through + 1``, and the state to keep."""
    if not has_gap:
        return None, KioskState(new_through, state.last_resend_ms, None, None)
    if state.gap_through != new_through or state.gap_seen_ms is None:
        return None, KioskState(new_through, state.last_resend_ms, new_through, now_ms)
    if now_ms - state.gap_seen_ms >= GAP_GRACE_MS and may_resend(state.last_resend_ms, now_ms):
        return new_through + 1, KioskState(new_through, now_ms, new_through, state.gap_seen_ms)
    return None, KioskState(new_through, state.last_resend_ms, state.gap_through, state.gap_seen_ms)


def keep_state(conn: Conn, kiosk_id: str, state: KioskState, *, now_ms: int) -> None:
    conn.execute(
        "UPDATE kiosk_state SET acked_through = ?, last_seen_ms = ?, last_resend_ms = ?, gap_through = ?,"
        " gap_seen_ms = ? WHERE kiosk_id = ?",
        (state.acked_through, now_ms, state.last_resend_ms, state.gap_through, state.gap_seen_ms, kiosk_id),
    )
