"""Alert routes: rules, alerts with acknowledgements and history, each user's alert and report settings, the
delivery log, and what needs attention now. A manager sees and sets only what concerns their own stores."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Path, Query, Request
from pydantic import BaseModel, ConfigDict, Field

from feedback.ids import is_valid_id
from hub.access import Principal
from hub.alerts.rules import KINDS, check_may_set, checked_rule
from hub.alerts.schedule import check_period, parse_time
from hub.alerts.texts import describe
from hub.api.deps import CurrentPrincipal, StoreDep, require_csrf, selected_locations
from hub.errors import Invalid, UnknownAlert, UnknownRule, UnknownUser
from hub.reports.localtime import today
from hub.reports.ranges import DayRange, previous_of
from hub.reports.scoring import overview
from hub.store import Store
from hub.store.records import AlertRow, AlertRule, Contact

router = APIRouter(prefix="/api", tags=["alerts"])
Csrf = Depends(require_csrf)
STATES = ("open", "acknowledged", "closed")
RuleId = Annotated[int, Path(ge=1, le=2**62, description="the rule's id")]
AlertId = Annotated[int, Path(ge=1, le=2**62, description="the alert's id")]


class RuleIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    kind: str = Field(description=f"one of {', '.join(KINDS)}", max_length=40)
    scope: Literal["all", "region", "location"] = Field(description="which stores the rule covers")
    scope_id: str | None = Field(None, description="the region or location id (none for 'all')", max_length=63)
    threshold: float | None = Field(
        None, description="index/% 0-100, answers, minutes (silent, backlog) or seconds (clock skew)"
    )
    window: str | None = Field(None, description="score rules: '2h' (1-72 h), 'today' or '7d' (1-90 days)")
    min_answers: int | None = Field(None, description="score rules: hold only with at least this many (default 30)")
    include_misuse: bool = Field(False, description="count taps flagged as misuse (left out by default)")


class AckIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    comment: str = Field(min_length=1, max_length=2000, description="what is being done about it")


class SettingsIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    email_alerts: bool = Field(True, description="e-mail me when an alert opens")
    webhook_url: str | None = Field(None, max_length=2000, description="also POST alerts here (Slack/Teams JSON)")
    report_period: Literal["day", "week", "month"] | None = Field("week", description="scheduled report, or none")
    report_time: str = Field("07:00", description="local time HH:MM the report is sent (in my time zone)")
    locations: list[str] = Field(default_factory=list, max_length=2000, description="only these stores (none: all)")
    regions: list[str] = Field(default_factory=list, max_length=100, description="only these regions (none: all)")


def rule_doc(rule: AlertRule) -> dict[str, Any]:
    return {
        "id": rule.id,
        "kind": rule.kind,
        "scope": rule.scope,
        "scope_id": rule.scope_id,
        "threshold": rule.threshold,
        "window": rule.window,
        "min_answers": rule.min_answers,
        "include_misuse": rule.include_misuse,
        "owner": rule.owner,
        "created_ms": rule.created_ms,
    }


def alert_doc(a: AlertRow, names: dict[str, str], language: str) -> dict[str, Any]:
    return {
        "id": a.id,
        "rule_id": a.rule_id,
        "location_id": a.location_id,
        "location_name": names.get(a.location_id, a.location_id),
        "kiosk_id": a.subject or None,
        "state": a.state,
        "value": a.value,
        "text": describe(a.detail, language),
        "opened_ms": a.opened_ms,
        "closed_ms": a.closed_ms,
        "ack_by": a.ack_by,
        "ack_comment": a.ack_comment,
        "ack_ms": a.ack_ms,
    }


def _language(request: Request) -> str:
    """The dashboard's language cookie, else Swedish when the browser asks for it first; English otherwise."""
    lang = request.cookies.get("lang")
    if lang in ("sv", "en"):
        return str(lang)
    return "sv" if request.headers.get("accept-language", "").lower().startswith("sv") else "en"


