"""Dashboard accounts and their browser sessions.

Passwords are hashed with argon2id (argon2-cffi's defaults). A session is a random cookie value stored only as
its SHA-256, with its own CSRF token that every form post and every cookie-authenticated API write must echo.
A manager sees the locations assigned to them directly or through a region (``user_locations``).
"""

from __future__ import annotations

import hmac
import secrets
from collections.abc import Iterable
from dataclasses import dataclass

import sqlite_utils
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from feedback.ids import check_id
from hub.auth import ROLES, Principal, manager_locations
from hub.db import immediate
from hub.passwords import token_hash

SESSION_TTL_MS = 12 * 3_600_000
MIN_PASSWORD_LEN = 8
MAX_PASSWORD_LEN = 256
_hasher = PasswordHasher()
# verified against when the user does not exist, so a login takes as long for a wrong name as a wrong password
_DUMMY_HASH = _hasher.hash("not-a-password-" + secrets.token_hex(8))


class AccountError(ValueError):
    """A refused account change (the CLI prints it as one line)."""


class UnknownUser(AccountError):
    pass


class WeakPassword(AccountError):
    pass


@dataclass(frozen=True, slots=True)
class Session:
    """A logged-in browser: who, and the CSRF token its forms carry."""

    user_id: str
    principal: Principal
    csrf: str


def add_user(
    db: sqlite_utils.Database,
    name: str,
    *,
    role: str,
    password: str,
    now_ms: int,
    location_ids: Iterable[str] = (),
    region_ids: Iterable[str] = (),
) -> None:
    """Create (or replace the password, role and assignments of) a dashboard user."""
    check_id(name, what="user name")
    if role not in ROLES:
        raise AccountError(f"role must be one of {', '.join(ROLES)}")
    if not MIN_PASSWORD_LEN <= len(password) <= MAX_PASSWORD_LEN:
        raise WeakPassword(f"a password needs {MIN_PASSWORD_LEN}-{MAX_PASSWORD_LEN} characters")
    locs, regions = list(location_ids), list(region_ids)
    for loc in locs:
        check_id(loc, what="location id")
        if db.conn.execute("SELECT 1 FROM locations WHERE id = ?", (loc,)).fetchone() is None:
            raise AccountError(f"no location {loc!r}")
    for reg in regions:
        check_id(reg, what="region id")
        if db.conn.execute("SELECT 1 FROM regions WHERE id = ?", (reg,)).fetchone() is None:
            raise AccountError(f"no region {reg!r}")
    hashed = _hasher.hash(password)
    conn = db.conn
    with immediate(conn):
        conn.execute(
            "INSERT INTO users (id, password_hash, role, created_ms) VALUES (?, ?, ?, ?) ON CONFLICT(id) DO UPDATE"
            " SET password_hash = excluded.password_hash, role = excluded.role, is_disabled = 0",
            (name, hashed, role, now_ms),
        )
        conn.execute("DELETE FROM user_locations WHERE user_id = ?", (name,))
        conn.executemany(
            "INSERT OR IGNORE INTO user_locations (user_id, location_id) VALUES (?, ?)", [(name, loc) for loc in locs]
        )
        conn.executemany(
            "INSERT OR IGNORE INTO user_locations (user_id, region_id) VALUES (?, ?)", [(name, reg) for reg in regions]
        )
        conn.execute("DELETE FROM sessions WHERE user_id = ?", (name,))  # a changed account logs in afresh


def list_users(db: sqlite_utils.Database) -> list[dict[str, object]]:
    out = []
    for uid, role, disabled in db.conn.execute("SELECT id, role, is_disabled FROM users ORDER BY id").fetchall():
        rows = db.conn.execute("SELECT location_id, region_id FROM user_locations WHERE user_id = ?", (uid,)).fetchall()
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


def principal_for_user(db: sqlite_utils.Database, user_id: str, role: str) -> Principal:
    if role == "admin":
        return Principal(user_id, "admin", None)
    return Principal(user_id, role, manager_locations(db, user_id))


def check_password(db: sqlite_utils.Database, name: str, password: str) -> str | None:
    """The user's role when ``password`` is theirs (and they are enabled), else None."""
    row = db.conn.execute("SELECT password_hash, role, is_disabled FROM users WHERE id = ?", (name,)).fetchone()
    hashed = row[0] if row else _DUMMY_HASH
    try:
        _hasher.verify(hashed, password[:MAX_PASSWORD_LEN])
    except (VerificationError, InvalidHashError):
        return None
    if row is None or row[2]:
        return None
    if _hasher.check_needs_rehash(hashed):
        db.conn.execute("UPDATE users SET password_hash = ? WHERE id = ?", (_hasher.hash(password), name))
    return str(row[1])


def open_session(db: sqlite_utils.Database, user_id: str, *, now_ms: int) -> str:
    """Start a session; returns the cookie value (only its hash is stored)."""
    token = secrets.token_urlsafe(32)
    db.conn.execute("DELETE FROM sessions WHERE expires_ms < ?", (now_ms,))
    db.conn.execute(
        "INSERT INTO sessions (id_hash, user_id, csrf, created_ms, expires_ms) VALUES (?, ?, ?, ?, ?)",
        (token_hash(token), user_id, secrets.token_urlsafe(24), now_ms, now_ms + SESSION_TTL_MS),
    )
    return token


def find_session(db: sqlite_utils.Database, token: str, *, now_ms: int) -> Session | None:
    row = db.conn.execute(
        "SELECT s.user_id, s.csrf, u.role FROM sessions s JOIN users u ON u.id = s.user_id"
        " WHERE s.id_hash = ? AND s.expires_ms > ? AND u.is_disabled = 0",
        (token_hash(token), now_ms),
    ).fetchone()
    if row is None:
        return None
    return Session(row[0], principal_for_user(db, row[0], row[2]), row[1])


def close_session(db: sqlite_utils.Database, token: str) -> None:
    db.conn.execute("DELETE FROM sessions WHERE id_hash = ?", (token_hash(token),))


def csrf_matches(expected: str, given: str | None) -> bool:
    return given is not None and hmac.compare_digest(expected.encode(), given.encode())
