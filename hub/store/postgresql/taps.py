"""Each kiosk's tap state for the hub's own rules (``feedback.abuse``): its latest tap by seq, its current
one-minute window and how often it went over the tap limit. Read and written inside the ingest transaction."""

from __future__ import annotations

from feedback.abuse import TapState
from hub.store.postgresql.connection import Conn


def load_state(conn: Conn, kiosk_id: str) -> TapState:
    row = conn.execute(
        "SELECT last_seq, last_tap_ms, window_start_ms, window_taps FROM kiosk_taps WHERE kiosk_id = ?", (kiosk_id,)
    ).fetchone()
    if row is not None:
        return TapState(row[0], row[1], row[2], row[3])
    # first batch since this table existed: the latest stored tap is the previous one
    last = conn.execute(
        "SELECT seq, time_ms FROM ratings WHERE kiosk_id = ? ORDER BY seq DESC LIMIT 1", (kiosk_id,)
    ).fetchone()
    return TapState(last[0], last[1]) if last else TapState()


def save_state(conn: Conn, kiosk_id: str, state: TapState, *, now_ms: int) -> None:
    conn.execute(
        "INSERT INTO kiosk_taps (kiosk_id, last_seq, last_tap_ms, window_start_ms, window_taps, over_limit_total,"
        " over_limit_ms) VALUES (?1, ?2, ?3, ?4, ?5, ?6, CASE WHEN ?6 > 0 THEN ?7 END)"
        " ON CONFLICT (kiosk_id) DO UPDATE SET last_seq = excluded.last_seq, last_tap_ms = excluded.last_tap_ms,"
        " window_start_ms = excluded.window_start_ms, window_taps = excluded.window_taps,"
        " over_limit_total = kiosk_taps.over_limit_total + excluded.over_limit_total,"
        " over_limit_ms = coalesce(excluded.over_limit_ms, kiosk_taps.over_limit_ms)",
        (
            kiosk_id,
            state.last_seq,
            state.last_tap_ms,
            state.window_start_ms,
            state.window_taps,
            state.over_limit,
            now_ms,
        ),
    )


Neighbours = tuple[tuple[int, int] | None, int | None]


def neighbours(conn: Conn, kiosk_id: str, seqs: list[int]) -> dict[int, Neighbours]:
    """For taps filling gaps, each seq's ``(seq, time_ms)`` of the stored tap before it and the time of the one
    after, in one statement (with several ingest workers a batch often lands behind a later one: a query per
    tap made such a batch several times slower, bench/pipeline_drain_pg.py)."""
    rows = conn.execute(
        "SELECT g.seq, b.seq, b.time_ms, a.time_ms FROM unnest(?2::bigint[]) AS g(seq)"
        " LEFT JOIN LATERAL (SELECT seq, time_ms FROM ratings WHERE kiosk_id = ?1 AND seq < g.seq"
        " ORDER BY seq DESC LIMIT 1) b ON true"
        " LEFT JOIN LATERAL (SELECT time_ms FROM ratings WHERE kiosk_id = ?1 AND seq > g.seq"
        " ORDER BY seq LIMIT 1) a ON true",
        (kiosk_id, seqs),
    )
    return {seq: ((b_seq, b_ms) if b_seq is not None else None, a_ms) for seq, b_seq, b_ms, a_ms in rows}
