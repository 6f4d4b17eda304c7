"""``GET /api/events``: server-sent events telling an open page which of the caller's locations got new answers.

The page reloads its numbers through the JSON API when told (and polls slowly as a safety net). A stream ends
after ``MAX_STREAM_S`` (the browser reconnects, and the caller's rights are checked afresh); a comment every
``KEEPALIVE_S`` keeps proxies from closing an idle one. Left out of the OpenAPI document: a stream that never
ends would hang tools that call every operation (schemathesis).
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator

from fastapi import APIRouter, Request
from fastapi.responses import StreamingResponse

from hub.api.deps import CurrentPrincipal
from hub.changes import ChangeFeed

KEEPALIVE_S = 15.0
MAX_STREAM_S = 600.0
router = APIRouter(prefix="/api", tags=["dashboard"])


@router.get("/events", include_in_schema=False)
async def events(request: Request, who: CurrentPrincipal) -> StreamingResponse:
    feed: ChangeFeed = request.app.state.changes

    async def stream() -> AsyncIterator[str]:
        q = feed.subscribe()
        try:
            yield "retry: 2000\n: connected\n\n"
            ends = time.monotonic() + MAX_STREAM_S
            while time.monotonic() < ends and not await request.is_disconnected():
                try:
                    ids = await asyncio.wait_for(q.get(), KEEPALIVE_S)
                except TimeoutError:
                    yield ": keepalive\n\n"
                    continue
                mine = sorted(i for i in ids if who.may_see(i))
                if mine:
                    yield f"event: ratings\ndata: {json.dumps({'location_ids': mine})}\n\n"
        finally:
            feed.unsubscribe(q)

    headers = {"Cache-Control": "no-store", "X-Accel-Buffering": "no"}
    return StreamingResponse(stream(), media_type="text/event-stream", headers=headers)
