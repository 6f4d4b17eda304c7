"""The dashboard: pages, templates and static assets (vendored chart library included), all served by the hub."""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any
from urllib.parse import quote

from fastapi import FastAPI, Request
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles

from hub import api_exports, api_reports
from hub.config import HubConfig
from hub.web import pages
from hub.web.login_throttle import LoginThrottle
from hub.web.session_middleware import SessionMiddleware


def install_dashboard(app: FastAPI, config: HubConfig, *, now_ms: Callable[[], int]) -> None:
    """Add the dashboard's API routers, pages, static files and session middleware to ``app``."""
    app.include_router(api_reports.router)
    app.include_router(api_exports.router)
    app.include_router(pages.router)
    app.mount("/static", StaticFiles(directory=str(pages.HERE / "static")), name="static")
    app.add_middleware(SessionMiddleware, db_path=config.db_path, now_ms=now_ms)
    app.state.login_throttle = LoginThrottle()

    async def to_login(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, pages.LoginRequired)
        return RedirectResponse(f"/login?next={quote(exc.next_path, safe='')}", status_code=303)

    app.add_exception_handler(pages.LoginRequired, to_login)
    app.add_exception_handler(RequestValidationError, validation_failed)


def _finite(value: Any) -> Any:
    """NaN and infinities as text: JSON has no such numbers, and echoing them back must not turn a 422 into a 500."""
    if isinstance(value, float) and not math.isfinite(value):
        return str(value)
    if isinstance(value, dict):
        return {k: _finite(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_finite(v) for v in value]
    return value


async def validation_failed(request: Request, exc: Exception) -> Response:
    """FastAPI's 422 for bad input, safe for any input value."""
    assert isinstance(exc, RequestValidationError)
    return JSONResponse(status_code=422, content={"detail": _finite(jsonable_encoder(exc.errors()))})
