"""Kiosk presence and the other small writes of the ingest on PostgreSQL: statuses (birth, heartbeat, will),
boots and their clock skew, remote-config reports, quarantine promotion and the hub's own epoch.
Semantics as in ``hub.store.sqlite.statuses`` (read its ``store_status`` docstring); the kiosk's state row is
locked for the transaction, so a status and a batch of the same kiosk handled by two workers take turns."""

from __future__ import annotations

import json

from feedback import protocol as p
from feedback.remote_config import ConfigReport
from hub.store import rules
from hub.store.postgresql.connection import Conn
from hub.store.postgresql.ledger import advance, lock_kiosk, store_kiosk
from hub.store.records import Incoming, Outcome


def store_status(
    conn: Conn, kiosk_id: str, status: p.Status, *, received_ms: int, is_retained: bool, worker: str | None = None
) -> p.Ack | None:
    """Record a kiosk's presence; returns the ack to send back, if any.

    A fresh birth handled by ingest ``worker`` is answered only once every registered worker has handled it
    (``births_seen``): each worker gets every status and handles messages in arrival order, so by then every
    message that reached any worker before the birth is stored, and the floor covers it. The last of them
    answers; the others return None.
    """
    with conn.transaction():
        state = lock_kiosk(conn, kiosk_id)
        through, last_resend = state.acked_through, state.last_resend_ms
        doc = json.dumps(status.to_wire())
        is_online = status.state == "online"
        conn.execute(
            "UPDATE kiosk_state SET is_online = %s, last_seen_ms = greatest(coalesce(last_seen_ms, 0), %s),"
            " status_json = %s WHERE kiosk_id = %s",
            (int(is_online), received_ms, doc, kiosk_id),
        )
        if is_online:
            seen = conn.execute("SELECT last_seen_ms FROM kiosk_state WHERE kiosk_id = %s", (kiosk_id,)).fetchone()
            conn.execute(
                "INSERT INTO kiosk_last_online (kiosk_id, status_json, seen_ms) VALUES (%s, %s, %s) ON CONFLICT"
                " (kiosk_id) DO UPDATE SET status_json = excluded.status_json, seen_ms = excluded.seen_ms",
                (kiosk_id, doc, seen[0] if seen else received_ms),
            )
        if (
            not is_retained
            and is_online
            and status.boot_id
            and status.mono_ms is not None
            and status.clock_ms is not None
        ):
            conn.execute(
                "INSERT INTO boots (kiosk_id, boot_id, start_ms, skew_ms, seen_ms) VALUES (%s, %s, %s, %s, %s)"
                " ON CONFLICT (kiosk_id, boot_id) DO UPDATE SET start_ms = excluded.start_ms,"
                " skew_ms = excluded.skew_ms, seen_ms = excluded.seen_ms",
                (kiosk_id, status.boot_id, received_ms - status.mono_ms, status.clock_ms - received_ms, received_ms),
            )
        if is_retained or not is_online:
            return None
        through = advance(conn, kiosk_id, through, set())
        kiosk_through = status.acked_through or 0
        birth = status.birth_id if status.kind == "birth" else None
        if status.kind == "birth" and status.fresh:
            if worker is not None and not _seen_by_every_worker(
                conn, kiosk_id, status.birth_id or "", worker, received_ms
            ):
                return None  # another worker may still hold older messages of this id: it answers when done
            through = max(through, highest_held(conn, kiosk_id))
            conn.execute("UPDATE kiosk_state SET acked_through = %s WHERE kiosk_id = %s", (through, kiosk_id))
            return p.Ack(through, birth=birth)
        if kiosk_through > through and rules.may_resend(last_resend, received_ms):
            # the kiosk was acknowledged beyond what this hub holds: the hub lost data
            conn.execute(
                "UPDATE kiosk_state SET acked_through = %s, last_resend_ms = %s WHERE kiosk_id = %s",
                (through, received_ms, kiosk_id),
            )
            return p.Ack(through, resend_from=through + 1, birth=birth)
        if status.kind == "birth":
            return p.Ack(through, birth=birth)  # tell a (re)connected kiosk what the hub holds
        return None


