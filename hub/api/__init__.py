"""The JSON API: one router per resource, shared dependencies in ``deps``, hub errors mapped in ``errors``."""

from __future__ import annotations

from fastapi import FastAPI

from hub.api import dashboard, exports, fleet, happyornot, locations, ops
from hub.api.errors import install_error_handlers


def install_api(app: FastAPI) -> None:
    """Add every API router and the error handlers to ``app``."""
    for module in (ops, locations, fleet, dashboard, exports, happyornot):
        app.include_router(module.router)
    install_error_handlers(app)
