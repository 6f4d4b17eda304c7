"""The hub's HTTP edge, in front of every route (old and new): the client address and scheme behind trusted
reverse proxies, allowed host names, request body limits and the response headers every answer carries.
``install_guards`` adds them in their order around the app."""

from __future__ import annotations

from collections.abc import Callable

from fastapi import FastAPI

from hub.config import HubConfig
from hub.guard.bodies import BodyLimit
from hub.guard.headers import SecurityHeaders
from hub.guard.hosts import HostCheck, allowed_hosts
from hub.guard.proxies import install_proxy_headers
from hub.web.session_middleware import SessionMiddleware


def install_guards(app: FastAPI, config: HubConfig, *, now_ms: Callable[[], int]) -> None:
    """Outermost first: behind a trusted proxy the client's address and scheme are taken from its headers; a
    foreign ``Host`` is refused before anything else; the security headers go on every
    answer (refusals included); the session (or bearer token) is resolved; then the body limit, which depends
    on whether the caller is signed in, is enforced before any route reads the body."""
    # Starlette runs the middleware added last outermost
    app.add_middleware(BodyLimit, anonymous_bytes=config.anonymous_body_bytes, signed_in_bytes=config.body_bytes)
    app.add_middleware(SessionMiddleware, target=config.store_target, now_ms=now_ms)
    app.add_middleware(SecurityHeaders)
    app.add_middleware(HostCheck, allowed=allowed_hosts(config))
    install_proxy_headers(app, config.trusted_proxies)
