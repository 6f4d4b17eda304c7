"""The dashboard: pages, templates and static assets (vendored chart library included), all served by the hub."""

from __future__ import annotations

from collections.abc import Callable
from urllib.parse import quote

from fastapi import FastAPI, Request
from fastapi.responses import RedirectResponse, Response
from fastapi.staticfiles import StaticFiles

from hub.config import HubConfig
from hub.web import pages
from hub.web.login_throttle import LoginThrottle
from hub.web.session_middleware import SessionMiddleware


def install_dashboard(app: FastAPI, config: HubConfig, *, now_ms: Callable[[], int]) -> None:
    """Add the dashboard's pages, static files and session middleware to ``app``."""
    app.include_router(pages.router)
    app.mount("/static", StaticFiles(directory=str(pages.HERE / "static")), name="static")
    app.add_middleware(SessionMiddleware, target=config.store_target, now_ms=now_ms)
    app.state.login_throttle = LoginThrottle()

    async def to_login(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, pages.LoginRequired)
        return RedirectResponse(f"/login?next={quote(exc.next_path, safe='')}", status_code=303)

    app.add_exception_handler(pages.LoginRequired, to_login)
