"""Kiosk presence and the other small writes of the ingest: statuses (birth, heartbeat, will), boots and their
clock skew, remote-config reports, quarantine promotion and the hub's own epoch."""

from __future__ import annotations

import json
import sqlite3

from feedback import protocol as p
from feedback.remote_config import ConfigReport
from hub.store.records import Incoming, Outcome
from hub.store.sqlite.connection import immediate
from hub.store.sqlite.ledger import RESEND_INTERVAL_MS, advance, store_kiosk


def store_status(
    conn: sqlite3.Connection, kiosk_id: str, status: p.Status, *, received_ms: int, is_retained: bool
) -> p.Ack | None:
    """Record a kiosk's presence; returns the ack to send back, if any.

    A live birth is answered with the hub's cumulative ack naming the birth (``Ack.birth``), so a (re)connected
    kiosk learns what the hub holds; when the kiosk was acknowledged beyond that (the hub lost data), the answer
    asks for a resend. A *fresh* birth (new storage under this id: a re-flashed or replaced device) settles every
    seq up to the highest the hub holds in any form — the old storage is gone, and the ingest answers a birth
    only after storing everything that reached it before — so the device numbers its taps above all of them.

    A live (not retained) status with a clock reading fixes the boot's start in hub time, from which
    rating times of that boot can be corrected.
    """
    with immediate(conn):
        return status_in_transaction(conn, kiosk_id, status, received_ms=received_ms, is_retained=is_retained)


def status_in_transaction(
    conn: sqlite3.Connection, kiosk_id: str, status: p.Status, *, received_ms: int, is_retained: bool
) -> p.Ack | None:
    """:func:`store_status` inside the caller's write transaction."""
    conn.execute(
        "INSERT INTO kiosk_state (kiosk_id, is_online, last_seen_ms, status_json) VALUES (?,?,?,?)"
        " ON CONFLICT(kiosk_id) DO UPDATE SET is_online = excluded.is_online,"
        " last_seen_ms = max(coalesce(last_seen_ms, 0), excluded.last_seen_ms), status_json = excluded.status_json",
        (kiosk_id, int(status.state == "online"), received_ms, json.dumps(status.to_wire())),
    )
    if (
        not is_retained
        and status.state == "online"
        and status.boot_id
        and status.mono_ms is not None
        and status.clock_ms is not None
    ):
        start = received_ms - status.mono_ms
        conn.execute(
            "INSERT INTO boots (kiosk_id, boot_id, start_ms, skew_ms, seen_ms) VALUES (?,?,?,?,?)"
            " ON CONFLICT DO UPDATE SET start_ms = excluded.start_ms, skew_ms = excluded.skew_ms,"
            " seen_ms = excluded.seen_ms",
            (kiosk_id, status.boot_id, start, status.clock_ms - received_ms, received_ms),
        )
    ack = None
    # answered for unknown kiosks too: their ratings are quarantined, and a fresh kiosk waits for this
    row = conn.execute(
        "SELECT acked_through, last_resend_ms FROM kiosk_state WHERE kiosk_id = ?", (kiosk_id,)
    ).fetchone()
    if row is not None and not is_retained and status.state == "online":
        through = advance(conn, kiosk_id, row[0], set())
        kiosk_through = status.acked_through or 0
        birth = status.birth_id if status.kind == "birth" else None
        if status.kind == "birth" and status.fresh:
            through = max(through, highest_held(conn, kiosk_id))
            conn.execute("UPDATE kiosk_state SET acked_through = ? WHERE kiosk_id = ?", (through, kiosk_id))
            ack = p.Ack(through, birth=birth)
        elif kiosk_through > through and (row[1] is None or received_ms - row[1] >= RESEND_INTERVAL_MS):
            # the kiosk was acknowledged beyond what this hub holds: the hub lost data
            ack = p.Ack(through, resend_from=through + 1, birth=birth)
            conn.execute(
                "UPDATE kiosk_state SET acked_through = ?, last_resend_ms = ? WHERE kiosk_id = ?",
                (through, received_ms, kiosk_id),
            )
        elif status.kind == "birth":
            ack = p.Ack(through, birth=birth)  # tell a (re)connected kiosk what the hub holds
    return ack


def highest_held(conn: sqlite3.Connection, kiosk_id: str) -> int:
    """The highest seq the hub holds for a kiosk in any form (stored, refused, quarantined); 0 for none."""
    row = conn.execute(
        "SELECT max(coalesce((SELECT max(seq) FROM ratings WHERE kiosk_id = ?1), 0),"
        " coalesce((SELECT max(seq) FROM rejected WHERE kiosk_id = ?1), 0),"
        " coalesce((SELECT max(seq) FROM quarantine WHERE kiosk_id = ?1), 0))",
        (kiosk_id,),
    ).fetchone()
    return int(row[0])


def promote_quarantine(conn: sqlite3.Connection, kiosk_id: str, *, now_ms: int) -> int:
    """Move a newly registered kiosk's quarantined ratings into the ratings it is scored by."""
    rows = conn.execute(
        "SELECT received_ms, rating_json FROM quarantine WHERE kiosk_id = ? ORDER BY seq", (kiosk_id,)
    ).fetchall()
    if not rows:
        return 0
    items = []
    for received_ms, doc in rows:
        batch = p.decode_ratings(kiosk_id, json.dumps({"v": p.VERSION, "ratings": [json.loads(doc)]}).encode())
        items.append(Incoming(kiosk_id, received_ms, batch.ratings, batch.rejections))
    with immediate(conn):
        conn.execute("DELETE FROM quarantine WHERE kiosk_id = ?", (kiosk_id,))
        store_kiosk(conn, kiosk_id, items, now_ms, Outcome())
    return len(rows)


def store_report(conn: sqlite3.Connection, kiosk_id: str, report: ConfigReport, *, received_ms: int) -> None:
    """Record what a kiosk did with a config version (in autocommit)."""
    conn.execute(
        "INSERT OR IGNORE INTO kiosk_config (kiosk_id, version, settings_json, planned_ms)"
        " SELECT id, 0, '{}', ? FROM kiosks WHERE id = ?",
        (received_ms, kiosk_id),
    )
    if report.is_applied:
        conn.execute(
            "UPDATE kiosk_config SET applied_version = ?, applied_ms = ? WHERE kiosk_id = ?",
            (report.config_version, received_ms, kiosk_id),
        )
    else:
        conn.execute(
            "UPDATE kiosk_config SET refused_version = ?, refused_reason = ?, refused_ms = ? WHERE kiosk_id = ?",
            (report.config_version, report.reason, received_ms, kiosk_id),
        )


def next_hub_epoch(conn: sqlite3.Connection) -> int:
    """Count one more hub birth and return it (kiosks replay when the epoch changes)."""
    conn.execute(
        "INSERT INTO meta (key, value) VALUES ('hub_epoch', '1')"
        " ON CONFLICT(key) DO UPDATE SET value = CAST(value AS INTEGER) + 1"
    )
    return int(conn.execute("SELECT value FROM meta WHERE key = 'hub_epoch'").fetchone()[0])
