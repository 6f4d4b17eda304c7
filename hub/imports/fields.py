"""The fields of HappyOrNot's exports (Customer API v2 shapes), parsed from JSON values or CSV text.

Pure functions: a row in, a value out, or :class:`RowRefused` naming the field and the rule. Field definitions:
``ButtonFeedback``, ``FollowupFeedback``, ``ExperiencePoint`` and ``Survey`` in their public OpenAPI document
(``tests/data/happyornot/openapi-v2-excerpt.yml``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any

MAX_INT64 = 2**63 - 1
MAX_REASON_LEN = 64  # feedback.rating.MAX_REASON_LEN
_UUID = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")
_TRUE, _FALSE = {"true", "1", "yes"}, {"false", "0", "no", ""}
SMILEY_TYPES = ("SMILEY_TERMINAL", "SMILEY_TOUCH", "SMILEY_DIGITAL")
NPS = 0  # the scale of an NPS survey (0-10): refused, our faces cannot hold it
SCALES = {"four": 4, "five": 5, "five_reversed": 5, "nps": NPS}


class RowRefused(Exception):
    """A row that cannot be imported; ``reason`` is a short code, the message names the field."""

    def __init__(self, reason: str, detail: str) -> None:
        super().__init__(detail)
        self.reason = reason
        self.detail = detail


@dataclass(frozen=True, slots=True)
class ButtonFeedback:
    feedback_id: str
    smiley_id: int
    local_time: datetime  # naive: wall-clock time of the experience point; aware when the export gave an offset
    survey_id: int
    experience_point_id: int
    button_index: int
    is_misuse: bool
    smiley_type: str


@dataclass(frozen=True, slots=True)
class FollowupFeedback:
    feedback_id: str
    question_id: int
    option_id: int
    text: str


@dataclass(frozen=True, slots=True)
class ExperiencePoint:
    id: int
    name: str
    parent: int | None
    is_group: bool


@dataclass(frozen=True, slots=True)
class Survey:
    id: int
    scale: int  # 4, 5 or NPS
    question_text: str


def _get(row: dict[str, Any], name: str) -> Any:
    if "" in row and len(row) == 1:
        raise RowRefused("malformed", str(row[""]))
    value = row.get(name)
    if value is None or value == "":
        raise RowRefused("missing_field", f"{name} is missing")
    return value


def int64(row: dict[str, Any], name: str, *, maximum: int = MAX_INT64) -> int:
    value = _get(row, name)
    if isinstance(value, bool) or not isinstance(value, int | str):
        raise RowRefused("bad_value", f"{name} must be an integer, got {value!r:.40}")
    try:
        n = int(value)
    except ValueError:
        raise RowRefused("bad_value", f"{name} must be an integer, got {value!r:.40}") from None
    if not 0 <= n <= maximum:
        raise RowRefused("bad_value", f"{name} {n} is out of range 0..{maximum}")
    return n


def uuid(row: dict[str, Any], name: str = "feedbackId") -> str:
    value = _get(row, name)
    if not isinstance(value, str) or not _UUID.match(value):
        raise RowRefused("bad_value", f"{name} must be a UUID, got {value!r:.40}")
    return value.lower()


def boolean(row: dict[str, Any], name: str) -> bool:
    value = row.get(name, False)
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in _TRUE | _FALSE:
        return value.strip().lower() in _TRUE
    if value is None:
        return False
    raise RowRefused("bad_value", f"{name} must be true or false, got {value!r:.40}")


def local_time(row: dict[str, Any], name: str = "localTime") -> datetime:
    value = _get(row, name)
    try:
        return datetime.fromisoformat(str(value).strip().replace("Z", "+00:00"))
    except ValueError:
        raise RowRefused(
            "bad_value", f"{name} must be a date-time like 2026-03-29T14:05:00, got {value!r:.40}"
        ) from None


def parse_button(row: dict[str, Any]) -> ButtonFeedback:
    smiley_type = str(row.get("smileyType") or "SMILEY_TERMINAL")
    if smiley_type not in SMILEY_TYPES:
        raise RowRefused("bad_value", f"smileyType must be one of {', '.join(SMILEY_TYPES)}, got {smiley_type!r:.40}")
    return ButtonFeedback(
        feedback_id=uuid(row),
        smiley_id=int64(row, "smileyId"),
        local_time=local_time(row),
        survey_id=int64(row, "surveyId"),
        experience_point_id=int64(row, "experiencePointId"),
        button_index=int64(row, "buttonIndex", maximum=10),
        is_misuse=boolean(row, "misuse"),
        smiley_type=smiley_type,
    )


def parse_followup(row: dict[str, Any]) -> FollowupFeedback:
    option_id = int64(row, "followupOptionId")
    text = str(row.get("followupOptionTextInDefaultLocale") or "").strip() or f"option-{option_id}"
    question = row.get("followupQuestionId")
    return FollowupFeedback(
        feedback_id=uuid(row),
        question_id=int64(row, "followupQuestionId") if question not in (None, "") else 0,
        option_id=option_id,
        text=text[:MAX_REASON_LEN],
    )


def parse_experience_point(row: dict[str, Any]) -> ExperiencePoint:
    kind = str(_get(row, "type")).strip().upper().replace("_", "-")
    if kind not in ("GROUP", "EXPERIENCE-POINT"):
        raise RowRefused("bad_value", f"type must be GROUP or EXPERIENCE-POINT, got {kind!r:.40}")
    parent = row.get("parent")
    return ExperiencePoint(
        id=int64(row, "experiencePointId"),
        name=str(_get(row, "name")).strip()[:200],
        parent=int64(row, "parent") if parent not in (None, "") else None,
        is_group=kind == "GROUP",
    )


def parse_survey(row: dict[str, Any]) -> Survey:
    scale = str(_get(row, "feedbackScale")).strip().lower()
    if scale not in SCALES:
        raise RowRefused("bad_value", f"feedbackScale must be one of {', '.join(SCALES)}, got {scale!r:.40}")
    return Survey(int64(row, "surveyId"), SCALES[scale], str(row.get("questionTextInDefaultLocale") or "").strip())
