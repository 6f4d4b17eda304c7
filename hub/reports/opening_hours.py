"""Opening hours of a location, written as ``"mon-fri 8-21, sat 10-18, sun closed"`` (whole local hours).

Stored as JSON ``{"1": [8, 21], ..., "7": null}`` keyed by ISO weekday (1 = Monday); a day not named is closed.
The heatmap greys out the hours a store is closed.
"""

from __future__ import annotations

import json
import re
from datetime import date

from hub.errors import BadOpeningHours

DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_PART = re.compile(r"^(?P<days>[a-z]{3}(?:-[a-z]{3})?)\s+(?:(?P<open>\d{1,2})-(?P<close>\d{1,2})|closed)$")


def parse_opening_hours(text: str) -> dict[str, list[int] | None]:
    """``"mon-fri 8-21, sat 10-18"`` → ``{"1": [8, 21], ..., "6": [10, 18], "7": None}``.

    :raises BadOpeningHours: naming the part it could not read
    """
    out: dict[str, list[int] | None] = {str(d): None for d in range(1, 8)}
    for part in (p.strip().lower() for p in text.split(",")):
        m = _PART.match(part)
        if not m:
            raise BadOpeningHours(f"cannot read {part!r}: write e.g. 'mon-fri 8-21, sat 10-18, sun closed'")
        first, _, last = m["days"].partition("-")
        if first not in DAYS or (last and last not in DAYS):
            raise BadOpeningHours(f"unknown day in {part!r}: use {', '.join(DAYS)}")
        lo, hi = DAYS.index(first), DAYS.index(last or first)
        if hi < lo:
            raise BadOpeningHours(f"{part!r} runs backwards")
        hours: list[int] | None = None
        if m["open"] is not None:
            hours = [int(m["open"]), int(m["close"])]
            if not 0 <= hours[0] < hours[1] <= 24:
                raise BadOpeningHours(f"{part!r}: hours must be 0-24 with opening before closing")
        for d in range(lo, hi + 1):
            out[str(d + 1)] = hours
    return out


def opening_hours_json(text: str) -> str:
    return json.dumps(parse_opening_hours(text))


def from_kiosk_settings(hours: object) -> dict[str, list[int] | None]:
    """Kiosk settings' ``{"mon": "08:00-21:00", "sun": "closed"}`` in the stored form (partial hours widen).

    A day the settings do not name is taken as open all day; anything unreadable yields ``{}`` (the heatmap
    then greys nothing out).
    """
    if not isinstance(hours, dict) or not hours:
        return {}
    out: dict[str, list[int] | None] = {str(d): [0, 24] for d in range(1, 8)}
    for name, value in hours.items():
        if name not in DAYS or not isinstance(value, str):
            return {}
        m = re.fullmatch(r"(\d{2}):(\d{2})-(\d{2}):(\d{2})", value)
        if value == "closed":
            out[str(DAYS.index(name) + 1)] = None
            continue
        if m is None:
            return {}
        opens, closes = int(m[1]), int(m[3]) + (1 if int(m[4]) else 0)
        out[str(DAYS.index(name) + 1)] = [opens, min(24, closes)] if opens < closes else None
    return out


def week_from_days(days: dict[str, list[int] | None]) -> dict[str, list[int] | None]:
    """``{"mon": [8, 21], "sun": None}`` (the API's and the admin page's form) in the stored form; a day not
    named is closed.

    :raises BadOpeningHours: naming the day
    """
    out: dict[str, list[int] | None] = {str(d): None for d in range(1, 8)}
    for name, hours in days.items():
        if name not in DAYS:
            raise BadOpeningHours(f"opening_hours: unknown day {name[:20]!r}: use {', '.join(DAYS)}")
        out[str(DAYS.index(name) + 1)] = _checked(hours, f"opening_hours.{name}")
    return out


def days_from_week(week: dict[str, list[int] | None]) -> dict[str, list[int] | None]:
    """The stored form back as ``{"mon": [8, 21], ...}`` (every day named)."""
    return {name: week.get(str(i + 1)) for i, name in enumerate(DAYS)}


def checked_exceptions(items: list[dict[str, object]]) -> list[dict[str, object]]:
    """Dated exceptions ``{"date": "2026-12-24", "hours": [10, 14] | None, "note": "Christmas Eve"}``, sorted.

    :raises BadOpeningHours: a bad date, hours or a date given twice
    """
    seen: set[str] = set()
    out: list[dict[str, object]] = []
    for i, item in enumerate(items):
        day = item.get("date")
        try:
            parsed = date.fromisoformat(day) if isinstance(day, str) and len(day) == 10 else None
        except ValueError:
            parsed = None
        if parsed is None:
            raise BadOpeningHours(f"opening_exceptions[{i}].date: {str(day)[:20]!r} is not a day YYYY-MM-DD")
        if day in seen:
            raise BadOpeningHours(f"opening_exceptions[{i}].date: {day} is given twice")
        seen.add(parsed.isoformat())
        hours = item.get("hours")
        note = item.get("note") or ""
        if hours is not None and not isinstance(hours, list):
            raise BadOpeningHours(f"opening_exceptions[{i}].hours: [open, close] or null (closed)")
        out.append(
            {
                "date": parsed.isoformat(),
                "hours": _checked(hours, f"opening_exceptions[{i}].hours"),
                "note": str(note)[:80],
            }
        )
    return sorted(out, key=lambda x: str(x["date"]))


def _checked(hours: list[int] | None, where: str) -> list[int] | None:
    if hours is None:
        return None
    if len(hours) != 2 or not all(isinstance(h, int) for h in hours) or not 0 <= hours[0] < hours[1] <= 24:
        raise BadOpeningHours(f"{where}: [open, close] whole hours 0-24 with opening before closing, or null")
    return [hours[0], hours[1]]
