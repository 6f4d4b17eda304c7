"""Scheduled e-mail reports: per user, for their stores, in their language. The numbers come from the same
scoring as the dashboard's overview (``hub.reports.scoring``), so a report equals the API for its period."""

from __future__ import annotations

from collections import Counter
from datetime import date, timedelta
from html import escape
from typing import Any

from feedback.scores import score_many
from hub.alerts.chart import happy_index_chart
from hub.alerts.messages import Image, Outgoing, email_bytes, local_time
from hub.alerts.schedule import due_period, last_complete, local_today
from hub.alerts.texts import describe, texts
from hub.alerts.unsubscribe import make_token
from hub.reports.ranges import DayRange, previous_of
from hub.reports.scoring import MIN_RESPONSES, overview
from hub.store import Store
from hub.store.records import Contact, Location, NewDelivery

CHART_CID = "happy-index-chart@hub"
STALE_AFTER_MS = 5 * 60_000  # as the Kiosks page: a kiosk silent this long counts as offline


def report_locations(store: Store, contact: Contact) -> list[Location]:
    """The stores a user may see, narrowed to the stores or regions they chose."""
    visible = None if contact.role == "admin" else store.accounts.manager_locations(contact.user_id)
    out = []
    for loc in store.registry.locations():
        if visible is not None and loc.id not in visible:
            continue
        chosen = contact.scope_location_ids or contact.scope_region_ids
        if chosen and loc.id not in contact.scope_location_ids and loc.region_id not in contact.scope_region_ids:
            continue
        out.append(loc)
    return out


def _fmt(value: float | None) -> str:
    return "–" if value is None else f"{value:.1f}"


def _change(value: float | None) -> str:
    return "" if value is None else f" ({value:+.1f})"


def daily_index(store: Store, loc_ids: list[str], first: date, last: date) -> list[tuple[date, float | None]]:
    by_day: dict[str, dict[int, list[int]]] = {}
    for loc in loc_ids:
        for day, scale, *faces in store.reads.daily(loc, first, last, include_misuse=False):
            row = by_day.setdefault(day, {}).setdefault(scale, [0] * scale)
            for f in range(scale):
                row[f] += faces[f]
    out = []
    d = first
    while d <= last:
        counts = by_day.get(d.isoformat(), {})
        out.append((d, score_many(counts).happy_index if counts else None))
        d += timedelta(days=1)
    return out


def report_figures(store: Store, contact: Contact, first: date, last: date, *, now_ms: int) -> dict[str, Any]:
    """Happy Index and change, per store, best and worst, top unhappy reasons, silent kiosks, open alerts."""
    locations = report_locations(store, contact)
    days = DayRange(first, last)
    doc = overview(store, locations, days, previous_of(days))
    scored = [r for r in doc["locations"] if r["total"]]
    ranked = sorted((r for r in scored if not r["is_low_n"]), key=lambda r: -(r["happy_index"] or 0.0))
    reasons: Counter[str] = Counter()
    for loc in locations:
        reasons.update(dict(store.reads.unhappy_reasons(loc.id, first, last, include_misuse=False)[1]))
    ids = {loc.id for loc in locations}
    names = {loc.id: loc.name for loc in locations}
    silent = [
        (kid, loc, seen)
        for kid, loc, seen, _, disabled, _ in store.alerts.kiosk_presence()
        if loc in ids and not disabled and (seen is None or now_ms - seen > STALE_AFTER_MS)
    ]
    alerts = store.alerts.select(location_ids=ids, states=("open", "acknowledged"), limit=50)
    return {
        "from": first.isoformat(),
        "to": last.isoformat(),
        "all": doc["all"],
        "stores": doc["locations"],
        "best": ranked[:3],
        "worst": list(reversed(ranked[-3:])) if len(ranked) > 3 else list(reversed(ranked)),
        "reasons": reasons.most_common(5),
        "silent": [{"kiosk": k, "store": names[loc], "last_seen_ms": s} for k, loc, s in sorted(silent)],
        "alerts": [{"store": names.get(a.location_id, a.location_id), "detail": a.detail} for a in alerts],
        "min_n": MIN_RESPONSES,
    }


