"""Alert rules: what each kind means, its threshold's unit and bounds, windows, scopes, and who may set which.

Pure: no I/O. A rule is checked here before the store keeps it; every refusal is an ``InvalidRule`` naming the
field and the reason (a 422 at the API, one ``error:`` line at the CLI).
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from datetime import date, timedelta

from hub.access import Principal
from hub.errors import InvalidRule

# kind: (unit of the threshold, lowest, highest, is a score rule with a window)
KINDS: dict[str, tuple[str, float, float, bool]] = {
    "happy_index_below": ("an index", 0, 100, True),
    "happy_index_above": ("an index", 0, 100, True),
    "unhappy_pct_above": ("a %", 0, 100, True),
    "responses_below": ("answers", 0, 10_000_000, True),
    "responses_above": ("answers", 0, 10_000_000, True),
    "kiosk_silent": ("minutes", 0.05, 7 * 24 * 60, False),  # fractions allowed (0.05 = 3 s: tests)
    "backlog_growing": ("minutes", 0.05, 7 * 24 * 60, False),
    "clock_skew": ("seconds", 1, 10 * 365 * 86400, False),
    "config_refused": ("-", 0, 0, False),
}
SCORE_KINDS = frozenset(k for k, v in KINDS.items() if v[3])
KIOSK_KINDS = frozenset(k for k, v in KINDS.items() if not v[3])
SCOPES = ("all", "region", "location")
DEFAULT_MIN_ANSWERS = 30
MAX_MIN_ANSWERS = 1_000_000
_WINDOW = re.compile(r"^(?:(?P<hours>\d{1,3})h|(?P<days>\d{1,3})d|today)$")
MAX_WINDOW_HOURS = 72
MAX_WINDOW_DAYS = 90


@dataclass(frozen=True, slots=True)
class Window:
    """A score rule's window: the last ``hours`` hours, or the last ``days`` local days (1 = today so far)."""

    hours: int | None = None
    days: int | None = None

    def since_ms(self, now_ms: int) -> int:
        assert self.hours is not None
        return now_ms - self.hours * 3_600_000

    def days_to(self, today: date) -> tuple[date, date]:
        assert self.days is not None
        return today - timedelta(days=self.days - 1), today


def parse_window(text: str | None) -> Window:
    """``"2h"`` (last 2 hours, up to 72), ``"today"`` (today so far), ``"7d"`` (the last 7 local days, up to 90).

    :raises InvalidRule: naming ``window``
    """
    m = _WINDOW.match(text or "")
    if m is None:
        raise InvalidRule(f"window: {text!r} is not a window: write e.g. '2h', 'today' or '7d'")
    if m["hours"] is not None:
        hours = int(m["hours"])
        if not 1 <= hours <= MAX_WINDOW_HOURS:
            raise InvalidRule(f"window: hours must be 1-{MAX_WINDOW_HOURS}, got {hours}")
        return Window(hours=hours)
    days = 1 if m["days"] is None else int(m["days"])
    if not 1 <= days <= MAX_WINDOW_DAYS:
        raise InvalidRule(f"window: days must be 1-{MAX_WINDOW_DAYS}, got {days}")
    return Window(days=days)


@dataclass(frozen=True, slots=True)
class RuleSpec:
    """A rule as asked for, checked: ``checked_rule`` builds it."""

    kind: str
    scope: str
    scope_id: str | None
    threshold: float
    window: str | None
    min_answers: int
    include_misuse: bool


def checked_rule(
    *,
    kind: str,
    scope: str,
    scope_id: str | None,
    threshold: float | None,
    window: str | None,
    min_answers: int | None,
    include_misuse: bool = False,
) -> RuleSpec:
    """:raises InvalidRule: naming the field (kind, threshold, window, min_answers, scope, scope_id) and why"""
    if kind not in KINDS:
        raise InvalidRule(f"kind: {kind!r} is not one of {', '.join(KINDS)}")
    unit, low, high, is_score = KINDS[kind]
    if scope not in SCOPES:
        raise InvalidRule(f"scope: {scope!r} is not one of {', '.join(SCOPES)}")
    if scope == "all" and scope_id:
        raise InvalidRule("scope_id: a rule for all stores names none")
    if scope != "all" and not scope_id:
        raise InvalidRule(f"scope_id: a {scope} rule needs the {scope}'s id")
    if kind == "config_refused":
        threshold = 0.0
    elif threshold is None or not math.isfinite(threshold) or not low <= threshold <= high:
        raise InvalidRule(f"threshold: {kind} needs {unit} between {low:g} and {high:g}, got {threshold!r}")
    if is_score:
        parse_window(window)
        default = 0 if kind.startswith("responses_") else DEFAULT_MIN_ANSWERS
        min_answers = default if min_answers is None else min_answers
        if not 0 <= min_answers <= MAX_MIN_ANSWERS:
            raise InvalidRule(f"min_answers: must be 0-{MAX_MIN_ANSWERS}, got {min_answers}")
        if kind.startswith("responses_") and min_answers:
            raise InvalidRule("min_answers: a responses rule counts answers itself; leave min_answers out")
    else:
        if window:
            raise InvalidRule(f"window: a {kind} rule has no window")
        if min_answers:
            raise InvalidRule(f"min_answers: a {kind} rule counts no answers")
        if include_misuse:
            raise InvalidRule(f"include_misuse: a {kind} rule counts no answers")
        min_answers, window = 0, None
    return RuleSpec(kind, scope, scope_id or None, float(threshold), window, min_answers, include_misuse)


def check_may_set(who: Principal, spec: RuleSpec, *, region_locations: frozenset[str]) -> None:
    """Admins may set rules for any scope; a manager only for their own stores (a region: all its stores).

    :raises InvalidRule: naming ``scope`` or ``scope_id`` (a store not theirs reads as one that does not exist)
    """
    if who.location_ids is None:
        return
    if spec.scope == "all":
        raise InvalidRule("scope: a manager may set rules only for their own stores or regions, not 'all'")
    if spec.scope == "location" and spec.scope_id not in who.location_ids:
        raise InvalidRule(f"scope_id: no location {spec.scope_id!r} among yours")
    if spec.scope == "region" and (not region_locations or not region_locations <= who.location_ids):
        raise InvalidRule(f"scope_id: region {spec.scope_id!r} is not one of yours")