def _seen_by_every_worker(conn: Conn, kiosk_id: str, birth_id: str, worker: str, now_ms: int) -> bool:
    conn.execute(
        "INSERT INTO births_seen (kiosk_id, birth_id, client_id, seen_ms) VALUES (%s, %s, %s, %s)"
        " ON CONFLICT DO NOTHING",
        (kiosk_id, birth_id, worker, now_ms),
    )
    conn.execute("DELETE FROM births_seen WHERE kiosk_id = %s AND seen_ms < %s", (kiosk_id, now_ms - 86_400_000))
    row = conn.execute(
        "SELECT count(*) FROM ingest_workers w WHERE NOT EXISTS (SELECT 1 FROM births_seen b"
        " WHERE b.kiosk_id = %s AND b.birth_id = %s AND b.client_id = w.client_id)",
        (kiosk_id, birth_id),
    ).fetchone()
    return row is not None and int(row[0]) == 0


def register_worker(conn: Conn, client_id: str, *, now_ms: int) -> None:
    conn.execute(
        "INSERT INTO ingest_workers (client_id, joined_ms) VALUES (%s, %s) ON CONFLICT DO NOTHING", (client_id, now_ms)
    )


def retire_worker(conn: Conn, client_id: str) -> bool:
    return conn.execute("DELETE FROM ingest_workers WHERE client_id = %s", (client_id,)).rowcount > 0


def highest_held(conn: Conn, kiosk_id: str) -> int:
    """The highest seq the hub holds for a kiosk in any form (stored, refused, quarantined); 0 for none."""
    row = conn.execute(
        "SELECT greatest(coalesce((SELECT max(seq) FROM ratings WHERE kiosk_id = %(k)s), 0),"
        " coalesce((SELECT max(seq) FROM rejected WHERE kiosk_id = %(k)s), 0),"
        " coalesce((SELECT max(seq) FROM quarantine WHERE kiosk_id = %(k)s), 0))",
        {"k": kiosk_id},
    ).fetchone()
    return int(row[0]) if row else 0


def promote_quarantine(conn: Conn, kiosk_id: str, *, now_ms: int) -> int:
    """Move a newly registered kiosk's quarantined ratings into the ratings it is scored by."""
    with conn.transaction():
        rows = conn.execute(
            "DELETE FROM quarantine WHERE kiosk_id = %s RETURNING seq, received_ms, rating_json", (kiosk_id,)
        ).fetchall()
        items = []
        for _, received_ms, doc in sorted(rows):
            batch = p.decode_ratings(kiosk_id, json.dumps({"v": p.VERSION, "ratings": [json.loads(doc)]}).encode())
            items.append(Incoming(kiosk_id, received_ms, batch.ratings, batch.rejections))
        if items:
            store_kiosk(conn, kiosk_id, items, now_ms, Outcome())
    return len(rows)


def store_report(conn: Conn, kiosk_id: str, report: ConfigReport, *, received_ms: int) -> None:
    """Record what a kiosk did with a config version."""
    with conn.transaction():
        conn.execute(
            "INSERT INTO kiosk_config (kiosk_id, version, settings_json, planned_ms)"
            " SELECT id, 0, '{}', %s FROM kiosks WHERE id = %s ON CONFLICT DO NOTHING",
            (received_ms, kiosk_id),
        )
        if report.is_applied:
            conn.execute(
                "UPDATE kiosk_config SET applied_version = %s, applied_ms = %s WHERE kiosk_id = %s",
                (report.config_version, received_ms, kiosk_id),
            )
        else:
            conn.execute(
                "UPDATE kiosk_config SET refused_version = %s, refused_reason = %s, refused_ms = %s"
                " WHERE kiosk_id = %s",
                (report.config_version, report.reason, received_ms, kiosk_id),
            )


def next_hub_epoch(conn: Conn) -> int:
    """Count one more hub birth and return it (kiosks replay when the epoch changes)."""
    row = conn.execute(
        "INSERT INTO meta (key, value) VALUES ('hub_epoch', '1')"
        " ON CONFLICT (key) DO UPDATE SET value = (meta.value::bigint + 1)::text RETURNING value"
    ).fetchone()
    assert row is not None
    return int(row[0])
