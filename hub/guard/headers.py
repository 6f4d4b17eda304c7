"""Headers on every answer: no sniffing, no framing, same-origin referrers, a strict CSP on pages, and
``Cache-Control: no-store`` on everything but the static files, so that no page, API answer or CSV export of a
signed-in user stays in a shared back-office browser's cache after logout."""

from __future__ import annotations

from collections.abc import MutableMapping
from typing import Any

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]

CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "
    "frame-ancestors 'none'; form-action 'self'; base-uri 'none'"
)
_ALWAYS = [
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"DENY"),
    (b"referrer-policy", b"same-origin"),
]
_NO_STORE = (b"cache-control", b"no-store")
# pages get the dashboard's CSP; the JSON API and the CSVs are not documents, /docs sets its own (hash of its script)
_NOT_PAGES = ("/api/", "/static/", "/docs", "/openapi.json")


class SecurityHeaders:
    """ASGI middleware adding the headers above; a header the route set itself is kept."""

    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path: str = scope.get("path", "")
        extra = list(_ALWAYS)
        if not path.startswith("/static/"):
            extra.append(_NO_STORE)
        if not path.startswith(_NOT_PAGES):
            extra.append((b"content-security-policy", CSP.encode()))

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                present = {k.lower() for k, _ in headers}
                headers += [(k, v) for k, v in extra if k not in present]
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, send_with_headers)