def _visible_rule(store: Store, who: Principal, rule_id: int) -> AlertRule:
    rule = store.alerts.find_rule(rule_id)
    if rule is None or not (who.is_admin or rule.owner == who.name):
        raise UnknownRule(f"no rule {rule_id}")
    return rule


def _visible_alert(store: Store, who: Principal, alert_id: int) -> AlertRow:
    alert = store.alerts.find(alert_id)
    if alert is None or not who.may_see(alert.location_id):
        raise UnknownAlert(f"no alert {alert_id}")
    return alert


@router.get("/alert-rules")
def list_rules(store: StoreDep, who: CurrentPrincipal) -> list[dict[str, Any]]:
    """Every rule (admin), or the rules you set (manager)."""
    return [rule_doc(r) for r in store.alerts.rules() if who.is_admin or r.owner == who.name]


@router.post("/alert-rules", status_code=201, dependencies=[Csrf])
def add_rule(request: Request, body: RuleIn, store: StoreDep, who: CurrentPrincipal) -> dict[str, Any]:
    """Add a rule. A nonsense kind, threshold, window or scope answers 422 naming the field and why."""
    spec = checked_rule(**body.model_dump())
    region_locations: frozenset[str] = frozenset()
    if spec.scope == "location" and (
        not is_valid_id(spec.scope_id) or store.registry.find_location(str(spec.scope_id)) is None
    ):
        raise Invalid(f"scope_id: no location {str(spec.scope_id)[:80]!r}")
    if spec.scope == "region":
        if not any(rid == spec.scope_id for rid, _ in store.registry.regions()):
            raise Invalid(f"scope_id: no region {str(spec.scope_id)[:80]!r}")
        region_locations = frozenset(loc.id for loc in store.registry.locations() if loc.region_id == spec.scope_id)
    check_may_set(who, spec, region_locations=region_locations)
    rule = store.alerts.add_rule(
        **{k: getattr(spec, k) for k in ("kind", "scope", "scope_id", "threshold", "window", "min_answers")},
        include_misuse=spec.include_misuse,
        owner=who.name,
        owner_role=who.role,
        now_ms=request.app.state.now_ms(),
    )
    return rule_doc(rule)


@router.delete("/alert-rules/{rule_id}", status_code=204, dependencies=[Csrf])
def remove_rule(request: Request, rule_id: RuleId, store: StoreDep, who: CurrentPrincipal) -> None:
    """Remove a rule (yours, or any as admin); its live alerts close, their history stays."""
    _visible_rule(store, who, rule_id)
    store.alerts.remove_rule(rule_id, now_ms=request.app.state.now_ms())


@router.get("/alerts")
def list_alerts(
    request: Request,
    store: StoreDep,
    who: CurrentPrincipal,
    state: Annotated[list[Literal["open", "acknowledged", "closed"]] | None, Query(description="default: all")] = None,
    location: Annotated[list[str] | None, Query(description="only these stores", max_length=2000)] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 200,
) -> list[dict[str, Any]]:
    """Alerts of your stores, newest first, with the condition in words."""
    locs = selected_locations(store, who, location)
    names = {loc.id: loc.name for loc in locs}
    rows = store.alerts.select(location_ids=list(names), states=state or STATES, limit=limit)
    return [alert_doc(a, names, _language(request)) for a in rows]


@router.get("/alerts/{alert_id}")
def get_alert(request: Request, alert_id: AlertId, store: StoreDep, who: CurrentPrincipal) -> dict[str, Any]:
    """One alert with its history: opened, acknowledgements with their comments, closed."""
    alert = _visible_alert(store, who, alert_id)
    names = {loc.id: loc.name for loc in store.registry.locations()}
    return {**alert_doc(alert, names, _language(request)), "events": store.alerts.events(alert_id)}


