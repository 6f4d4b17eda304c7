"""Dashboard users with their stores and regions, browser sessions and API tokens (hashes only)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from hub.errors import AccountError
from hub.store.engine import Db, Engine
from hub.store.records import SessionRow, TokenRow, UserRow


class Accounts:
    def __init__(self, conn: Db, engine: Engine) -> None:
        self.engine = engine
        self.conn = conn

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
        conn = self.conn
        for loc in locs:
            if conn.execute("SELECT 1 FROM locations WHERE id = ?", (loc,)).fetchone() is None:
                raise AccountError(f"no location {loc!r}")
        for reg in regions:
            if conn.execute("SELECT 1 FROM regions WHERE id = ?", (reg,)).fetchone() is None:
                raise AccountError(f"no region {reg!r}")
        with self.engine.write(conn):
            conn.execute(
                "INSERT INTO users (id, password_hash, role, created_ms) VALUES (?, ?, ?, ?) ON CONFLICT(id) DO UPDATE"
                " SET password_hash = excluded.password_hash, role = excluded.role, is_disabled = 0",
                (name, password_hash, role, now_ms),
            )
            conn.execute("DELETE FROM user_locations WHERE user_id = ?", (name,))
            conn.executemany(
                "INSERT INTO user_locations (user_id, location_id) VALUES (?, ?) ON CONFLICT DO NOTHING",
                [(name, loc) for loc in locs],
            )
            conn.executemany(
                "INSERT INTO user_locations (user_id, region_id) VALUES (?, ?) ON CONFLICT DO NOTHING",
                [(name, reg) for reg in regions],
            )
            conn.execute("DELETE FROM sessions WHERE user_id = ?", (name,))  # a changed account logs in afresh

    def update_user(
        self,
        name: str,
        *,
        role: str | None = None,
        password_hash: str | None = None,
        is_disabled: bool | None = None,
        location_ids: Iterable[str] | None = None,
        region_ids: Iterable[str] | None = None,
    ) -> None:
        """Change what is given (``None`` leaves it); assignments given replace the old ones. Sessions end.

        :raises AccountError: an assigned location or region does not exist (nothing changed)
        """
        conn = self.conn
        for loc in location_ids or ():
            if conn.execute("SELECT 1 FROM locations WHERE id = ?", (loc,)).fetchone() is None:
                raise AccountError(f"location_ids: no location {loc!r}")
        for reg in region_ids or ():
            if conn.execute("SELECT 1 FROM regions WHERE id = ?", (reg,)).fetchone() is None:
                raise AccountError(f"region_ids: no region {reg!r}")
        with self.engine.write(conn):
            if role is not None:
                conn.execute("UPDATE users SET role = ? WHERE id = ?", (role, name))
            if password_hash is not None:
                conn.execute("UPDATE users SET password_hash = ? WHERE id = ?", (password_hash, name))
            if is_disabled is not None:
                conn.execute("UPDATE users SET is_disabled = ? WHERE id = ?", (int(is_disabled), name))
            if location_ids is not None:
                conn.execute("DELETE FROM user_locations WHERE user_id = ? AND location_id IS NOT NULL", (name,))
                conn.executemany(
                    "INSERT INTO user_locations (user_id, location_id) VALUES (?, ?) ON CONFLICT DO NOTHING",
                    [(name, loc) for loc in location_ids],
                )
            if region_ids is not None:
                conn.execute("DELETE FROM user_locations WHERE user_id = ? AND region_id IS NOT NULL", (name,))
                conn.executemany(
                    "INSERT INTO user_locations (user_id, region_id) VALUES (?, ?) ON CONFLICT DO NOTHING",
                    [(name, reg) for reg in region_ids],
                )
            conn.execute("DELETE FROM sessions WHERE user_id = ?", (name,))  # a changed account logs in afresh

    def enabled_admins(self) -> list[str]:
        return [r[0] for r in self.conn.execute("SELECT id FROM users WHERE role = 'admin' AND is_disabled = 0")]

    def users(self) -> list[dict[str, Any]]:
        """Every user with role and assignments (no hashes)."""
        out = []
        for uid, role, disabled in self.conn.execute("SELECT id, role, is_disabled FROM users ORDER BY id").fetchall():
            rows = self.conn.execute(
                "SELECT location_id, region_id FROM user_locations WHERE user_id = ?", (uid,)
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
        row = self.conn.execute(
            "SELECT id, password_hash, role, is_disabled FROM users WHERE id = ?", (name,)
        ).fetchone()
        return UserRow(row[0], row[1], row[2], bool(row[3])) if row else None

    def set_password_hash(self, name: str, password_hash: str) -> None:
        self.conn.execute("UPDATE users SET password_hash = ? WHERE id = ?", (password_hash, name))

    def manager_locations(self, user_id: str | None) -> frozenset[str]:
        """Locations a manager may see: assigned directly or through a region."""
        if user_id is None:
            return frozenset()
        rows = self.conn.execute(
            "SELECT location_id FROM user_locations WHERE user_id = ? AND location_id IS NOT NULL"
            " UNION SELECT l.id FROM user_locations u JOIN locations l ON l.region_id = u.region_id"
            " WHERE u.user_id = ? AND u.region_id IS NOT NULL",
            (user_id, user_id),
        ).fetchall()
        return frozenset(r[0] for r in rows)

    # ------------------------------------------------------------------------------------------ sessions
    def add_session(self, id_hash: str, *, user_id: str, csrf: str, now_ms: int, expires_ms: int) -> None:
        self.conn.execute("DELETE FROM sessions WHERE expires_ms < ?", (now_ms,))
        self.conn.execute(
            "INSERT INTO sessions (id_hash, user_id, csrf, created_ms, expires_ms) VALUES (?, ?, ?, ?, ?)",
            (id_hash, user_id, csrf, now_ms, expires_ms),
        )

    def find_session(self, id_hash: str, *, now_ms: int) -> SessionRow | None:
        """The live session of an enabled user with this hashed cookie value."""
        row = self.conn.execute(
            "SELECT s.user_id, u.role, s.csrf FROM sessions s JOIN users u ON u.id = s.user_id"
            " WHERE s.id_hash = ? AND s.expires_ms > ? AND u.is_disabled = 0",
            (id_hash, now_ms),
        ).fetchone()
        return SessionRow(*row) if row else None

    def delete_session(self, id_hash: str) -> None:
        self.conn.execute("DELETE FROM sessions WHERE id_hash = ?", (id_hash,))

    # ------------------------------------------------------------------------------------------ tokens
    def add_token(self, token_id: str, *, token_hash: str, role: str, user_id: str | None, now_ms: int) -> None:
        self.conn.execute(
            "INSERT INTO api_tokens (id, token_hash, role, user_id, created_ms) VALUES (?, ?, ?, ?, ?)",
            (token_id, token_hash, role, user_id, now_ms),
        )

    def find_token(self, token_hash: str) -> TokenRow | None:
        row = self.conn.execute(
            "SELECT id, role, user_id FROM api_tokens WHERE token_hash = ?", (token_hash,)
        ).fetchone()
        return TokenRow(*row) if row else None
