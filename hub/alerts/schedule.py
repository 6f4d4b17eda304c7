"""When scheduled reports are due: pure, DST-safe (wall-clock times in the user's IANA zone).

A report covers the last complete period (yesterday; last ISO week, Monday to Sunday; last month) and is due on
the first day of the next period at the user's local time (e.g. 07:00). On a day with 23 or 25 hours 07:00 is
still 07:00 local. A hub that is down all that day skips it; the store records each (user, period, start) sent.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time, timedelta

from hub.errors import Invalid
from hub.reports.localtime import zone

PERIODS = ("day", "week", "month")
_TIME = re.compile(r"^([01]\d|2[0-3]):([0-5]\d)$")


def check_period(period: str | None) -> str | None:
    if period is not None and period not in PERIODS:
        raise Invalid(f"report_period: must be one of {', '.join(PERIODS)} (or none), got {period!r}")
    return period


def parse_time(text: str) -> time:
    """:raises Invalid: naming ``report_time`` unless it is ``HH:MM``"""
    m = _TIME.match(text)
    if m is None:
        raise Invalid(f"report_time: {text!r} is not a time of day as HH:MM")
    return time(int(m[1]), int(m[2]))


def last_complete(period: str, today: date) -> tuple[date, date]:
    """``(first, last)`` of the last complete period before the one containing ``today``."""
    if period == "day":
        d = today - timedelta(days=1)
        return d, d
    if period == "week":
        monday = today - timedelta(days=today.isoweekday() - 1)
        return monday - timedelta(days=7), monday - timedelta(days=1)
    first_this = today.replace(day=1)
    last = first_this - timedelta(days=1)
    return last.replace(day=1), last


def local_today(tz: str, now_ms: int) -> datetime:
    return datetime.fromtimestamp(now_ms / 1000, tz=UTC).astimezone(zone(tz))


def due_period(period: str, *, tz: str, report_time: str, now_ms: int) -> tuple[date, date] | None:
    """The period whose report is due at ``now_ms``, or None (not yet today, or not a sending day)."""
    local = local_today(tz, now_ms)
    first, last = last_complete(period, local.date())
    send_day = last + timedelta(days=1)
    if local.date() != send_day:
        return None
    at = parse_time(report_time)
    moment = datetime(send_day.year, send_day.month, send_day.day, at.hour, at.minute, tzinfo=zone(tz))
    return (first, last) if now_ms >= int(moment.timestamp() * 1000) else None