@router.post("/alerts/{alert_id}/acknowledge", dependencies=[Csrf])
def acknowledge(
    request: Request, alert_id: AlertId, body: AckIn, store: StoreDep, who: CurrentPrincipal
) -> dict[str, Any]:
    """Acknowledge a live alert with a comment (it stays until its condition clears); a closed one answers 422."""
    _visible_alert(store, who, alert_id)
    if not store.alerts.acknowledge(
        alert_id, user_id=who.name, comment=body.comment, now_ms=request.app.state.now_ms()
    ):
        raise Invalid("state: the alert is closed already")
    return get_alert(request, alert_id, store, who)


def _contact_or_404(store: Store, who: Principal) -> Contact:
    contacts = store.deliveries.contacts(who.name)
    if not contacts:
        raise UnknownUser("alert settings belong to a dashboard user; this token has none")
    return contacts[0]


@router.get("/me/alert-settings")
def get_settings(store: StoreDep, who: CurrentPrincipal) -> dict[str, Any]:
    """Your channels (e-mail, webhook), scheduled report and the stores or regions you hear about."""
    c = _contact_or_404(store, who)
    return {
        "email": c.email,
        "language": c.language,
        "timezone": c.timezone,
        "email_alerts": c.email_alerts,
        "webhook_url": c.webhook_url,
        "report_period": c.report_period,
        "report_time": c.report_time,
        "locations": list(c.scope_location_ids),
        "regions": list(c.scope_region_ids),
    }


@router.put("/me/alert-settings", dependencies=[Csrf])
def put_settings(body: SettingsIn, store: StoreDep, who: CurrentPrincipal) -> dict[str, Any]:
    """Choose channels, report and stores; only stores and regions you may see."""
    _contact_or_404(store, who)
    check_period(body.report_period)
    parse_time(body.report_time)
    if body.webhook_url is not None and not body.webhook_url.startswith(("https://", "http://")):
        raise Invalid("webhook_url: must be an http:// or https:// address")
    selected_locations(store, who, body.locations or None, body.regions or None)  # NotFound for any not yours
    store.deliveries.put_settings(
        who.name,
        email_alerts=body.email_alerts,
        webhook_url=body.webhook_url or None,
        report_period=body.report_period,
        report_time=body.report_time,
        location_ids=body.locations,
        region_ids=body.regions,
    )
    return get_settings(store, who)


@router.get("/deliveries")
def list_deliveries(
    store: StoreDep, who: CurrentPrincipal, limit: Annotated[int, Query(ge=1, le=1000)] = 100
) -> list[dict[str, Any]]:
    """E-mails and webhook posts: pending (with attempts and the last error), sent, or failed (gave up).
    Admins see all; a manager their own."""
    return store.deliveries.recent(user_ids=None if who.is_admin else [who.name], limit=limit)


@router.get("/attention")
def attention(request: Request, store: StoreDep, who: CurrentPrincipal) -> dict[str, Any]:
    """What needs attention now: open alerts, silent kiosks (alerts of silent-kiosk rules), the biggest drops of
    the Happy Index over the last 7 days against the 7 before."""
    now = request.app.state.now_ms()
    locs = selected_locations(store, who)
    names = {loc.id: loc.name for loc in locs}
    live = store.alerts.select(location_ids=list(names), states=("open", "acknowledged"), limit=100)
    docs = [alert_doc(a, names, _language(request)) for a in live]
    tz = locs[0].timezone if locs else "UTC"
    last = today(tz, now)
    days = DayRange(last.fromordinal(last.toordinal() - 6), last)
    rows = overview(store, locs, days, previous_of(days))["locations"] if locs else []
    drops = sorted(
        (r for r in rows if (r["change_index"] or 0) < 0 and not r["is_low_n"]), key=lambda r: r["change_index"]
    )
    silent = {r.id for r in store.alerts.rules() if r.kind == "kiosk_silent"}
    return {
        "alerts": [d for d in docs if d["rule_id"] not in silent],
        "silent_kiosks": [d for d in docs if d["rule_id"] in silent],
        "drops": [
            {"id": r["id"], "name": r["name"], "happy_index": r["happy_index"], "change_index": r["change_index"]}
            for r in drops[:5]
        ],
    }
