"""Failed sign-ins: one row per failure (client address, user name, time), bounded in age and in number."""

from __future__ import annotations

from hub.store.engine import Db, Engine
from hub.store.records import SignInFailure, SignInFailures, SignInGroup

MAX_NAME_LEN = 64


class SignIns:
    def __init__(self, conn: Db, engine: Engine) -> None:
        self.engine = engine
        self.conn = conn

    def failed(self, client: str, name: str, *, now_ms: int, keep_ms: int, max_rows: int) -> None:
        """Record a failure; drop failures older than ``keep_ms`` and the oldest beyond ``max_rows``."""
        rowid = self.engine.row_id
        with self.engine.write(self.conn) as c:
            c.execute(
                "INSERT INTO sign_in_failures (client, name, at_ms) VALUES (?,?,?)",
                (client, name[:MAX_NAME_LEN], now_ms),
            )
            c.execute("DELETE FROM sign_in_failures WHERE at_ms < ?", (now_ms - keep_ms,))
            c.execute(
                f"DELETE FROM sign_in_failures WHERE {rowid} <= (SELECT {rowid} FROM sign_in_failures"
                f" ORDER BY {rowid} DESC LIMIT 1 OFFSET ?)",
                (max_rows,),
            )

    def failures(self, client: str, name: str, *, since_ms: int) -> SignInFailures:
        """This client's failures since ``since_ms``: for this name, and for any name."""
        row = self.conn.execute(
            "SELECT count(*) FILTER (WHERE name = ?2), max(at_ms) FILTER (WHERE name = ?2), count(*), max(at_ms)"
            " FROM sign_in_failures WHERE client = ?1 AND at_ms >= ?3",
            (client, name[:MAX_NAME_LEN], since_ms),
        ).fetchone()
        return SignInFailures(row[0], row[1], row[2], row[3])

    def succeeded(self, client: str, name: str) -> None:
        """Forget this client's failures for this name (its failures for other names still count)."""
        with self.engine.write(self.conn):
            self.conn.execute(
                "DELETE FROM sign_in_failures WHERE client = ? AND name = ?", (client, name[:MAX_NAME_LEN])
            )

    def recent(self, *, since_ms: int, limit: int) -> list[SignInFailure]:
        """The latest failures since ``since_ms``, newest first."""
        rows = self.conn.execute(
            "SELECT client, name, at_ms FROM sign_in_failures WHERE at_ms >= ?"
            f" ORDER BY at_ms DESC, {self.engine.row_id} DESC LIMIT ?",
            (since_ms, limit),
        )
        return [SignInFailure(*r) for r in rows]

    def groups(self, *, since_ms: int, limit: int) -> list[SignInGroup]:
        """Failures since ``since_ms`` counted per client and user name, the latest-active pair first."""
        rows = self.conn.execute(
            "SELECT client, name, count(*), min(at_ms), max(at_ms) FROM sign_in_failures WHERE at_ms >= ?"
            " GROUP BY client, name ORDER BY max(at_ms) DESC, client, name LIMIT ?",
            (since_ms, limit),
        )
        return [SignInGroup(*r) for r in rows]

    def count(self, *, since_ms: int) -> int:
        return int(
            self.conn.execute("SELECT count(*) FROM sign_in_failures WHERE at_ms >= ?", (since_ms,)).fetchone()[0]
        )
