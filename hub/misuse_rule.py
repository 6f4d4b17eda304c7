"""A location's misuse rule, changed in one place and applied everywhere.

The kiosks of the location get the new response interval in their remote settings (location scope, pushed
like any ``hub config set``), so taps are flagged under it from now on; and the hub re-flags every stored tap
of the location under it and rebuilds its rollups (``hub.rollups.recompute_location``).
"""

from __future__ import annotations

import sqlite_utils

from hub.remote_config import InvalidSettings, RemoteSettings
from hub.rollups import BadInterval, Recomputed, check_interval, recompute_location


def set_response_interval(db: sqlite_utils.Database, location_id: str, *, interval_s: float, now_ms: int) -> Recomputed:
    """Push ``interval_s`` to the location's kiosks and recompute its scores under it.

    :raises BadInterval: outside 0-3600 s, or the kiosks' settings would not accept it (nothing changed)
    """
    check_interval(interval_s)
    try:
        RemoteSettings(db).set("location", location_id, changes={"response_interval_s": interval_s}, now_ms=now_ms)
    except InvalidSettings as exc:
        raise BadInterval(f"the kiosks' settings refuse it: {exc}") from None
    return recompute_location(db.conn, location_id, interval_s=interval_s)
