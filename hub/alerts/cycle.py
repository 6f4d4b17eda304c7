"""One evaluation cycle: read the facts every rule needs from the store (one query per window, not per store),
decide with ``evaluation``, and apply the opened and closed alerts with their messages in one transaction."""

from __future__ import annotations

import json
from collections import defaultdict
from dataclasses import dataclass

from hub.alerts.evaluation import Condition, KioskFacts, kiosk_conditions, open_since_ms, reconcile, score_condition
from hub.alerts.messages import Outgoing, alert_deliveries
from hub.alerts.rules import SCORE_KINDS, parse_window
from hub.reports.localtime import today
from hub.store import Store
from hub.store.records import AlertRow, AlertRule, Location, NewDelivery, PeriodCounts


@dataclass(frozen=True, slots=True)
class CycleResult:
    rules: int
    holding: int
    opened: list[AlertRow]
    closed: list[int]


def owner_locations(store: Store, rule: AlertRule, cache: dict[str, frozenset[str]]) -> frozenset[str] | None:
    """The stores a rule's owner may see now (None = all): a manager's rule never reaches beyond them."""
    if rule.owner_role == "admin":
        return None
    if rule.owner not in cache:
        cache[rule.owner] = store.accounts.manager_locations(rule.owner)
    return cache[rule.owner]


def rule_locations(rule: AlertRule, locations: list[Location], visible: frozenset[str] | None) -> list[str]:
    out = []
    for loc in locations:
        if visible is not None and loc.id not in visible:
            continue
        if (
            rule.scope == "all"
            or (rule.scope == "location" and loc.id == rule.scope_id)
            or (rule.scope == "region" and loc.region_id == rule.scope_id)
        ):
            out.append(loc.id)
    return out


def _score_counts(
    store: Store, rule: AlertRule, loc_ids: list[str], zones: dict[str, str], now_ms: int, cache: dict[object, object]
) -> dict[str, dict[int, list[int]]]:
    """Counts per store in the rule's window; one query per (window, misuse, zone), shared by rules alike."""
    window = parse_window(rule.window)
    if window.hours is not None:
        key: tuple[object, ...] = ("h", window.hours, rule.include_misuse)
        if key not in cache:
            all_ids = sorted(zones)
            cache[key] = store.alerts.recent_counts(
                all_ids, window.since_ms(now_ms), include_misuse=rule.include_misuse
            )
        counts: dict[str, dict[int, list[int]]] = cache[key]  # type: ignore[assignment]
        return {loc: counts.get(loc, {}) for loc in loc_ids}
    out: dict[str, dict[int, list[int]]] = {}
    by_zone: dict[str, list[str]] = defaultdict(list)
    for loc in loc_ids:
        by_zone[zones[loc]].append(loc)
    for tz, ids in by_zone.items():
        first, last = window.days_to(today(tz, now_ms))
        key = ("d", first, last, rule.include_misuse, tz)
        if key not in cache:
            tz_ids = sorted(loc for loc, z in zones.items() if z == tz)
            cache[key] = store.reads.period_counts(tz_ids, [(first, last)], include_misuse=rule.include_misuse)
        period: dict[tuple[str, int], PeriodCounts] = cache[key]  # type: ignore[assignment]
        for loc in ids:
            got = period.get((loc, 0))
            out[loc] = got.by_scale if got is not None else {}
    return out


def kiosk_facts(store: Store, *, track_backlog: bool, now_ms: int) -> list[KioskFacts]:
    presence = store.alerts.kiosk_presence()
    skews = store.ops.clock_skews()
    refused = {kid: reason for kid, _, reason in store.alerts.refused_configs()}
    growing: dict[str, int] = {}
    if track_backlog:
        backlogs = {kid: backlog for kid, _, _, _, _, backlog in presence if backlog is not None}
        growing = store.alerts.track_backlogs(backlogs, now_ms=now_ms)
    return [
        KioskFacts(kid, loc, seen, created, disabled, skews.get(kid), growing.get(kid), backlog, refused.get(kid))
        for kid, loc, seen, created, disabled, backlog in presence
    ]


def holding_conditions(store: Store, rules: list[AlertRule], locations: list[Location], now_ms: int) -> list[Condition]:
    zones = {loc.id: loc.timezone for loc in locations}
    owners: dict[str, frozenset[str]] = {}
    cache: dict[object, object] = {}
    kiosk_rules = [r for r in rules if r.kind not in SCORE_KINDS]
    kiosks = (
        kiosk_facts(store, track_backlog=any(r.kind == "backlog_growing" for r in rules), now_ms=now_ms)
        if (kiosk_rules)
        else []
    )
    opened: dict[str, int | None] = {}
    if any(r.kind == "kiosk_silent" for r in kiosk_rules):
        hours = store.alerts.opening_hours()
        for loc in locations:
            raw = hours.get(loc.id)
            opened[loc.id] = open_since_ms(json.loads(raw) if raw else None, loc.timezone, now_ms)
    out: list[Condition] = []
    for rule in rules:
        loc_ids = rule_locations(rule, locations, owner_locations(store, rule, owners))
        if not loc_ids:
            continue
        if rule.kind in SCORE_KINDS:
            counts = _score_counts(store, rule, loc_ids, zones, now_ms, cache)
            for lid in loc_ids:
                cond = score_condition(rule, lid, counts.get(lid, {}))
                if cond is not None:
                    out.append(cond)
        else:
            wanted = set(loc_ids)
            out += kiosk_conditions(
                rule, [k for k in kiosks if k.location_id in wanted], opened_ms=opened, now_ms=now_ms
            )
    return out


def run_cycle(store: Store, out: Outgoing, *, now_ms: int) -> CycleResult:
    """Evaluate every rule once and apply the result (alerts opened with their messages queued, alerts closed)."""
    rules = store.alerts.rules()
    locations = store.registry.locations()
    holding = holding_conditions(store, rules, locations, now_ms) if rules else []
    to_open, to_close = reconcile(store.alerts.live(), holding)
    if not to_open and not to_close:
        return CycleResult(len(rules), len(holding), [], [])
    by_id = {loc.id: loc for loc in locations}
    contacts = store.deliveries.contacts()
    visible: dict[str, frozenset[str] | None] = {
        c.user_id: None if c.role == "admin" else store.accounts.manager_locations(c.user_id) for c in contacts
    }

    def deliveries_for(alert: AlertRow) -> list[NewDelivery]:
        loc = by_id.get(alert.location_id)
        return alert_deliveries(
            alert,
            store_name=loc.name if loc else alert.location_id,
            region_id=loc.region_id if loc else None,
            contacts=contacts,
            visible=visible,
            out=out,
        )

    opened = store.alerts.apply(
        opened=[(c.rule_id, c.location_id, c.subject, c.value, c.detail) for c in to_open],
        closed=to_close,
        now_ms=now_ms,
        deliveries_for=deliveries_for,
    )
    return CycleResult(len(rules), len(holding), opened, to_close)
