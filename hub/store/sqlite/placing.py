"""When and where a tap counts: its best-known time (the device clock corrected by its boot's offset, or the
receive time when implausible) and the location its kiosk stood at then (from the kiosk's moves)."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable

from feedback.rating import Rating

FUTURE_TOLERANCE_MS = 10 * 60_000
MAX_AGE_MS = 400 * 86_400_000
CLOCK_ERROR_MS = 2 * 60_000


def effective_time(
    conn: sqlite3.Connection, r: Rating, received_ms: int, boots: dict[tuple[str, str], int | None]
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


def locator(conn: sqlite3.Connection, kiosk_id: str, current: str, current_tz: str) -> Locator:
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
