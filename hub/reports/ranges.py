"""Date ranges the dashboard offers: presets resolved against a local "today", custom days, previous periods.

Days are local calendar days; a range is applied to each location's own ``local_day``. The previous period
is the same number of days right before the range, except for the month presets, which compare like with like:
"last month" with the whole calendar month before it, "this month" on the 10th with the 1st-10th of the month
before (issue 11, defect 10). A range that reaches today is partial (``is_partial``): today is not over yet.
A range that starts after today is flagged ``is_future`` (pages say so instead of showing an empty period).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta

from hub.errors import BadRange

MAX_RANGE_DAYS = 3660


@dataclass(frozen=True, slots=True)
class DayRange:
    first: date
    last: date

    def __post_init__(self) -> None:
        if self.last < self.first:
            raise BadRange(f"'to' ({self.last}) is before 'from' ({self.first})")
        if (self.last - self.first).days >= MAX_RANGE_DAYS:
            raise BadRange(f"a range may span at most {MAX_RANGE_DAYS} days")


PRESETS = ("today", "yesterday", "last_7_days", "last_30_days", "this_month", "last_month", "custom")
EARLIEST = date(2000, 1, 1)
LATEST = date(2999, 12, 31)
_DAY = re.compile(r"^\d{4}-\d{2}-\d{2}$")


@dataclass(frozen=True, slots=True)
class Period:
    """A resolved range with the preset it came from and the period before it."""

    preset: str
    days: DayRange
    previous: DayRange
    is_partial: bool = False  # the range reaches today, which is not over yet
    is_future: bool = False  # the range starts after today: no answers can be in it yet

    def as_dict(self) -> dict[str, str | bool]:
        return {
            "preset": self.preset,
            "from": self.days.first.isoformat(),
            "to": self.days.last.isoformat(),
            "previous_from": self.previous.first.isoformat(),
            "previous_to": self.previous.last.isoformat(),
            "is_partial": self.is_partial,
            "is_future": self.is_future,
        }


def parse_day(value: str, name: str) -> date:
    """A ``YYYY-MM-DD`` day between 2000 and 2999.

    :raises BadRange: naming the parameter, for anything else
    """
    if not _DAY.match(value):
        raise BadRange(f"'{name}' must be a date as YYYY-MM-DD")
    try:
        day = date.fromisoformat(value)
    except ValueError:
        raise BadRange(f"'{name}' is not a real date: {value}") from None
    if not EARLIEST <= day <= LATEST:
        raise BadRange(f"'{name}' must lie between {EARLIEST} and {LATEST}")
    return day


def _month_start(day: date) -> date:
    return day.replace(day=1)


def preset_days(preset: str, today: date) -> DayRange:
    if preset == "today":
        return DayRange(today, today)
    if preset == "yesterday":
        return DayRange(today - timedelta(days=1), today - timedelta(days=1))
    if preset == "last_7_days":
        return DayRange(today - timedelta(days=6), today)
    if preset == "last_30_days":
        return DayRange(today - timedelta(days=29), today)
    if preset == "this_month":
        return DayRange(_month_start(today), today)
    if preset == "last_month":
        last = _month_start(today) - timedelta(days=1)
        return DayRange(_month_start(last), last)
    raise BadRange(f"'range' must be one of {', '.join(PRESETS)}")


def previous_of(days: DayRange) -> DayRange:
    n = (days.last - days.first).days + 1
    return DayRange(days.first - timedelta(days=n), days.first - timedelta(days=1))


def previous_month_of(days: DayRange) -> DayRange:
    """For a range starting on the 1st: the same days of the month before (a whole month for a whole month,
    the 1st to the same day — or that month's last — for a month so far)."""
    before_last = days.first - timedelta(days=1)
    before_first = _month_start(before_last)
    is_whole_month = (days.last + timedelta(days=1)).day == 1
    if is_whole_month:
        return DayRange(before_first, before_last)
    return DayRange(before_first, before_first.replace(day=min(days.last.day, before_last.day)))


def resolve(
    *,
    today: date,
    preset: str | None = None,
    first: str | None = None,
    last: str | None = None,
    default: str = "last_7_days",
) -> Period:
    """The period a request asks for: explicit ``from``/``to`` win (preset "custom"), else the preset.

    :raises BadRange: for an unknown preset, malformed or out-of-range days, a reversed or too long range
    """
    if first is not None or last is not None or preset == "custom":
        if first is None or last is None:
            raise BadRange("a custom range needs both 'from' and 'to'")
        days = DayRange(parse_day(first, "from"), parse_day(last, "to"))
        is_future = days.first > today
        is_partial = days.last >= today and not is_future
        return Period("custom", days, previous_of(days), is_partial=is_partial, is_future=is_future)
    name = preset or default
    days = preset_days(name, today)
    previous = previous_month_of(days) if name in ("this_month", "last_month") else previous_of(days)
    return Period(name, days, previous, is_partial=days.last >= today)
