"""Which rules hold, as pure functions over counts and kiosk facts the store gives (``now_ms`` passed in), and
how the live alerts follow: open once while a condition holds, close when it clears, open again only after."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from feedback.scores import score_many
from hub.reports.localtime import zone
from hub.store.records import AlertRow, AlertRule

Counts = Mapping[int, Sequence[int]]


@dataclass(frozen=True, slots=True)
class Condition:
    """A rule holding for a store (``subject`` "") or one of its kiosks (``subject`` = kiosk id)."""

    rule_id: int
    location_id: str
    subject: str
    value: float | None
    detail: str  # JSON: what the messages say (kind, value, threshold, answers, window)


@dataclass(frozen=True, slots=True)
class KioskFacts:
    kiosk_id: str
    location_id: str
    last_seen_ms: int | None
    created_ms: int
    is_disabled: bool
    clock_skew_ms: int | None = None
    growing_since_ms: int | None = None
    backlog: int | None = None
    refused: str | None = None  # the reason of a refused remote config


def _detail(rule: AlertRule, value: float | None, **extra: object) -> str:
    return json.dumps({"kind": rule.kind, "value": value, "threshold": rule.threshold, "window": rule.window, **extra})


def unhappy_pct(counts: Counts) -> float | None:
    """% of answers below the middle of their scale (the unhappy faces), or None without answers."""
    total = sum(sum(c) for c in counts.values())
    if not total:
        return None
    unhappy = sum(n for scale, c in counts.items() for face, n in enumerate(c) if face * 2 < scale - 1)
    return round(100.0 * unhappy / total, 1)


def score_condition(rule: AlertRule, location_id: str, counts: Counts) -> Condition | None:
    """A score rule over one store's counts in its window; never below ``min_answers`` answers."""
    total = sum(sum(c) for c in counts.values())
    kind, limit = rule.kind, rule.threshold
    value: float | None
    if kind in ("responses_below", "responses_above"):
        value = float(total)
        holds = value < limit if kind == "responses_below" else value > limit
    else:
        if total < max(1, rule.min_answers):
            return None
        value = unhappy_pct(counts) if kind == "unhappy_pct_above" else score_many(counts).happy_index
        if value is None:
            return None
        holds = value < limit if kind == "happy_index_below" else value > limit
    if not holds:
        return None
    return Condition(rule.id, location_id, "", value, _detail(rule, value, answers=total))


def open_since_ms(hours: Mapping[str, list[int] | None] | None, tz: str, now_ms: int) -> int | None:
    """When the store opened today if it is open at ``now_ms`` (local hours, its zone), else None.

    No opening hours known: always open (from the epoch).
    """
    if not hours:
        return 0
    local = datetime.fromtimestamp(now_ms / 1000, tz=UTC).astimezone(zone(tz))
    span = hours.get(str(local.isoweekday()))
    if not span or not span[0] <= local.hour < span[1]:
        return None
    opened = datetime(local.year, local.month, local.day, span[0], tzinfo=zone(tz))  # wall clock: DST-safe
    return int(opened.timestamp() * 1000)


def kiosk_conditions(
    rule: AlertRule,
    kiosks: Iterable[KioskFacts],
    *,
    opened_ms: Mapping[str, int | None],
    now_ms: int,
) -> list[Condition]:
    """Kiosk rules: silent during opening hours (``opened_ms``: when each store opened today, None = closed),
    backlog growing, clock skew beyond the limit, a refused remote config. Disabled kiosks never alert."""
    out = []
    for k in kiosks:
        if k.is_disabled:
            continue
        if rule.kind == "kiosk_silent":
            since = opened_ms.get(k.location_id)
            if since is None:
                continue  # a closed store never alerts
            silent_min = (now_ms - max(since, k.last_seen_ms or k.created_ms)) / 60_000
            if silent_min >= rule.threshold:
                out.append(
                    Condition(
                        rule.id,
                        k.location_id,
                        k.kiosk_id,
                        round(silent_min, 1),
                        _detail(rule, round(silent_min, 1), kiosk=k.kiosk_id, last_seen_ms=k.last_seen_ms),
                    )
                )
        elif rule.kind == "backlog_growing" and k.growing_since_ms is not None:
            minutes = (now_ms - k.growing_since_ms) / 60_000
            if minutes >= rule.threshold:
                out.append(
                    Condition(
                        rule.id,
                        k.location_id,
                        k.kiosk_id,
                        float(k.backlog or 0),
                        _detail(rule, k.backlog, kiosk=k.kiosk_id, minutes=round(minutes, 1)),
                    )
                )
        elif rule.kind == "clock_skew" and k.clock_skew_ms is not None:
            skew_s = k.clock_skew_ms / 1000
            if abs(skew_s) > rule.threshold:
                out.append(
                    Condition(rule.id, k.location_id, k.kiosk_id, skew_s, _detail(rule, skew_s, kiosk=k.kiosk_id))
                )
        elif rule.kind == "config_refused" and k.refused is not None:
            out.append(
                Condition(
                    rule.id, k.location_id, k.kiosk_id, None, _detail(rule, None, kiosk=k.kiosk_id, reason=k.refused)
                )
            )
    return out


def reconcile(live: Iterable[AlertRow], holding: Iterable[Condition]) -> tuple[list[Condition], list[int]]:
    """``(conditions to open, alert ids to close)``: a holding condition without a live alert opens one; a live
    alert whose condition no longer holds closes (and may open again on a later cycle)."""
    live_by_key = {(a.rule_id, a.location_id, a.subject): a.id for a in live}
    holding_by_key = {(c.rule_id, c.location_id, c.subject): c for c in holding}
    opened = [c for key, c in holding_by_key.items() if key not in live_by_key]
    closed = [alert_id for key, alert_id in live_by_key.items() if key not in holding_by_key]
    return opened, closed
