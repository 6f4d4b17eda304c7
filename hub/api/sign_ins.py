"""Failed sign-ins for admins: who tried which user name from where, and when (the login throttle's state)."""

from __future__ import annotations

from collections import Counter
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request

from hub.api.deps import AdminPrincipal, StoreDep
from hub.web.login_throttle import WINDOW_MS

router = APIRouter(prefix="/api", tags=["accounts"])


@router.get("/sign-in-failures")
def sign_in_failures(
    request: Request, store: StoreDep, who: AdminPrincipal, limit: Annotated[int, Query(ge=1, le=1000)] = 100
) -> dict[str, Any]:
    """(admin) Failed sign-ins of the last 15 minutes, newest first, with counts per client address (IPv6: its
    /64), per user name, and per client and name (``by_client_and_name``: count, first and last ``at_ms``, the
    latest-active first); older ones are forgotten."""
    since = request.app.state.now_ms() - WINDOW_MS
    recent = store.sign_ins.recent(since_ms=since, limit=limit)
    return {
        "window_ms": WINDOW_MS,
        "total": store.sign_ins.count(since_ms=since),
        "by_client": dict(Counter(f.client for f in recent).most_common()),
        "by_name": dict(Counter(f.name for f in recent).most_common()),
        "by_client_and_name": [
            {"client": g.client, "name": g.name, "count": g.count, "first_ms": g.first_ms, "last_ms": g.last_ms}
            for g in store.sign_ins.groups(since_ms=since, limit=limit)
        ],
        "recent": [{"client": f.client, "name": f.name, "at_ms": f.at_ms} for f in recent],
    }
