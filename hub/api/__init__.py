"""The JSON API: one router per resource, shared dependencies in ``deps``, hub errors mapped in ``errors``."""

from __future__ import annotations

from fastapi import FastAPI

from hub.api import (
    alerts,
    audit,
    dashboard,
    events,
    exports,
    fleet,
    happyornot,
    kiosk_settings,
    kiosks,
    locations,
    ops,
    organisation,
    sign_ins,
    users,
)
from hub.api.errors import install_error_handlers


def install_api(app: FastAPI) -> None:
    """Add every API router and the error handlers to ``app``."""
    routers = (ops, locations, fleet, dashboard, exports, events, sign_ins, alerts, happyornot)
    administration = (organisation, kiosks, users, kiosk_settings, audit)
    for module in (*routers, *administration):
        app.include_router(module.router)
    install_error_handlers(app)