def build_report(
    store: Store, contact: Contact, period: str, first: date, last: date, out: Outgoing, *, now_ms: int
) -> tuple[str, bytes, bytes]:
    """``(subject, e-mail bytes, chart PNG)`` of one report."""
    assert contact.email is not None
    t = texts(contact.language)
    f = report_figures(store, contact, first, last, now_ms=now_ms)
    subject = t[f"report_{period}"].format(first=first.isoformat(), last=last.isoformat())
    chart_first = min(first, last - timedelta(days=6))
    loc_ids = [r["id"] for r in f["stores"]]
    png = happy_index_chart(
        daily_index(store, loc_ids, chart_first, last),
        title=t["chart_title"],
        previous=f["all"]["previous"]["happy_index"],
    )
    a = f["all"]
    lines = [
        subject,
        "",
        f"{t['all_stores']}: {t['happy_index']} {_fmt(a['happy_index'])}{_change(a['change_index'])} {t['change']},"
        f" {a['total']} {t['answers']}",
        "",
        f"{t['stores']}:",
        *(
            f"- {r['name']}: {t['happy_index']} {_fmt(r['happy_index'])}{_change(r['change_index'])},"
            f" {r['total']} {t['answers']}"
            for r in f["stores"]
        ),
        "",
        f"{t['best']}: " + (", ".join(f"{r['name']} {_fmt(r['happy_index'])}" for r in f["best"]) or t["none"]),
        f"{t['worst']}: " + (", ".join(f"{r['name']} {_fmt(r['happy_index'])}" for r in f["worst"]) or t["none"]),
        f"{t['reasons']}: " + (", ".join(f"{r} ({n})" for r, n in f["reasons"]) or t["none"]),
        f"{t['silent']}: "
        + (
            ", ".join(
                f"{s['kiosk']} ({s['store']}, "
                + (
                    t["last_seen"].format(when=local_time(s["last_seen_ms"], contact.timezone))
                    if s["last_seen_ms"]
                    else t["never_seen"]
                )
                + ")"
                for s in f["silent"]
            )
            or t["none"]
        ),
        f"{t['open_alerts']}: "
        + ("; ".join(f"{x['store']}: {describe(x['detail'], contact.language)}" for x in f["alerts"]) or t["none"]),
    ]
    unsubscribe = f"{out.public_url}/unsubscribe/{make_token(out.unsubscribe_key, contact.user_id, 'reports')}"
    text = "\n".join(lines) + f"\n\n{t['dashboard']}: {out.public_url}/\n-- \n{t['unsubscribe']}: {unsubscribe}\n"
    cell = "<td style='padding:4px 8px;text-align:right'>"
    rows = "".join(
        f"<tr><td style='padding:4px 8px'>{escape(r['name'])}</td>{cell}{_fmt(r['happy_index'])}</td>"
        f"{cell}{escape(_change(r['change_index']))}</td>{cell}{r['total']}</td></tr>"
        for r in f["stores"]
    )
    rest = "".join(f"<p style='margin:6px 0'>{escape(line)}</p>" for line in lines[-5:])
    html = (
        "<!doctype html><html><body style='font-family:sans-serif;color:#282c34;margin:0;padding:12px'>"
        f"<div style='max-width:600px;margin:auto'><h1 style='font-size:20px'>{escape(subject)}</h1>"
        f"<p style='font-size:28px;margin:8px 0'><b>{_fmt(a['happy_index'])}</b>"
        f" <span style='font-size:16px'>{escape(_change(a['change_index']))} {escape(t['change'])},"
        f" {a['total']} {escape(t['answers'])}</span></p>"
        f"<img src='cid:{CHART_CID}' alt='{escape(t['chart_alt'])}' width='600'"
        " style='width:100%;max-width:600px;height:auto'>"
        f"<table style='border-collapse:collapse;width:100%;font-size:14px'><tr><th align='left'>{escape(t['stores'])}"
        f"</th><th align='right'>{escape(t['happy_index'])}</th><th></th><th align='right'>{escape(t['answers'])}"
        f"</th></tr>{rows}</table>{rest}"
        f"<p><a href='{escape(out.public_url)}/'>{escape(t['dashboard'])}</a></p>"
        f"<p style='font-size:12px;color:#666'><a href='{escape(unsubscribe)}'>{escape(t['unsubscribe'])}</a></p>"
        "</div></body></html>"
    )
    message = email_bytes(
        mail_from=out.mail_from,
        to=contact.email,
        subject=subject,
        text=text,
        html=html,
        images=[Image(CHART_CID, png)],
        unsubscribe_url=unsubscribe,
        now_ms=now_ms,
    )
    return subject, message, png


def queue_report(
    store: Store, contact: Contact, period: str, first: date, last: date, out: Outgoing, *, now_ms: int, force: bool
) -> bool:
    """Build the report and record + queue it in one transaction (once per user, period and start, unless
    ``force``); returns whether it was queued."""
    if not force and store.deliveries.is_report_recorded(contact.user_id, period, first.isoformat()):
        return False
    subject, message, _ = build_report(store, contact, period, first, last, out, now_ms=now_ms)
    assert contact.email is not None
    item = NewDelivery(
        "email", contact.email, subject, message, user_id=contact.user_id, report_key=f"{period}:{first.isoformat()}"
    )
    return store.deliveries.record_report(
        contact.user_id, period, first.isoformat(), items=[item], now_ms=now_ms, force=force
    )


def queue_due_reports(store: Store, out: Outgoing, *, now_ms: int) -> int:
    """Queue every report due now (each user's period, local time and zone); returns how many."""
    n = 0
    for c in store.deliveries.contacts():
        if not c.email or c.report_period is None:
            continue
        due = due_period(c.report_period, tz=c.timezone, report_time=c.report_time, now_ms=now_ms)
        if due is None or not report_locations(store, c):
            continue  # not due, or a user who sees no store gets no report
        if queue_report(store, c, c.report_period, *due, out, now_ms=now_ms, force=False):
            n += 1
    return n


def last_period(contact: Contact, period: str, *, now_ms: int) -> tuple[date, date]:
    return last_complete(period, local_today(contact.timezone, now_ms).date())
