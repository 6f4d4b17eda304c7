"""Whether the store is open, from the pushed ``opening_hours`` (``"mon": "08:00-21:00"`` or ``"closed"``) at
a local time the caller passes in. A day the settings do not name is open all day (as the hub's heatmap
reads them); no opening hours at all: always open."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from feedback.kiosk_settings import WEEKDAYS, SettingsError


def _minutes(hhmm: str) -> int:
    return int(hhmm[:2]) * 60 + int(hhmm[3:5])


def is_open(hours: dict[str, str], local: datetime) -> bool:
    span = hours.get(WEEKDAYS[local.weekday()])
    if span is None:
        return True
    if span == "closed":
        return False
    minute = local.hour * 60 + local.minute
    return _minutes(span[:5]) <= minute < _minutes(span[6:])


def next_opening(hours: dict[str, str], local: datetime) -> datetime | None:
    """The next local time the store opens after ``local`` (within a week), None if it never does."""
    day = local.replace(hour=0, minute=0, second=0, microsecond=0)
    for offset in range(8):
        date = day + timedelta(days=offset)
        span = hours.get(WEEKDAYS[date.weekday()])
        start = date if span is None else None if span == "closed" else date + timedelta(minutes=_minutes(span[:5]))
        if start is not None and start > local:
            return start
    return None


def store_zone(name: str | None, *, key: str = "ui.timezone") -> ZoneInfo | None:
    """The store's zone (None: the device's own local time). :raises SettingsError: naming ``key``."""
    if name is None:
        return None
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise SettingsError(f"{key}: unknown time zone {name!r}") from None
