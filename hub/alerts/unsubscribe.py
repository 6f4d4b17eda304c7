"""Signed unsubscribe links: ``USER.WHAT.SIGNATURE`` (HMAC-SHA256 with a key kept in the store), so a link in an
e-mail works without signing in and cannot be forged for another user."""

from __future__ import annotations

import hashlib
import hmac
import secrets

from feedback.ids import is_valid_id
from hub.errors import BadUnsubscribeToken
from hub.store import Store

WHAT = ("reports", "alerts")
_KEY = "unsubscribe_key"


def signing_key(store: Store) -> bytes:
    """The hub's unsubscribe key (made on first use)."""
    key = store.ops.get_meta(_KEY)
    if key is None:
        store.ops.set_meta(_KEY, secrets.token_hex(32))
        key = store.ops.get_meta(_KEY)
    assert key is not None
    return key.encode()


def _sign(key: bytes, user_id: str, what: str) -> str:
    return hmac.new(key, f"{user_id}.{what}".encode(), hashlib.sha256).hexdigest()[:40]


def make_token(key: bytes, user_id: str, what: str) -> str:
    assert what in WHAT
    return f"{user_id}.{what}.{_sign(key, user_id, what)}"


def read_token(key: bytes, token: str) -> tuple[str, str]:
    """``(user, what)``; :raises BadUnsubscribeToken: for an altered or malformed token"""
    parts = token.split(".")
    if len(parts) != 3 or not is_valid_id(parts[0]) or parts[1] not in WHAT:
        raise BadUnsubscribeToken("this unsubscribe link is not valid")
    if not hmac.compare_digest(parts[2], _sign(key, parts[0], parts[1])):
        raise BadUnsubscribeToken("this unsubscribe link is not valid")
    return parts[0], parts[1]
