"""A location's misuse rule, changed in one place and applied everywhere.

The kiosks of the location get the new response interval in their remote settings (location scope, pushed
like any ``hub config set``), so taps are flagged under it from now on; and the hub re-flags every stored tap
of the location under it and rebuilds its rollups (the store's ``rollups.recompute_location``).
"""

from __future__ import annotations

from feedback.misuse import BadResponseInterval, check_response_interval
from hub.errors import BadInterval, InvalidSettings
from hub.fleet.settings import RemoteSettings
from hub.store import Store
from hub.store.records import Recomputed


def check_interval(interval_s: float) -> float:
    """:raises BadInterval: outside 0-3600 s"""
    try:
        return check_response_interval(interval_s)
    except BadResponseInterval as exc:
        raise BadInterval(str(exc)) from None


def set_response_interval(store: Store, location_id: str, *, interval_s: float, now_ms: int) -> Recomputed:
    """Push ``interval_s`` to the location's kiosks and recompute its scores under it.

    :raises BadInterval: outside 0-3600 s, or the kiosks' settings would not accept it (nothing changed)
    """
    check_interval(interval_s)
    try:
        RemoteSettings(store).set("location", location_id, changes={"response_interval_s": interval_s}, now_ms=now_ms)
    except InvalidSettings as exc:
        raise BadInterval(f"the kiosks' settings refuse it: {exc}") from None
    return store.rollups.recompute_location(location_id, interval_s=interval_s)


def recompute(store: Store, location_id: str, *, interval_s: float) -> Recomputed:
    """Re-flag a location's stored taps under ``interval_s`` (without touching the kiosks' settings)."""
    check_interval(interval_s)
    return store.rollups.recompute_location(location_id, interval_s=interval_s)


def recompute_for_scope(store: Store, scope: str, scope_id: str, *, interval_s: float) -> list[Recomputed]:
    """After ``response_interval_s`` was set for a settings scope: re-flag the stored taps it governs (every
    location for ``all``, those of the region for ``region``, one for ``location``; a kiosk scope changes no
    location's rule, so nothing)."""
    if scope == "kiosk":
        return []
    if scope == "location":
        ids = [scope_id]
    else:
        ids = [loc.id for loc in store.registry.locations() if scope == "all" or loc.region_id == scope_id]
    return [recompute(store, location_id, interval_s=interval_s) for location_id in ids]
