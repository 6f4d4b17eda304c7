"""ASGI middleware: resolve the session cookie into ``request.state.principal`` / ``request.state.session``.

``hub.api.get_principal`` prefers that principal over a bearer token, so the JSON API serves the logged-in
browser with the same permission checks. It also adds security headers to every response.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, MutableMapping
from http.cookies import CookieError, SimpleCookie
from pathlib import Path
from typing import Any

from hub.accounts import find_session
from hub.store import Store, open_store

SESSION_COOKIE = "hub_session"
CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "
    "frame-ancestors 'none'; form-action 'self'; base-uri 'none'"
)
_HEADERS = [
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"DENY"),
    (b"referrer-policy", b"same-origin"),
]

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]


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


class SessionMiddleware:
    def __init__(self, app: Any, *, target: str | Path, now_ms: Callable[[], int]) -> None:
        self.app = app
        self.target = target
        self.now_ms = now_ms
        self._store: Store | None = None
        self._lock = threading.Lock()

    def _lookup(self, token: str) -> Any:
        with self._lock:
            if self._store is None:
                self._store = open_store(self.target)
            return find_session(self._store, token, now_ms=self.now_ms())

    async def __call__(self, scope: Scope, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        token = cookie_value(scope, SESSION_COOKIE)
        # an explicit Authorization header (a script's token) wins over a browser's cookie; it needs no CSRF check
        has_bearer = any(key == b"authorization" for key, _ in scope.get("headers", ()))
        session = self._lookup(token) if token and len(token) < 200 and not has_bearer else None
        state = scope.setdefault("state", {})
        state["session"] = session
        if session is not None:
            state["principal"] = session.principal
        is_page = not scope.get("path", "").startswith(("/api/", "/static/", "/docs", "/openapi.json"))

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                headers += _HEADERS
                if is_page:
                    headers.append((b"content-security-policy", CSP.encode()))
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, send_with_headers)
