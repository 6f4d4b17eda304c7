"""The dashboard: pages, templates and static assets (vendored chart library included), all served by the hub.

The session middleware (``session_middleware``) is added with the other edge guards by ``hub.guard``.
"""

from __future__ import annotations

from urllib.parse import quote

from fastapi import FastAPI, Request
from fastapi.responses import RedirectResponse, Response
from fastapi.staticfiles import StaticFiles

from hub.web import admin_pages, alert_pages, imports, pages


def install_dashboard(app: FastAPI) -> None:
    """Add the dashboard's pages and static files to ``app``."""
    app.include_router(pages.router)
    app.include_router(alert_pages.router)
    app.include_router(admin_pages.router)
    app.include_router(imports.router)
    app.mount("/static", StaticFiles(directory=str(pages.HERE / "static")), name="static")

    async def to_login(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, pages.LoginRequired)
        return RedirectResponse(f"/login?next={quote(exc.next_path, safe='')}", status_code=303)

    app.add_exception_handler(pages.LoginRequired, to_login)
