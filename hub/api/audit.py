"""The audit log for admins: who changed what and when, newest first."""

from __future__ import annotations

import dataclasses
from typing import Annotated, Any

from fastapi import APIRouter, Query

from hub.api.deps import AdminPrincipal, StoreDep

router = APIRouter(prefix="/api", tags=["administration"])


@router.get("/audit")
def audit_log(
    store: StoreDep,
    who: AdminPrincipal,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    before_id: Annotated[int | None, Query(ge=1, le=2**62, description="page further back")] = None,
) -> list[dict[str, Any]]:
    """(admin) Administrative changes: ``at_ms``, ``actor`` (user or token), ``action``, ``target`` and
    ``detail`` (what changed; passwords never)."""
    return [dataclasses.asdict(e) for e in store.audit.entries(limit=limit, before_id=before_id)]
