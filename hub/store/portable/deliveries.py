"""The delivery queue (e-mail and webhooks, retried with backoff), scheduled reports already sent, and each user's
contact details and alert settings."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace
from typing import Any

from hub.store.engine import Db, Engine
from hub.store.records import Contact, DeliveryRow, NewDelivery

_DELIVERY = (
    "SELECT id, channel, target, subject, payload, state, attempts, next_ms, last_error, user_id, alert_id"
    " FROM deliveries"
)


def insert_deliveries(conn: Db, items: Iterable[NewDelivery], *, now_ms: int) -> None:
    """Queue messages (inside the caller's transaction): due at once."""
    conn.executemany(
        "INSERT INTO deliveries (channel, target, user_id, alert_id, report_key, subject, payload, state, attempts,"
        " next_ms, created_ms) VALUES (?, ?, ?, ?, ?, ?, ?, 'pending', 0, ?, ?)",
        [
            (d.channel, d.target, d.user_id, d.alert_id, d.report_key, d.subject, d.payload, now_ms, now_ms)
            for d in items
        ],
    )


class Deliveries:
    def __init__(self, conn: Db, engine: Engine) -> None:
        self.engine = engine
        self.conn = conn

    # ------------------------------------------------------------------------------------------ queue
    def enqueue(self, items: list[NewDelivery], *, now_ms: int) -> None:
        with self.engine.write(self.conn):
            insert_deliveries(self.conn, items, now_ms=now_ms)

    def claim_due(self, *, now_ms: int, claim_ms: int, limit: int = 20) -> list[DeliveryRow]:
        """The pending messages due now, each claimed (due again only after ``claim_ms``) so that two senders —
        the hub's thread and a ``report send`` — never both send one."""
        rows = self.conn.execute(
            _DELIVERY + " WHERE state = 'pending' AND next_ms <= ? ORDER BY next_ms, id LIMIT ?", (now_ms, limit)
        ).fetchall()
        out = []
        for row in rows:
            cur = self.conn.execute(
                "UPDATE deliveries SET next_ms = ? WHERE id = ? AND state = 'pending' AND next_ms = ?",
                (now_ms + claim_ms, row[0], row[7]),
            )
            if cur.rowcount:
                out.append(DeliveryRow(*row))
        return out

    def next_due_ms(self) -> int | None:
        row = self.conn.execute("SELECT min(next_ms) FROM deliveries WHERE state = 'pending'").fetchone()
        return None if row[0] is None else int(row[0])

    def mark_sent(self, delivery_id: int, *, now_ms: int) -> None:
        self.conn.execute(
            "UPDATE deliveries SET state = 'sent', attempts = attempts + 1, done_ms = ?, last_error = NULL"
            " WHERE id = ?",
            (now_ms, delivery_id),
        )

    def mark_retry(self, delivery_id: int, *, error: str, next_ms: int) -> None:
        self.conn.execute(
            "UPDATE deliveries SET attempts = attempts + 1, last_error = ?, next_ms = ? WHERE id = ?",
            (error[:500], next_ms, delivery_id),
        )

    def mark_failed(self, delivery_id: int, *, error: str, now_ms: int) -> None:
        self.conn.execute(
            "UPDATE deliveries SET state = 'failed', attempts = attempts + 1, last_error = ?, done_ms = ? WHERE id = ?",
            (error[:500], now_ms, delivery_id),
        )

    def recent(self, *, user_ids: Iterable[str] | None, limit: int) -> list[dict[str, Any]]:
        """The latest deliveries (of these users; ``None`` = all) without their payloads, newest first."""
        where, args = "", []
        if user_ids is not None:
            users = list(user_ids)
            where = f" WHERE user_id IN ({','.join('?' * len(users))})" if users else " WHERE false"
            args = users
        rows = self.conn.execute(
            "SELECT id, channel, target, user_id, alert_id, report_key, subject, state, attempts, next_ms, last_error,"
            f" created_ms, done_ms FROM deliveries{where} ORDER BY id DESC LIMIT ?",
            (*args, limit),
        ).fetchall()
        keys = [
            "id",
            "channel",
            "target",
            "user",
            "alert_id",
            "report",
            "subject",
            "state",
            "attempts",
            "next_ms",
            "last_error",
            "created_ms",
            "done_ms",
        ]
        return [dict(zip(keys, r, strict=True)) for r in rows]

    # ------------------------------------------------------------------------------------------ reports
    def record_report(
        self, user_id: str, period: str, period_start: str, *, items: list[NewDelivery], now_ms: int, force: bool
    ) -> bool:
        """Record the report ``(user, period, start)`` and queue its messages in one transaction; a report already
        recorded is not queued again unless ``force`` (a send by hand). Returns whether it was queued."""
        with self.engine.write(self.conn):
            cur = self.conn.execute(
                "INSERT INTO reports_sent (user_id, period, period_start, sent_ms) VALUES (?, ?, ?, ?)"
                " ON CONFLICT DO NOTHING",
                (user_id, period, period_start, now_ms),
            )
            if not cur.rowcount and not force:
                return False
            insert_deliveries(self.conn, items, now_ms=now_ms)
        return True

    def is_report_recorded(self, user_id: str, period: str, period_start: str) -> bool:
        row = self.conn.execute(
            "SELECT 1 FROM reports_sent WHERE user_id = ? AND period = ? AND period_start = ?",
            (user_id, period, period_start),
        ).fetchone()
        return row is not None

    # ------------------------------------------------------------------------------------------ contacts
    def contacts(self, user_id: str | None = None) -> list[Contact]:
        """Every enabled user's contact details and alert settings (defaults where none were saved)."""
        where = " AND u.id = ?" if user_id is not None else ""
        rows = self.conn.execute(
            "SELECT u.id, u.role, u.email, u.language, u.timezone, coalesce(s.email_alerts, 1), s.webhook_url,"
            " CASE WHEN s.user_id IS NULL THEN 'week' ELSE s.report_period END, coalesce(s.report_time, '07:00')"
            f" FROM users u LEFT JOIN alert_settings s ON s.user_id = u.id WHERE u.is_disabled = 0{where}"
            " ORDER BY u.id",
            (user_id,) if user_id is not None else (),
        ).fetchall()
        scopes: dict[str, tuple[list[str], list[str]]] = {}
        for uid, loc, reg in self.conn.execute("SELECT user_id, location_id, region_id FROM alert_scopes"):
            locs, regs = scopes.setdefault(uid, ([], []))
            (locs if loc else regs).append(loc or reg)
        out = []
        for r in rows:
            locs, regs = scopes.get(r[0], ([], []))
            uid, role, email, language, tz, email_alerts, webhook, period, at = r
            contact = Contact(uid, role, email, language, tz, bool(email_alerts), webhook, period, at, (), ())
            out.append(replace(contact, scope_location_ids=tuple(sorted(locs)), scope_region_ids=tuple(sorted(regs))))
        return out

    def set_profile(self, user_id: str, *, email: str | None, language: str, timezone: str) -> None:
        self.conn.execute(
            "UPDATE users SET email = ?, language = ?, timezone = ? WHERE id = ?", (email, language, timezone, user_id)
        )

    def put_settings(
        self,
        user_id: str,
        *,
        email_alerts: bool,
        webhook_url: str | None,
        report_period: str | None,
        report_time: str,
        location_ids: list[str],
        region_ids: list[str],
    ) -> None:
        with self.engine.write(self.conn):
            self.conn.execute(
                "INSERT INTO alert_settings (user_id, email_alerts, webhook_url, report_period, report_time)"
                " VALUES (?, ?, ?, ?, ?) ON CONFLICT (user_id) DO UPDATE SET email_alerts = excluded.email_alerts,"
                " webhook_url = excluded.webhook_url, report_period = excluded.report_period,"
                " report_time = excluded.report_time",
                (user_id, int(email_alerts), webhook_url, report_period, report_time),
            )
            self.conn.execute("DELETE FROM alert_scopes WHERE user_id = ?", (user_id,))
            self.conn.executemany(
                "INSERT INTO alert_scopes (user_id, location_id, region_id) VALUES (?, ?, ?)",
                [(user_id, loc, None) for loc in location_ids] + [(user_id, None, reg) for reg in region_ids],
            )
