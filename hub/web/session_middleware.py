"""ASGI middleware: resolve the session cookie (or an API bearer token) into ``request.state.principal``.

``hub.api.get_principal`` prefers that principal, so the JSON API serves the logged-in browser with the same
permission checks. ``request.state.session`` is the browser session (None for a token), whose CSRF token cookie
writes must echo. The body limit (``hub.guard.bodies``) reads the principal to tell signed-in callers apart.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, MutableMapping
from http.cookies import CookieError, SimpleCookie
from pathlib import Path
from typing import Any

from hub.access import Principal
from hub.accounts import Session, find_session, principal_for_token
from hub.errors import InvalidToken
from hub.store import Store, open_store

SESSION_COOKIE = "hub_session"
MAX_SECRET_LEN = 200

Scope = MutableMapping[str, Any]


def cookie_value(scope: Scope, name: str) -> str | None:
    for key, value in scope.get("headers", ()):
        if key == b"cookie":
            jar: SimpleCookie = SimpleCookie()
            try:
                jar.load(value.decode("latin-1"))
            except CookieError:
                return None
            if name in jar:
                return jar[name].value
    return None


def bearer_token(scope: Scope) -> str | None:
    """The token of an ``Authorization: Bearer …`` header; "" for any other Authorization header."""
    for key, value in scope.get("headers", ()):
        if key == b"authorization":
            scheme, _, token = value.decode("latin-1").partition(" ")
            return token.strip() if scheme.lower() == "bearer" else ""
    return None


class SessionMiddleware:
    def __init__(self, app: Any, *, target: str | Path, now_ms: Callable[[], int]) -> None:
        self.app = app
        self.target = target
        self.now_ms = now_ms
        self._store: Store | None = None
        self._lock = threading.Lock()

    def _session(self, token: str) -> Session | None:
        with self._lock:
            if self._store is None:
                self._store = open_store(self.target)
            return find_session(self._store, token, now_ms=self.now_ms())

    def _token_principal(self, token: str) -> Principal | None:
        with self._lock:
            if self._store is None:
                self._store = open_store(self.target)
            try:
                return principal_for_token(self._store, token)
            except InvalidToken:
                return None

    async def __call__(self, scope: Scope, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        state = scope.setdefault("state", {})
        # an explicit Authorization header (a script's token) wins over a browser's cookie; it needs no CSRF check
        token = bearer_token(scope)
        if token is not None:
            state["session"] = None
            if token and len(token) < MAX_SECRET_LEN:
                principal = self._token_principal(token)
                if principal is not None:
                    state["principal"] = principal
        else:
            cookie = cookie_value(scope, SESSION_COOKIE)
            session = self._session(cookie) if cookie and len(cookie) < MAX_SECRET_LEN else None
            state["session"] = session
            if session is not None:
                state["principal"] = session.principal
        await self.app(scope, receive, send)
