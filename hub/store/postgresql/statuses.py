"""Kiosk presence and the other small writes of the ingest: statuses (birth, heartbeat, will), boots and their
clock skew, remote-config reports, quarantine promotion and the hub's own epoch."""

from __future__ import annotations

import json

from feedback import protocol as p
from feedback.remote_config import ConfigReport
from hub.store.postgresql.connection import Conn, transaction
from hub.store.postgresql.ledger import advance, store_kiosk
from hub.store.postgresql.locks import RESEND_INTERVAL_MS, lock_kiosk
from hub.store.records import Incoming, Outcome


def store_status(
    conn: Conn, kiosk_id: str, status: p.Status, *, received_ms: int, is_retained: bool, worker: str | None = None
) -> p.Ack | None:
    """Record a kiosk's presence; returns the ack to send back, if any (as :func:`hub.store.sqlite.statuses.
    store_status`, with the kiosk's state row locked for the transaction).

    A live birth is answered with the hub's cumulative ack naming the birth (``Ack.birth``), so a (re)connected
    kiosk learns what the hub holds; when the kiosk was acknowledged beyond that (the hub lost data), the answer
    asks for a resend. A *fresh* birth (new storage under this id: a re-flashed or replaced device) settles every
    seq up to the highest the hub holds in any form — the old storage is gone, and the ingest answers a birth
    only after storing everything that reached it before — so the device numbers its taps above all of them.

    With several ingest workers, a birth handled by ``worker`` is answered only once every registered worker has
    handled it (``births_seen``): each worker gets every status and handles messages in arrival order, so by then
    every message that reached any worker before the birth is stored, and the answer covers it (a fresh birth's
    floor; a kiosk's question after an ack timeout, which resends what the answer does not cover: answered by the
    first worker, it would resend what another worker was still storing). The last of them answers; the others
    return None.

    A live (not retained) status with a clock reading fixes the boot's start in hub time, from which
    rating times of that boot can be corrected.
    """
    with transaction(conn):
        lock_kiosk(conn, kiosk_id)
        conn.execute(
            "INSERT INTO kiosk_state (kiosk_id, is_online, last_seen_ms, status_json) VALUES (?,?,?,?)"
            " ON CONFLICT(kiosk_id) DO UPDATE SET is_online = excluded.is_online,"
            " last_seen_ms = greatest(coalesce(kiosk_state.last_seen_ms, 0), excluded.last_seen_ms),"
            " status_json = excluded.status_json",
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
                " ON CONFLICT (kiosk_id, boot_id) DO UPDATE SET start_ms = excluded.start_ms,"
                " skew_ms = excluded.skew_ms, seen_ms = excluded.seen_ms",
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
            if birth and worker is not None and not _seen_by_every_worker(conn, kiosk_id, birth, worker, received_ms):
                return None  # another worker may still hold older messages of this kiosk: it answers when done
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


def _seen_by_every_worker(conn: Conn, kiosk_id: str, birth_id: str, worker: str, now_ms: int) -> bool:
    conn.execute(
        "INSERT INTO births_seen (kiosk_id, birth_id, client_id, seen_ms) VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING",
        (kiosk_id, birth_id, worker, now_ms),
    )
    conn.execute("DELETE FROM births_seen WHERE kiosk_id = ? AND seen_ms < ?", (kiosk_id, now_ms - 86_400_000))
    row = conn.execute(
        "SELECT count(*) FROM ingest_workers w WHERE NOT EXISTS (SELECT 1 FROM births_seen b"
        " WHERE b.kiosk_id = ? AND b.birth_id = ? AND b.client_id = w.client_id)",
        (kiosk_id, birth_id),
    ).fetchone()
    return int(row[0]) == 0


def register_worker(conn: Conn, client_id: str, *, now_ms: int) -> None:
    """An ingest worker joins the ones births wait for (until it is retired)."""
    conn.execute(
        "INSERT INTO ingest_workers (client_id, joined_ms) VALUES (?, ?) ON CONFLICT DO NOTHING", (client_id, now_ms)
    )


def retire_worker(conn: Conn, client_id: str) -> bool:
    return conn.execute("DELETE FROM ingest_workers WHERE client_id = ?", (client_id,)).rowcount > 0


def highest_held(conn: Conn, kiosk_id: str) -> int:
    """The highest seq the hub holds for a kiosk in any form (stored, refused, quarantined); 0 for none."""
    row = conn.execute(
        "SELECT greatest(coalesce((SELECT max(seq) FROM ratings WHERE kiosk_id = ?1), 0),"
        " coalesce((SELECT max(seq) FROM rejected WHERE kiosk_id = ?1), 0),"
        " coalesce((SELECT max(seq) FROM quarantine WHERE kiosk_id = ?1), 0))",
        (kiosk_id,),
    ).fetchone()
    return int(row[0])


def promote_quarantine(conn: Conn, kiosk_id: str, *, now_ms: int) -> int:
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
    with transaction(conn):
        conn.execute("DELETE FROM quarantine WHERE kiosk_id = ?", (kiosk_id,))
        store_kiosk(conn, kiosk_id, items, now_ms, Outcome())
    return len(rows)


def store_report(conn: Conn, kiosk_id: str, report: ConfigReport, *, received_ms: int) -> None:
    """Record what a kiosk did with a config version (in autocommit)."""
    conn.execute(
        "INSERT INTO kiosk_config (kiosk_id, version, settings_json, planned_ms)"
        " SELECT id, 0, '{}', ? FROM kiosks WHERE id = ? ON CONFLICT DO NOTHING",
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


def next_hub_epoch(conn: Conn) -> int:
    """Count one more hub birth and return it (kiosks replay when the epoch changes)."""
    conn.execute(
        "INSERT INTO meta (key, value) VALUES ('hub_epoch', '1')"
        " ON CONFLICT(key) DO UPDATE SET value = (CAST(meta.value AS BIGINT) + 1)::text"
    )
    return int(conn.execute("SELECT value FROM meta WHERE key = 'hub_epoch'").fetchone()[0])
