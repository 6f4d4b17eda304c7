"""The shapes of the dashboard's JSON documents, for the OpenAPI description (``/docs``).

The routes return plain ``JSONResponse`` documents (fast for a 1,000-store overview); these models document
them, and a test validates real responses against them so the two cannot drift apart.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field


class Doc(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)


class ScoreFields(Doc):
    total: int = Field(description="answers counted")
    happy_index: float | None = Field(description="0-100: mean face weight (4 faces: 0/33.3/66.7/100)")
    pct_positive: float | None = Field(description="% of answers on the happy half of the scale")
    ci95: list[float] | None = Field(description="95 % interval of the Happy Index (none below 2 answers)")
    scale: int | None = Field(description="faces on the scale most answers were given on")
    counts: list[int] = Field(description="answers per face on that scale, least happy first")
    is_low_n: bool = Field(description="fewer answers than min_n: shown with a badge, not ranked")


class Period(Doc):
    preset: str
    from_: str = Field(alias="from", description="first local day")
    to: str = Field(description="last local day (inclusive)")
    previous_from: str
    previous_to: str
    is_partial: bool = Field(description="the range reaches today, which is not over: its numbers are so far")
    is_future: bool = Field(description="the range starts after today: no answers can be in it yet")


class PreviousScore(Doc):
    total: int
    happy_index: float | None
    pct_positive: float | None


class PeriodWithYearAgo(Period):
    year_ago_from: str = Field(description="first day of the same period a year earlier")
    year_ago_to: str


class OverviewRow(ScoreFields):
    id: str
    name: str
    region_id: str | None
    timezone: str
    misuse_excluded: int = Field(description="taps flagged as misuse left out")
    closed_excluded: int = Field(description="answers given outside opening hours left out (and not misuse)")
    previous: PreviousScore
    change_index: float | None = Field(description="Happy Index points against the previous period")
    change_pct_positive: float | None
    year_ago: PreviousScore = Field(description="the same days a year earlier")
    change_year_index: float | None = Field(description="Happy Index points against the same days last year")
    was_asked: bool | None = Field(
        description="with ?question=: whether the store ever got an answer to it (false: not asked there, not a 0)"
    )


class OverviewAll(ScoreFields):
    previous: PreviousScore
    change_index: float | None
    year_ago: PreviousScore
    change_year_index: float | None


class RegionRow(ScoreFields):
    id: str | None = Field(description="null: the stores without a region")
    name: str | None
    location_count: int = Field(description="stores in the region that the caller sees")
    previous: PreviousScore
    change_index: float | None


class Overview(Doc):
    period: PeriodWithYearAgo
    min_n: int
    include_misuse: bool
    include_closed: bool
    question: str | None = Field(description="the question every number is narrowed to (null: all questions)")
    locations: list[OverviewRow]
    all: OverviewAll
    regions: list[RegionRow] = Field(description="a summary per region of the stores shown")


class CompareRow(ScoreFields):
    rank: int | None = Field(description="none below min_n answers")
    id: str
    name: str
    region_id: str | None
    overlaps_next: bool | None = Field(description="interval overlaps the next rank's: not significant")
    was_asked: bool | None = Field(description="with ?question=: whether the store ever got an answer to it")


class Compare(Doc):
    period: Period
    min_n: int
    include_misuse: bool
    include_closed: bool
    question: str | None = Field(description="the question every number is narrowed to (null: all questions)")
    locations: list[CompareRow]


class TrendPoint(ScoreFields):
    period: str = Field(description="local day YYYY-MM-DD or ISO week YYYY-Www")


class HeatCell(Doc):
    weekday: int = Field(description="ISO weekday, 1 = Monday, local time")
    hour: int = Field(description="local hour 0-23")
    total: int
    happy_index: float | None
    is_thin: bool = Field(description="fewer than 10 answers: the page shows the count, not the index")


class KioskRow(ScoreFields):
    id: str
    name: str | None = Field(description="friendly name set by an admin (shown instead of the id)")
    is_here_now: bool = Field(description="false: the kiosk answered here but stands elsewhere now")
    is_online: bool | None
    last_seen_ms: int | None


class Reason(Doc):
    reason: str
    n: int
    pct: float | None


class Reasons(Doc):
    unhappy_answers: int
    with_reason: int
    reasons: list[Reason]


class LocationInfo(Doc):
    id: str
    name: str
    timezone: str
    region_id: str | None
    response_interval_s: float
    opening_hours: dict[str, list[int] | None] = Field(description="ISO weekday -> [open hour, close hour]")


class Summary(ScoreFields):
    misuse_excluded: int
    closed_excluded: int = Field(description="answers given outside opening hours left out (and not misuse)")
    previous: PreviousScore
    change_index: float | None
    year_ago: PreviousScore = Field(description="the same days a year earlier (period.year_ago_from/_to)")
    change_year_index: float | None = Field(description="Happy Index points against the same days last year")


class QuestionText(Doc):
    language: str
    text: str
    since_ms: int = Field(description="from when the kiosk settings asked it in these words")


class QuestionInfo(Doc):
    id: str
    texts: dict[str, str] = Field(description="latest text per language (empty: the kiosks' built-in text)")
    history: list[QuestionText]
    first_day: str = Field(description="first local day it was answered in the range")
    last_day: str
    total: int


class Report(Doc):
    period: PeriodWithYearAgo
    location: LocationInfo
    min_n: int
    include_misuse: bool
    include_closed: bool
    granularity: str
    summary: Summary
    trend: list[TrendPoint]
    heatmap: list[HeatCell]
    kiosks: list[KioskRow]
    reasons: Reasons
    questions: list[QuestionInfo] = Field(description="the questions answered in the range, first asked first")
    question: str | None = Field(
        description="the question the summary, trend, heatmap, kiosks and reasons are narrowed to (null: all)"
    )
    trend_by_question: dict[str, list[TrendPoint]] = Field(
        description="with more than one question in the range: one trend per question id (never blended)"
    )


class FleetKiosk(Doc):
    id: str
    name: str | None = Field(description="friendly name set by an admin (shown instead of the id)")
    location_id: str
    location_name: str | None
    state: str = Field(description="online | offline | never | disabled")
    is_online: bool
    last_seen_ms: int | None
    last_seen_age_s: int | None
    backlog: int | None = Field(description="ratings waiting in the kiosk's outbox (last online status)")
    version: str | None
    clock_skew_ms: int | None = Field(description="kiosk clock minus hub clock at its latest live status")
    acked_through: int
    last_seq: int | None
    ntp_synced: bool | None
    is_flagged: bool = Field(description="went over the per-kiosk tap limit within the last hour (feedback.abuse)")
    taps_over_limit: int = Field(description="taps over the limit since the kiosk was registered")
    over_limit_ms: int | None = Field(description="when it last went over the limit (hub clock)")


class Fleet(Doc):
    now_ms: int
    stale_after_ms: int
    online: int
    offline: int
    flagged: int
    kiosks: list[FleetKiosk]


# the large reports are plain JSON documents: returned as JSONResponse they skip FastAPI's per-value encoding
# (jsonable_encoder took 35 ms for a 1,000-store overview, json.dumps 4 ms); this documents their shape
class AskedQuestion(Doc):
    id: str
    texts: dict[str, str] = Field(description="latest text per language (empty: the kiosks' built-in text)")
    first_day: str = Field(description="first local day it was answered in the range, at any of the stores")
    last_day: str
    location_count: int = Field(description="stores that got answers to it in the range")


class AskedQuestions(Doc):
    period: Period
    questions: list[AskedQuestion] = Field(description="first asked first")


def doc(model: type[Doc]) -> dict[int | str, dict[str, Any]]:
    return {200: {"model": model, "description": "the report (a JSON document of this shape)"}}


# ---------------------------------------------------------------------------------------------- HappyOrNot API v2
# The shapes of HappyOrNot's Customer API v2 (hub.api.happyornot); field names are theirs (camelCase).
class HonFeedback(BaseModel):
    feedbackId: str = Field(description="UUID: the kiosk's tap id, or the imported feedback's own")
    smileyId: int = Field(description="the kiosk (int64; an imported smiley keeps its id)")
    localTime: str = Field(description="date-time in the store's time zone, with its offset")
    surveyId: int = Field(description="the question (int64; an imported survey keeps its id)")
    experiencePointId: int = Field(description="the store (int64; an imported one keeps its id)")
    buttonIndex: int = Field(description="the face: 0 = least happy")
    misuse: bool
    position: int = Field(description="0 for the button feedback, 1 for its follow-up answer")
    ui: str = Field(description="physical")
    smileyType: str = Field(description="SMILEY_TOUCH for our kiosks; an imported smiley keeps its type")


class HonFollowupFeedback(HonFeedback):
    followupQuestionId: int
    followupOptionId: int
    followupOptionTextInDefaultLocale: str = Field(description="the reason given")


class HonExperiencePoint(BaseModel):
    experiencePointId: int = Field(description="a store, or a region as GROUP")
    name: str
    parent: int | None = Field(default=None, description="the region's GROUP id")
    type: str = Field(description="GROUP or EXPERIENCE-POINT")
