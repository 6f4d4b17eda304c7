"""Dashboard accounts, browser sessions and API tokens, over the store.

Passwords are hashed with argon2id (argon2-cffi's defaults). A session is a random cookie value stored only as
its SHA-256, with its own CSRF token that every form post and every cookie-authenticated API write must echo.
API tokens are random bearer tokens stored only as SHA-256 hashes. A manager sees the locations assigned to them
directly or through a region.
"""

from __future__ import annotations

import hmac
import re
import secrets
from collections.abc import Iterable
from dataclasses import dataclass

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from feedback.ids import check_id
from hub.access import ROLES, Principal
from hub.errors import AccountError, InvalidToken, UnknownUser, WeakPassword
from hub.fleet.passwords import token_hash
from hub.store import Store

SESSION_TTL_MS = 12 * 3_600_000
MIN_PASSWORD_LEN = 8
MAX_PASSWORD_LEN = 256
_hasher = PasswordHasher()
# verified against when the user does not exist, so a login takes as long for a wrong name as a wrong password
_DUMMY_HASH = _hasher.hash("not-a-password-" + secrets.token_hex(8))


@dataclass(frozen=True, slots=True)
class Session:
    """A logged-in browser: who, and the CSRF token its forms carry."""

    user_id: str
    principal: Principal
    csrf: str


def add_user(
    store: Store,
    name: str,
    *,
    role: str,
    password: str,
    now_ms: int,
    location_ids: Iterable[str] = (),
    region_ids: Iterable[str] = (),
) -> None:
    """Create (or replace the password, role and assignments of) a dashboard user.

    :raises AccountError: bad name, role, password or assignment (nothing changed)
    """
    check_id(name, what="user name")
    if role not in ROLES:
        raise AccountError(f"role must be one of {', '.join(ROLES)}")
    _check_password(password)
    locs, regions = list(location_ids), list(region_ids)
    for loc in locs:
        check_id(loc, what="location id")
    for reg in regions:
        check_id(reg, what="region id")
    store.accounts.put_user(
        name,
        password_hash=_hasher.hash(password),
        role=role,
        now_ms=now_ms,
        location_ids=locs,
        region_ids=regions,
    )


def check_email(address: str) -> str:
    """:raises AccountError: unless ``address`` looks like ``name@domain`` (one line, no spaces)"""
    if not re.fullmatch(r"[^@\s<>,;]{1,64}@[^@\s<>,;]{1,255}", address) or "." not in address.rpartition("@")[2]:
        raise AccountError(f"--email {address[:80]!r} is not an e-mail address")
    return address


def new_password() -> str:
    """A fresh password for a new or reset account, shown once to the admin who asked for it."""
    return secrets.token_urlsafe(12)


def _check_password(password: str) -> None:
    if not MIN_PASSWORD_LEN <= len(password) <= MAX_PASSWORD_LEN:
        raise WeakPassword(f"password: a password needs {MIN_PASSWORD_LEN}-{MAX_PASSWORD_LEN} characters")


def update_user(
    store: Store,
    name: str,
    *,
    role: str | None = None,
    password: str | None = None,
    is_disabled: bool | None = None,
    location_ids: Iterable[str] | None = None,
    region_ids: Iterable[str] | None = None,
) -> None:
    """Change a user's role, password, assignments or disabled flag; their sessions end.

    :raises UnknownUser: no such user
    :raises AccountError: a bad role, password or assignment, or the change would leave no enabled admin
    """
    user = store.accounts.find_user(name)
    if user is None:
        raise UnknownUser(f"no user {name[:80]!r}")
    if role is not None and role not in ROLES:
        raise AccountError(f"role must be one of {', '.join(ROLES)}")
    if password is not None:
        _check_password(password)
    stays_admin = (role or user.role) == "admin" and not (is_disabled if is_disabled is not None else user.is_disabled)
    if not stays_admin and store.accounts.enabled_admins() == [name]:
        raise AccountError(f"{name} is the only enabled admin: make another admin first")
    store.accounts.update_user(
        name,
        role=role,
        password_hash=_hasher.hash(password) if password is not None else None,
        is_disabled=is_disabled,
        location_ids=None if location_ids is None else [check_id(x, what="location id") for x in location_ids],
        region_ids=None if region_ids is None else [check_id(x, what="region id") for x in region_ids],
    )


def principal_for_user(store: Store, user_id: str, role: str) -> Principal:
    if role == "admin":
        return Principal(user_id, "admin", None)
    return Principal(user_id, role, store.accounts.manager_locations(user_id))


def check_password(store: Store, name: str, password: str) -> str | None:
    """The user's role when ``password`` is theirs (and they are enabled), else None."""
    user = store.accounts.find_user(name)
    hashed = user.password_hash if user else _DUMMY_HASH
    try:
        _hasher.verify(hashed, password[:MAX_PASSWORD_LEN])
    except (VerificationError, InvalidHashError):
        return None
    if user is None or user.is_disabled:
        return None
    if _hasher.check_needs_rehash(hashed):
        store.accounts.set_password_hash(name, _hasher.hash(password))
    return user.role


def open_session(store: Store, user_id: str, *, now_ms: int) -> str:
    """Start a session; returns the cookie value (only its hash is stored)."""
    token = secrets.token_urlsafe(32)
    store.accounts.add_session(
        token_hash(token),
        user_id=user_id,
        csrf=secrets.token_urlsafe(24),
        now_ms=now_ms,
        expires_ms=now_ms + SESSION_TTL_MS,
    )
    return token


def find_session(store: Store, token: str, *, now_ms: int) -> Session | None:
    row = store.accounts.find_session(token_hash(token), now_ms=now_ms)
    if row is None:
        return None
    return Session(row.user_id, principal_for_user(store, row.user_id, row.role), row.csrf)


def close_session(store: Store, token: str) -> None:
    store.accounts.delete_session(token_hash(token))


def csrf_matches(expected: str, given: str | None) -> bool:
    return given is not None and hmac.compare_digest(expected.encode(), given.encode())


def create_token(store: Store, *, role: str, now_ms: int, user_id: str | None = None) -> str:
    """A new API bearer token (printed once; only its hash is kept)."""
    if role not in ROLES:
        raise AccountError(f"role must be one of {', '.join(ROLES)}")
    token = "fbt_" + secrets.token_urlsafe(32)
    store.accounts.add_token(
        secrets.token_hex(8), token_hash=token_hash(token), role=role, user_id=user_id, now_ms=now_ms
    )
    return token


def principal_for_token(store: Store, token: str) -> Principal:
    """:raises InvalidToken: the hub does not know this token"""
    row = store.accounts.find_token(token_hash(token))
    if row is None:
        raise InvalidToken("unknown token")
    user = store.accounts.find_user(row.user_id) if row.user_id else None
    if user is not None and user.is_disabled:
        raise InvalidToken("this token's user is disabled")
    if row.role == "admin":
        return Principal(f"token:{row.id}", "admin", None)
    return Principal(row.user_id or f"token:{row.id}", row.role, store.accounts.manager_locations(row.user_id))
