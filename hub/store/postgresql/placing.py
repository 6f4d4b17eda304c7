"""When and where a tap counts: its best-known time (the device clock corrected by its boot's offset, or the
receive time when implausible), the location its kiosk stood at then (from the kiosk's moves), and whether that
location was open then (its schedule)."""

from __future__ import annotations

import json
from collections.abc import Callable

from feedback.rating import Rating
from hub.reports.localtime import local_minute
from hub.reports.schedule import Schedule, schedule_from
from hub.store.postgresql.connection import Conn

FUTURE_TOLERANCE_MS = 10 * 60_000
MAX_AGE_MS = 400 * 86_400_000
CLOCK_ERROR_MS = 2 * 60_000


def effective_time(
    conn: Conn, r: Rating, received_ms: int, boots: dict[tuple[str, str], int | None]
) -> tuple[int, str | None]:
    """The rating's best-known true time and a flag when it differs from the device's own clock.

    When the hub knows the boot's start in hub time (from a live status message), the true time is that
    start plus the rating's monotonic offset; a device clock off by more than 2 minutes from it is
    corrected. Without it, a device time in the future or too old is replaced by the receive time.
    """
    key = (r.kiosk_id, r.boot_id)
    if key not in boots:
        got = conn.execute("SELECT start_ms FROM boots WHERE kiosk_id = ? AND boot_id = ?", key).fetchone()
        boots[key] = got[0] if got else None
    start = boots[key]
    if start is not None:
        true_ms = start + r.mono_ms
        if abs(true_ms - r.time_ms) > CLOCK_ERROR_MS and true_ms <= received_ms + FUTURE_TOLERANCE_MS:
            return true_ms, "clock_corrected"
    if r.time_ms > received_ms + FUTURE_TOLERANCE_MS:
        return received_ms, "time_in_future"
    if r.time_ms < received_ms - MAX_AGE_MS:
        return received_ms, "time_too_old"
    return r.time_ms, None


Locator = Callable[[int], tuple[str, str]]


def locator(conn: Conn, kiosk_id: str, current: str, current_tz: str) -> Locator:
    """Where the kiosk stood at a given time: ``(location_id, timezone)``, from its move history."""
    moves = conn.execute(
        "SELECT from_ms, previous_location_id FROM kiosk_moves WHERE kiosk_id = ? ORDER BY from_ms", (kiosk_id,)
    ).fetchall()
    if not moves:
        return lambda t: (current, current_tz)
    zones = dict(conn.execute("SELECT id, timezone FROM locations").fetchall())

    def locate(t: int) -> tuple[str, str]:
        for from_ms, previous in moves:
            if t < from_ms:
                return previous, zones[previous]
        return current, current_tz

    return locate


def schedule(conn: Conn, location_id: str) -> Schedule | None:
    """Whether the location was open at a given local time (``hub.reports.schedule``): its own opening hours and
    exceptions, else the kiosk settings' (location over region over organisation); None: always open."""
    row = conn.execute(
        "SELECT opening_hours, opening_exceptions FROM locations WHERE id = ?", (location_id,)
    ).fetchone()
    if row is None:
        return None
    settings_hours: object = None
    for (raw,) in conn.execute(
        "SELECT settings_json FROM config_settings WHERE (scope = 'all' AND scope_id = '')"
        " OR (scope = 'region' AND scope_id = (SELECT region_id FROM locations WHERE id = ?1))"
        " OR (scope = 'location' AND scope_id = ?1)"
        " ORDER BY CASE scope WHEN 'all' THEN 0 WHEN 'region' THEN 1 ELSE 2 END",
        (location_id,),
    ):
        doc = json.loads(raw)
        settings_hours = doc.get("opening_hours", settings_hours) if isinstance(doc, dict) else settings_hours
    return schedule_from(row[0], row[1], settings_hours)


def is_closed(plan: Schedule | None, tz: str, time_ms: int, day: str, weekday: int) -> bool:
    """Outside the schedule's opening hours at ``time_ms`` (local ``day`` and ``weekday`` already bucketed)."""
    return plan is not None and not plan.is_open(day, weekday, local_minute(tz, time_ms))
