"""Request body limits, enforced as the body arrives and before any route parses it.

A declared ``Content-Length`` over the limit is answered 413 without reading a byte of the body; a body sent
without one (chunked) is counted as it streams in and cut off at the limit. Callers who are not signed in
(no session, no known API token) get a small limit: the sign-in form is all they may post.
"""

from __future__ import annotations

from collections.abc import MutableMapping
from typing import Any

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]


async def _refuse(send: Any, status: int, text: str) -> None:
    await send(
        {
            "type": "http.response.start",
            "status": status,
            # the rest of the body is never read: the connection cannot carry another request
            "headers": [(b"content-type", b"application/json"), (b"connection", b"close")],
        }
    )
    await send({"type": "http.response.body", "body": b'{"detail": "' + text.encode() + b'"}'})


class BodyLimit:
    """ASGI middleware; sits inside the session middleware, which tells it whether the caller is signed in."""

    def __init__(self, app: Any, *, anonymous_bytes: int, signed_in_bytes: int) -> None:
        self.app = app
        self.anonymous_bytes = anonymous_bytes
        self.signed_in_bytes = signed_in_bytes

    async def __call__(self, scope: Scope, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        is_signed_in = scope.get("state", {}).get("principal") is not None
        limit = self.signed_in_bytes if is_signed_in else self.anonymous_bytes
        declared = next((v for k, v in scope.get("headers", ()) if k == b"content-length"), None)
        if declared is not None:
            if not declared.isdigit() or len(declared) > 18:
                await _refuse(send, 400, "invalid Content-Length")
                return
            if int(declared) > limit:
                await _refuse(send, 413, f"request body over {limit} bytes")
                return
        seen = 0
        started = refused = False

        async def counted_receive() -> Message:
            # frameworks turn any error while reading a body into their own 400, so going over the limit is
            # answered here and the route is told the client left (it stops reading; what it sends is dropped)
            nonlocal seen, started, refused
            if refused:
                return {"type": "http.disconnect"}
            message: Message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > limit:
                    refused = True
                    if not started:
                        started = True
                        await _refuse(send, 413, f"request body over {limit} bytes")
                    return {"type": "http.disconnect"}
            return message

        async def guarded_send(message: Message) -> None:
            nonlocal started
            if refused:
                return
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, counted_receive, guarded_send)
        except Exception:
            if not refused:
                raise
