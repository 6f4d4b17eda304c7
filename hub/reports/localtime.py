"""Bucketing instants into a location's local calendar day and hour (IANA zones, DST-correct)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from hub.errors import InvalidTimezone

QUARTER_MS = 900_000  # every UTC offset in use is a multiple of 15 minutes


@lru_cache(maxsize=64)
def zone(name: str) -> ZoneInfo:
    return ZoneInfo(name)


@lru_cache(maxsize=262_144)
def _bucket(tz: str, quarter: int) -> tuple[str, int, int]:
    local = datetime.fromtimestamp(quarter * 900, tz=UTC).astimezone(zone(tz))
    return local.date().isoformat(), local.hour, local.isoweekday()


def local_bucket(tz: str, time_ms: int) -> tuple[str, int, int]:
    """``(YYYY-MM-DD, hour 0-23, ISO weekday 1-7)`` of ``time_ms`` in zone ``tz``."""
    return _bucket(tz, time_ms // QUARTER_MS)


@lru_cache(maxsize=262_144)
def _quarter_minute(tz: str, quarter: int) -> int:
    local = datetime.fromtimestamp(quarter * 900, tz=UTC).astimezone(zone(tz))
    return local.hour * 60 + local.minute


def local_minute(tz: str, time_ms: int) -> int:
    """The minute of the local day (0-1439) of ``time_ms`` in zone ``tz`` (a quarter's start is cached: every
    offset is a multiple of 15 minutes, so the minutes within a quarter follow on)."""
    return _quarter_minute(tz, time_ms // QUARTER_MS) + (time_ms % QUARTER_MS) // 60_000


def day_bounds_ms(tz: str, first: date, last: date) -> tuple[int, int]:
    """UTC ms of local midnight starting ``first`` and of local midnight ending ``last`` (exclusive)."""
    z = zone(tz)
    start = datetime(first.year, first.month, first.day, tzinfo=z)
    end_day = last + timedelta(days=1)
    end = datetime(end_day.year, end_day.month, end_day.day, tzinfo=z)
    return int(start.timestamp() * 1000), int(end.timestamp() * 1000)


def today(tz: str, now_ms: int) -> date:
    return datetime.fromtimestamp(now_ms / 1000, tz=UTC).astimezone(zone(tz)).date()


def check_timezone(name: str) -> str:
    """``name`` when it is an IANA zone name; :raises InvalidTimezone: otherwise."""
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise InvalidTimezone(f"time zone {name!r} is not an IANA zone name (like Europe/Stockholm)") from None
    return name
