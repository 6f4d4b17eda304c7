"""On PostgreSQL (as ``hub.store.sqlite.accounts``): dashboard users with their stores and regions, browser
sessions and API tokens (hashes only)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from hub.errors import AccountError
from hub.store.postgresql.connection import Db
from hub.store.records import SessionRow, TokenRow, UserRow


class Accounts:
    def __init__(self, db: Db) -> None:
        self.db = db

    # ------------------------------------------------------------------------------------------ users
    def put_user(
        self,
        name: str,
        *,
        password_hash: str,
        role: str,
        now_ms: int,
        location_ids: Iterable[str] = (),
        region_ids: Iterable[str] = (),
    ) -> None:
        """Create a user or replace their password, role and assignments; their sessions end.

        :raises AccountError: an assigned location or region does not exist (nothing changed)
        """
        locs, regions = list(location_ids), list(region_ids)
        for loc in locs:
            if self.db.one("SELECT 1 FROM locations WHERE id = %s", (loc,)) is None:
                raise AccountError(f"no location {loc!r}")
        for reg in regions:
            if self.db.one("SELECT 1 FROM regions WHERE id = %s", (reg,)) is None:
                raise AccountError(f"no region {reg!r}")
        with self.db.transaction() as conn:
            conn.execute(
                "INSERT INTO users (id, password_hash, role, created_ms) VALUES (%s, %s, %s, %s)"
                " ON CONFLICT (id) DO UPDATE SET password_hash = excluded.password_hash, role = excluded.role,"
                " is_disabled = 0",
                (name, password_hash, role, now_ms),
            )
            conn.execute("DELETE FROM user_locations WHERE user_id = %s", (name,))
            conn.cursor().executemany(
                "INSERT INTO user_locations (user_id, location_id) VALUES (%s, %s) ON CONFLICT DO NOTHING",
                [(name, loc) for loc in locs],
            )
            conn.cursor().executemany(
                "INSERT INTO user_locations (user_id, region_id) VALUES (%s, %s) ON CONFLICT DO NOTHING",
                [(name, reg) for reg in regions],
            )
            conn.execute("DELETE FROM sessions WHERE user_id = %s", (name,))  # a changed account logs in afresh

    def users(self) -> list[dict[str, Any]]:
        """Every user with role and assignments (no hashes)."""
        out = []
        for uid, role, disabled in self.db.execute("SELECT id, role, is_disabled FROM users ORDER BY id").fetchall():
            rows = self.db.execute(
                "SELECT location_id, region_id FROM user_locations WHERE user_id = %s", (uid,)
            ).fetchall()
            out.append(
                {
                    "name": uid,
                    "role": role,
                    "is_disabled": bool(disabled),
                    "locations": sorted(r[0] for r in rows if r[0]),
                    "regions": sorted(r[1] for r in rows if r[1]),
                }
            )
        return out

    def find_user(self, name: str) -> UserRow | None:
        row = self.db.execute(
            "SELECT id, password_hash, role, is_disabled FROM users WHERE id = %s", (name,)
        ).fetchone()
        return UserRow(row[0], row[1], row[2], bool(row[3])) if row else None

    def set_password_hash(self, name: str, password_hash: str) -> None:
        self.db.execute("UPDATE users SET password_hash = %s WHERE id = %s", (password_hash, name))

    def manager_locations(self, user_id: str | None) -> frozenset[str]:
        """Locations a manager may see: assigned directly or through a region."""
        if user_id is None:
            return frozenset()
        rows = self.db.execute(
            "SELECT location_id FROM user_locations WHERE user_id = %s AND location_id IS NOT NULL"
            " UNION SELECT l.id FROM user_locations u JOIN locations l ON l.region_id = u.region_id"
            " WHERE u.user_id = %s AND u.region_id IS NOT NULL",
            (user_id, user_id),
        ).fetchall()
        return frozenset(r[0] for r in rows)

    # ------------------------------------------------------------------------------------------ sessions
    def add_session(self, id_hash: str, *, user_id: str, csrf: str, now_ms: int, expires_ms: int) -> None:
        self.db.execute("DELETE FROM sessions WHERE expires_ms < %s", (now_ms,))
        self.db.execute(
            "INSERT INTO sessions (id_hash, user_id, csrf, created_ms, expires_ms) VALUES (%s, %s, %s, %s, %s)",
            (id_hash, user_id, csrf, now_ms, expires_ms),
        )

    def find_session(self, id_hash: str, *, now_ms: int) -> SessionRow | None:
        """The live session of an enabled user with this hashed cookie value."""
        row = self.db.execute(
            "SELECT s.user_id, u.role, s.csrf FROM sessions s JOIN users u ON u.id = s.user_id"
            " WHERE s.id_hash = %s AND s.expires_ms > %s AND u.is_disabled = 0",
            (id_hash, now_ms),
        ).fetchone()
        return SessionRow(*row) if row else None

    def delete_session(self, id_hash: str) -> None:
        self.db.execute("DELETE FROM sessions WHERE id_hash = %s", (id_hash,))

    # ------------------------------------------------------------------------------------------ tokens
    def add_token(self, token_id: str, *, token_hash: str, role: str, user_id: str | None, now_ms: int) -> None:
        self.db.execute(
            "INSERT INTO api_tokens (id, token_hash, role, user_id, created_ms) VALUES (%s, %s, %s, %s, %s)",
            (token_id, token_hash, role, user_id, now_ms),
        )

    def find_token(self, token_hash: str) -> TokenRow | None:
        row = self.db.execute(
            "SELECT id, role, user_id FROM api_tokens WHERE token_hash = %s", (token_hash,)
        ).fetchone()
        return TokenRow(*row) if row else None
