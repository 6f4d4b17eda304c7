"""When a location is open, as the hub judges each answer: its weekly opening hours and dated exceptions (the
admin Stores page, ``hub location set``), or else the hours the kiosks' remote settings carry (what a kiosk's
closed screen follows). No hours anywhere: always open, nothing is flagged."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field

from hub.reports.opening_hours import DAYS

Span = tuple[int, int] | None  # (opening minute, closing minute) of the local day; None: closed all day
_HHMM = re.compile(r"^(\d{2}):(\d{2})-(\d{2}):(\d{2})$")


@dataclass(frozen=True)
class Schedule:
    week: tuple[Span, ...]  # Monday first
    exceptions: Mapping[str, Span] = field(default_factory=dict)  # "YYYY-MM-DD" -> span

    def is_open(self, day: str, weekday: int, minute: int) -> bool:
        """Open at ``minute`` (0-1439) of local ``day`` (ISO date), whose ISO weekday is ``weekday``."""
        span = self.exceptions[day] if day in self.exceptions else self.week[weekday - 1]
        return span is not None and span[0] <= minute < span[1]


def _stored_week(raw: str | None) -> tuple[Span, ...] | None:
    """The stored ``{"1": [8, 21], ..., "7": null}`` (whole hours; a day not named is closed)."""
    try:
        doc = json.loads(raw) if raw else None
    except ValueError:
        return None
    if not isinstance(doc, dict) or not doc:
        return None
    return tuple(_hours_span(doc.get(str(d))) for d in range(1, 8))


def _hours_span(hours: object) -> Span:
    if isinstance(hours, list) and len(hours) == 2 and all(isinstance(h, int) for h in hours):
        return (hours[0] * 60, hours[1] * 60)
    return None


def _settings_week(hours: object) -> tuple[Span, ...] | None:
    """The kiosk settings' ``{"mon": "08:00-21:30", "sun": "closed"}`` (a day not named is open all day, as the
    kiosk reads it)."""
    if not isinstance(hours, dict) or not hours:
        return None
    out: list[Span] = []
    for name in DAYS:
        value = hours.get(name)
        if value is None:
            out.append((0, 24 * 60))
        elif value == "closed":
            out.append(None)
        elif isinstance(value, str) and (m := _HHMM.match(value)):
            out.append((int(m[1]) * 60 + int(m[2]), int(m[3]) * 60 + int(m[4])))
        else:
            return None  # unreadable: judge nothing rather than guess
    return tuple(out)


def _exceptions(raw: str | None) -> dict[str, Span]:
    try:
        items = json.loads(raw) if raw else []
    except ValueError:
        return {}
    if not isinstance(items, list):
        return {}
    return {str(i["date"]): _hours_span(i.get("hours")) for i in items if isinstance(i, dict) and "date" in i}


def schedule_from(week_json: str | None, exceptions_json: str | None, settings_hours: object) -> Schedule | None:
    """The location's schedule from its stored week and exceptions, else from the settings' hours; None when
    neither says anything (always open)."""
    week = _stored_week(week_json) or _settings_week(settings_hours)
    exceptions = _exceptions(exceptions_json)
    if week is None and not exceptions:
        return None
    return Schedule(week or tuple((0, 24 * 60) for _ in DAYS), exceptions)
