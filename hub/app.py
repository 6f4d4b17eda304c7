"""The FastAPI application; its lifespan runs the broker, the ingest and the watchers."""

from __future__ import annotations

import gc
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager

from fastapi import FastAPI

from feedback import __version__
from hub.api import install_api
from hub.changes import ChangeFeed
from hub.clock import wall_ms
from hub.config import HubConfig
from hub.guard import install_guards
from hub.metrics import Metrics
from hub.runtime import HubRuntime
from hub.store import open_store
from hub.web import install_dashboard


def create_app(
    config: HubConfig, *, now_ms: Callable[[], int] = wall_ms, run_services: bool = True, holder: str | None = None
) -> FastAPI:
    """Build the app. ``run_services=False`` serves HTTP only (no broker, no ingest). ``holder``: this process's
    name in the store's leases, when it already holds its client id's (``hub.client_ids``, taken by ``hub serve``)."""
    metrics = Metrics()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        open_store(config.store_target).close()  # create/migrate before anything reads
        runtime = HubRuntime(config, metrics=metrics, now_ms=now_ms, changes=app.state.changes, holder=holder)
        if run_services:
            runtime.start()
        app.state.ingest = runtime.ingest
        app.state.broker = runtime.broker
        app.state.publisher = runtime.publisher
        app.state.leadership = runtime.leadership
        # everything alive now lives as long as the hub: keep it out of the collector's full passes, which
        # otherwise doubled the p95 of a 1,000-store overview (bench/dashboard.py)
        gc.collect()  # garbage from before (start-up; another app in the same process) is not kept frozen
        gc.freeze()
        try:
            yield
        finally:
            runtime.stop()
            gc.unfreeze()  # what the hub held is garbage now: let the collector have it (tests run many apps)

    # docs_url=None: /docs is served by the dashboard from its own Swagger UI copy (no CDN)
    app = FastAPI(title="Feedback hub", version=__version__, lifespan=lifespan, docs_url=None, redoc_url=None)
    app.state.config = config
    app.state.metrics = metrics
    app.state.changes = ChangeFeed()  # ingest → open pages (GET /api/events)
    app.state.now_ms = now_ms
    app.state.ingest = None
    app.state.publisher = None
    app.state.leadership = None
    install_api(app)
    install_dashboard(app)
    install_guards(app, config, now_ms=now_ms)
    return app
