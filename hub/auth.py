"""API tokens: random bearer tokens stored only as SHA-256 hashes, each tied to a role.

An ``admin`` sees every location; a ``manager`` token belongs to a user who sees only the locations
assigned to them (the dashboard issue adds users and sessions on the same principal).
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass

import sqlite_utils

from hub.passwords import token_hash

ROLES = ("admin", "manager")


class InvalidToken(PermissionError):
    """No token, or one the hub does not know."""


@dataclass(frozen=True, slots=True)
class Principal:
    """Who is asking, and which locations they may see (``None`` = all)."""

    name: str
    role: str
    location_ids: frozenset[str] | None

    @property
    def is_admin(self) -> bool:
        return self.role == "admin"

    def may_see(self, location_id: str) -> bool:
        return self.location_ids is None or location_id in self.location_ids


def create_token(db: sqlite_utils.Database, *, role: str, now_ms: int, user_id: str | None = None) -> str:
    if role not in ROLES:
        raise ValueError(f"role must be one of {ROLES}")
    token = "fbt_" + secrets.token_urlsafe(32)
    db.conn.execute(
        "INSERT INTO api_tokens (id, token_hash, role, user_id, created_ms) VALUES (?, ?, ?, ?, ?)",
        (secrets.token_hex(8), token_hash(token), role, user_id, now_ms),
    )
    return token


def principal_for_token(db: sqlite_utils.Database, token: str) -> Principal:
    row = db.conn.execute(
        "SELECT id, role, user_id FROM api_tokens WHERE token_hash = ?", (token_hash(token),)
    ).fetchone()
    if row is None:
        raise InvalidToken("unknown token")
    token_id, role, user_id = row
    if role == "admin":
        return Principal(f"token:{token_id}", "admin", None)
    return Principal(user_id or f"token:{token_id}", role, manager_locations(db, user_id))


def manager_locations(db: sqlite_utils.Database, user_id: str | None) -> frozenset[str]:
    """Locations a manager may see: assigned directly or through a region."""
    if user_id is None or "user_locations" not in db.table_names():
        return frozenset()
    rows = db.conn.execute(
        "SELECT location_id FROM user_locations WHERE user_id = ? AND location_id IS NOT NULL"
        " UNION SELECT l.id FROM user_locations u JOIN locations l ON l.region_id = u.region_id"
        " WHERE u.user_id = ? AND u.region_id IS NOT NULL",
        (user_id, user_id),
    ).fetchall()
    return frozenset(r[0] for r in rows)
