"""Named leases the hub processes sharing a store contend for: at most one holder per name until it expires.

One conditional upsert takes or renews a lease: the row is written only when it is absent, already this holder's,
or expired (``hub.leadership.may_take`` is the same rule in Python). ``hub.leadership`` decides when to ask.
"""

from __future__ import annotations

from hub.store.engine import Db, Engine

TAKE = (
    "INSERT INTO leases (name, holder, expires_ms) VALUES (?, ?, ?)"
    " ON CONFLICT (name) DO UPDATE SET holder = excluded.holder, expires_ms = excluded.expires_ms"
    " WHERE leases.holder = excluded.holder OR leases.expires_ms <= ?"
)


class Leases:
    def __init__(self, conn: Db, engine: Engine) -> None:
        self.engine = engine
        self.conn = conn

    def take(self, name: str, holder: str, *, now_ms: int, ttl_ms: int) -> bool:
        """Take or renew ``name`` for ``holder`` until ``now_ms + ttl_ms``; False while another holds it."""
        with self.engine.write(self.conn) as c:
            return bool(c.execute(TAKE, (name, holder, now_ms + ttl_ms, now_ms)).rowcount == 1)

    def take_over(self, name: str, holder: str, *, from_holder: str, now_ms: int, ttl_ms: int) -> bool:
        """Take ``name`` from ``from_holder``, known to be gone before its lease ran out (a process on this host
        that no longer runs); False when the lease has moved on meanwhile."""
        sql = "UPDATE leases SET holder = ?, expires_ms = ? WHERE name = ? AND holder = ?"
        with self.engine.write(self.conn) as c:
            return bool(c.execute(sql, (holder, now_ms + ttl_ms, name, from_holder)).rowcount == 1)

    def release(self, name: str, holder: str) -> None:
        """Give ``name`` up (on an orderly stop) so another process takes it at once; a lease lost meanwhile
        stays with its new holder."""
        with self.engine.write(self.conn) as c:
            c.execute("DELETE FROM leases WHERE name = ? AND holder = ?", (name, holder))

    def holder(self, name: str, *, now_ms: int) -> str | None:
        """Who holds ``name`` now (None: nobody, or the lease expired)."""
        sql = "SELECT holder FROM leases WHERE name = ? AND expires_ms > ?"
        row = self.conn.execute(sql, (name, now_ms)).fetchone()
        return None if row is None else str(row[0])
