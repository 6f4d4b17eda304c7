"""The pure parts of alerting: score conditions, opening hours in the store's zone, reconciling live alerts, the
report schedule."""

from __future__ import annotations

import json
from datetime import date

import pytest

from hub.alerts.evaluation import Condition, open_since_ms, reconcile, score_condition
from hub.alerts.schedule import due_period, last_complete
from hub.store.records import AlertRow, AlertRule
from tests.dashboard.conftest import local_ms


def rule(kind: str, threshold: float, *, min_answers: int = 30) -> AlertRule:
    return AlertRule(1, kind, "all", None, threshold, "2h", min_answers, False, "boss", "admin", 0)


@pytest.mark.parametrize(
    ("kind", "threshold", "counts", "holds"),
    [
        ("unhappy_pct_above", 20.0, {4: [3, 0, 0, 0]}, False),  # 3 unhappy taps never page anyone
        ("unhappy_pct_above", 20.0, {4: [10, 5, 5, 10]}, True),
        ("unhappy_pct_above", 60.0, {4: [10, 5, 5, 10]}, False),
        ("happy_index_below", 50.0, {4: [20, 10, 0, 0]}, True),
        ("happy_index_above", 90.0, {4: [0, 0, 0, 40]}, True),
        ("responses_below", 5.0, {}, True),
        ("responses_above", 5.0, {4: [1, 1, 1, 1]}, False),
    ],
)
def test_score_conditions_hold_only_past_the_threshold_and_the_minimum(
    kind: str, threshold: float, counts: dict[int, list[int]], holds: bool
) -> None:
    """A score rule holds beyond its threshold, and never below its minimum number of answers."""
    min_answers = 0 if kind.startswith("responses") else 30
    cond = score_condition(rule(kind, threshold, min_answers=min_answers), "sto", counts)
    assert (cond is not None) == holds
    if cond is not None:
        assert json.loads(cond.detail)["kind"] == kind


@pytest.mark.parametrize(
    ("local", "opened"),
    [
        ("2026-03-29 07:59", None),  # a DST Sunday: before opening
        ("2026-03-29 08:30", "2026-03-29 08:00"),
        ("2026-10-25 20:59", "2026-10-25 08:00"),
        ("2026-10-25 21:00", None),  # closing time
        ("2026-10-24 12:00", None),  # Saturday: closed all day
    ],
)
def test_opening_hours_are_read_in_the_stores_zone(local: str, opened: str | None) -> None:
    """Open from 08:00 local on a DST day as on any other; closed outside hours and on a closed day."""
    hours: dict[str, list[int] | None] = {str(d): [8, 21] for d in range(1, 8)}
    hours["6"] = None
    got = open_since_ms(hours, "Europe/Stockholm", local_ms(local))
    assert got == (None if opened is None else local_ms(opened))


def test_reconcile_opens_new_conditions_and_closes_cleared_alerts() -> None:
    """A holding condition without a live alert opens; a live alert whose condition is gone closes."""
    live = [AlertRow(7, 1, "sto", "", "acknowledged", 80.0, "{}", 0, None, "anna", "on it", 1)]
    kept = Condition(1, "sto", "", 81.0, "{}")
    new = Condition(1, "gbg", "", 70.0, "{}")
    assert reconcile(live, [kept, new]) == ([new], [])
    assert reconcile(live, []) == ([], [7])


@pytest.mark.parametrize(
    ("period", "today", "first", "last"),
    [
        ("day", date(2026, 3, 29), date(2026, 3, 28), date(2026, 3, 28)),
        ("week", date(2026, 4, 6), date(2026, 3, 30), date(2026, 4, 5)),
        ("week", date(2026, 4, 8), date(2026, 3, 30), date(2026, 4, 5)),
        ("month", date(2026, 3, 1), date(2026, 2, 1), date(2026, 2, 28)),
    ],
)
def test_a_report_covers_the_last_complete_period(period: str, today: date, first: date, last: date) -> None:
    """Yesterday, last ISO week (Monday to Sunday), last month."""
    assert last_complete(period, today) == (first, last)


def test_a_weekly_report_is_due_only_on_monday_from_its_local_time() -> None:
    """Due Monday from 07:00 local, not before, and not on Tuesday (a hub down all Monday skips it)."""
    args = {"tz": "Europe/Stockholm", "report_time": "07:00"}
    assert due_period("week", now_ms=local_ms("2026-04-06 06:59"), **args) is None
    assert due_period("week", now_ms=local_ms("2026-04-06 07:00"), **args) == (date(2026, 3, 30), date(2026, 4, 5))
    assert due_period("week", now_ms=local_ms("2026-04-07 07:00"), **args) is None
