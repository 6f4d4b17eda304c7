"""Named leases the hub processes sharing a store contend for: at most one holder per name until it expires.

One conditional upsert takes or renews a lease (the same statement in ``hub/store/postgresql/leases.py``): the row
is written only when it is absent, already this holder's, or expired. ``hub.leadership`` decides when to ask.
"""

from __future__ import annotations

import sqlite3

from hub.store.sqlite.connection import unavailable_when_busy

TAKE = (
    "INSERT INTO leases (name, holder, expires_ms) VALUES (?, ?, ?)"
    " ON CONFLICT (name) DO UPDATE SET holder = excluded.holder, expires_ms = excluded.expires_ms"
    " WHERE leases.holder = excluded.holder OR leases.expires_ms <= ?"
)


class Leases:
    def __init__(self, conn: sqlite3.Connection) -> None:
        self.conn = conn

    def take(self, name: str, holder: str, *, now_ms: int, ttl_ms: int) -> bool:
        """Take or renew ``name`` for ``holder`` until ``now_ms + ttl_ms``; False while another holds it."""
        with unavailable_when_busy():
            cur = self.conn.execute(TAKE, (name, holder, now_ms + ttl_ms, now_ms))
        return cur.rowcount == 1

    def release(self, name: str, holder: str) -> None:
        """Give ``name`` up (on an orderly stop) so another process takes it at once; a lease lost meanwhile
        stays with its new holder."""
        with unavailable_when_busy():
            self.conn.execute("DELETE FROM leases WHERE name = ? AND holder = ?", (name, holder))

    def holder(self, name: str, *, now_ms: int) -> str | None:
        """Who holds ``name`` now (None: nobody, or the lease expired)."""
        row = self.conn.execute(
            "SELECT holder FROM leases WHERE name = ? AND expires_ms > ?", (name, now_ms)
        ).fetchone()
        return None if row is None else str(row[0])
