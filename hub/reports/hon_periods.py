"""HappyOrNot Customer API v2 semantics, as pure functions: its ``period`` values, ``startDate``/``endDate`` and the
stable int64 ids our stores, kiosks and questions wear in its shape.

Periods are local calendar days of each store (weeks start on Monday). ``startDate`` is inclusive and ``endDate``
exclusive, and they win over ``period``; without either, the answer is today's. Unlike the original there is no
one-year cap on a range.
"""

from __future__ import annotations

import hashlib
import re
from datetime import date, timedelta

from hub.errors import BadRange

PERIOD_PATTERN = (
    r"^(today|yesterday|this-week|last-week|this-month|last-month|this-year|last-year|\d{4}(-(0[1-9]|1[0-2]|q[1-4]))?)$"
)
_PERIOD = re.compile(PERIOD_PATTERN)
_FIRST_STABLE, _LAST_STABLE = 1 << 40, 1 << 53  # above any id HappyOrNot hands out; exact in a JSON double


def _month_start(d: date, months_back: int = 0) -> date:
    index = d.year * 12 + d.month - 1 - months_back
    return date(index // 12, index % 12 + 1, 1)


def period_days(period: str, today: date) -> tuple[date, date]:
    """``(first day, day after the last)`` of a ``period`` value, seen from ``today``.

    :raises BadRange: the value is not one of HappyOrNot's periods
    """
    if not _PERIOD.match(period):
        raise BadRange(
            f"period {period[:40]!r} is not one of today, yesterday, this-/last-week, -month, -year, YYYY,"
            " YYYY-MM or YYYY-qN"
        )
    monday = today - timedelta(days=today.weekday())
    if period == "today":
        return today, today + timedelta(days=1)
    if period == "yesterday":
        return today - timedelta(days=1), today
    if period == "this-week":
        return monday, monday + timedelta(days=7)
    if period == "last-week":
        return monday - timedelta(days=7), monday
    if period == "this-month":
        return _month_start(today), _month_start(today, -1)
    if period == "last-month":
        return _month_start(today, 1), _month_start(today)
    if period == "this-year":
        return date(today.year, 1, 1), date(today.year + 1, 1, 1)
    if period == "last-year":
        return date(today.year - 1, 1, 1), date(today.year, 1, 1)
    year = int(period[:4])
    if year < 1:
        raise BadRange(f"period {period!r}: year 0000 does not exist")
    if len(period) == 4:
        return date(year, 1, 1), date(year + 1, 1, 1)
    if period[5] == "q":
        first = date(year, 3 * (int(period[6]) - 1) + 1, 1)
        return first, _month_start(first, -3)
    first = date(year, int(period[5:7]), 1)
    return first, _month_start(first, -1)


def days_asked(period: str | None, start: date | None, end: date | None, today: date) -> tuple[date, date]:
    """The local days ``(first, last)`` inclusive that the parameters ask for, seen from ``today``.

    :raises BadRange: a bad period, or an ``endDate`` not after ``startDate``
    """
    if start is None and end is None and period is not None:
        first, after = period_days(period, today)
    else:
        first = start if start is not None else today
        after = end if end is not None else today + timedelta(days=1)
        if after <= first:
            raise BadRange(f"endDate ({after}) must be after startDate ({first}): endDate is exclusive")
    return first, after - timedelta(days=1)


def stable_id(kind: str, our_id: str) -> int:
    """A positive int64 for one of our ids, the same on every call and every hub (and within 2^53, so spreadsheets
    and Power BI keep it exact): ``kind`` is ``location``, ``region``, ``kiosk``, ``question`` or ``reason``."""
    digest = hashlib.sha256(f"{kind}:{our_id}".encode()).digest()
    return _FIRST_STABLE + int.from_bytes(digest[:8], "big") % (_LAST_STABLE - _FIRST_STABLE)
