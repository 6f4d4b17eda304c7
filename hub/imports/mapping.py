"""Where imported things go: experience points to stores, surveys to questions and scales, and local times to
instants.

A mapping file (JSON) is optional::

    {
      "timezone": "Europe/Stockholm",
      "experience_points": {"1001": "sto", "1002": {"timezone": "Europe/Helsinki", "name": "Helsinki"}},
      "surveys": {"501": {"question": "visit", "scale": 5}}
    }

An experience point mapped to a string goes into that existing store; any other becomes a new store
``hon-<id>`` in its own or the default ``timezone``. A survey becomes question ``hon-<id>`` (or the mapping's) on
the scale the mapping or its surveys export says (``four``/``five``; ``nps`` answers are refused); the rows of a
survey whose scale nothing says are refused (``unknown_scale``), never guessed.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from feedback.ids import is_valid_id
from hub.errors import BadMapping, InvalidTimezone
from hub.reports.localtime import check_timezone, zone


@dataclass(frozen=True, slots=True)
class PointTarget:
    location_id: str | None = None  # an existing store
    timezone: str | None = None  # for a new store
    name: str | None = None


@dataclass(frozen=True, slots=True)
class SurveyTarget:
    question: str | None = None
    scale: int | None = None


@dataclass(frozen=True, slots=True)
class Mapping:
    timezone: str | None = None
    experience_points: dict[int, PointTarget] = field(default_factory=dict)
    surveys: dict[int, SurveyTarget] = field(default_factory=dict)

    def key(self) -> str:
        """A digest of everything that changes what a row becomes (part of each file's progress key)."""
        doc = {
            "tz": self.timezone,
            "ep": sorted((k, v.location_id, v.timezone, v.name) for k, v in self.experience_points.items()),
            "s": sorted((k, v.question, v.scale) for k, v in self.surveys.items()),
        }
        return hashlib.sha256(json.dumps(doc, sort_keys=True).encode()).hexdigest()[:16]


def _foreign_id(key: str, where: str) -> int:
    if not key.isdigit() or int(key) > 2**63 - 1:
        raise BadMapping(f"{where}: {key!r} is not a HappyOrNot id (an integer)")
    return int(key)


def _zone(value: Any, where: str) -> str:
    try:
        return check_timezone(str(value))
    except InvalidTimezone as exc:
        raise BadMapping(f"{where}: {exc}") from None


def _point(key: str, value: Any) -> PointTarget:
    where = f"experience_points.{key}"
    if isinstance(value, str):
        value = {"location": value}
    if not isinstance(value, dict) or set(value) - {"location", "timezone", "name"}:
        raise BadMapping(f"{where}: give a store id, or an object with location, timezone and/or name")
    loc = value.get("location")
    if loc is not None and not is_valid_id(loc):
        raise BadMapping(f"{where}.location: {loc!r} is not a store id")
    tz = _zone(value["timezone"], f"{where}.timezone") if value.get("timezone") is not None else None
    name = value.get("name")
    return PointTarget(loc, tz, str(name)[:200] if name is not None else None)


def _survey(key: str, value: Any) -> SurveyTarget:
    where = f"surveys.{key}"
    if not isinstance(value, dict) or set(value) - {"question", "scale"}:
        raise BadMapping(f"{where}: give an object with question and/or scale")
    question, scale = value.get("question"), value.get("scale")
    if question is not None and not (isinstance(question, str) and 1 <= len(question) <= 63):
        raise BadMapping(f"{where}.question: a question id of 1-63 characters")
    if scale is not None and scale not in (4, 5):
        raise BadMapping(f"{where}.scale: 4 or 5 (NPS answers are not imported)")
    return SurveyTarget(question, scale)


def parse_mapping(doc: Any, *, timezone: str | None = None) -> Mapping:
    """:raises BadMapping: naming the key that is wrong"""
    if not isinstance(doc, dict) or set(doc) - {"timezone", "experience_points", "surveys"}:
        raise BadMapping("a mapping is an object with timezone, experience_points and/or surveys")
    points, surveys = doc.get("experience_points", {}), doc.get("surveys", {})
    if not isinstance(points, dict) or not isinstance(surveys, dict):
        raise BadMapping("experience_points and surveys are objects keyed by HappyOrNot id")
    tz = timezone if timezone is not None else doc.get("timezone")
    return Mapping(
        _zone(tz, "timezone") if tz is not None else None,
        {_foreign_id(k, "experience_points"): _point(k, v) for k, v in points.items()},
        {_foreign_id(k, "surveys"): _survey(k, v) for k, v in surveys.items()},
    )


def load_mapping(path: Path | None, *, timezone: str | None = None) -> Mapping:
    if path is None:
        return parse_mapping({}, timezone=timezone)
    try:
        doc = json.loads(path.read_text(encoding="utf-8-sig"))
    except OSError as exc:
        raise BadMapping(f"{path.name}: cannot read it ({exc.strerror})") from exc
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise BadMapping(f"{path.name}: not JSON ({exc})") from exc
    return parse_mapping(doc, timezone=timezone)


def instant_ms(local: datetime, timezone: str) -> int:
    """UTC ms of an export's ``localTime`` read in the store's zone.

    A time with an offset means exactly that instant. A wall-clock time is resolved as java.time's
    ``ZonedDateTime.of`` does (HappyOrNot's exports are wall-clock times of the experience point): in the hour
    repeated when clocks go back, the earlier instant (summer time); in the hour skipped when they go forward,
    the time is moved later by the gap (02:30 → 03:30). Python's ``fold=0`` gives both.
    """
    if local.tzinfo is None:
        local = local.replace(tzinfo=zone(timezone), fold=0)
    return round(local.timestamp() * 1000)
