"""Scheduled reports over a real store and a real SMTP server: numbers equal the API's, the chart PNG, a manager's
report holds only their stores, the DST-safe schedule sends once, and rules with nonsense get a 422."""

from __future__ import annotations

import contextlib
import io
import json
import re
from datetime import datetime, timedelta
from email.message import EmailMessage
from typing import Any

import pytest
from fastapi.testclient import TestClient

from hub import cli as hub_cli
from hub.alerts.delivery import Senders, deliver_due, parse_smtp_url
from hub.alerts.messages import Outgoing
from hub.alerts.report import queue_due_reports, queue_report
from hub.store import open_store
from tests.alerts.receivers import SmtpServer
from tests.dashboard.conftest import NOW_MS, STOCKHOLM, Store, bearer, get_json
from tests.harness import OUTPUT, hub_cmd

OUT = Outgoing("hub@example.com", "http://hub.example", b"k" * 32)


def _parts(msg: EmailMessage) -> tuple[str, str, bytes]:
    text = msg.get_body(preferencelist=("plain",))
    html = msg.get_body(preferencelist=("html",))
    assert text is not None and html is not None
    (image,) = [p for p in msg.walk() if p.get_content_type() == "image/png"]
    return str(text.get_content()), str(html.get_content()), bytes(image.get_content())


def _send(store: Store, smtp: SmtpServer, user: str, period: str, first: str, last: str) -> EmailMessage:
    (contact,) = store.db.deliveries.contacts(user)
    day = datetime.fromisoformat
    queue_report(store.db, contact, period, day(first).date(), day(last).date(), OUT, now_ms=NOW_MS, force=True)
    assert deliver_due(store.db, Senders("hub@example.com", parse_smtp_url(smtp.url)), now_ms=lambda: NOW_MS) == 1
    return smtp.mailbox.to(f"{user}@example.com")[-1]


def _fill(store: Store) -> None:
    for user in ("boss", "anna", "erik"):
        store.db.deliveries.set_profile(user, email=f"{user}@example.com", language="en", timezone="Europe/Stockholm")
    for i, day in enumerate(["2026-03-30", "2026-03-31", "2026-04-01", "2026-04-02", "2026-04-03", "2026-04-05"]):
        store.faces("sto-1", day, [2 + i, 3, 10, 12 - i], reason="queue")
        store.faces("gbg-1", day, [1, 2, 8 + i, 20])
        store.faces("upp-1", day, [6, 4, 2, 1 + i])
    store.faces("sto-2", "2026-03-25", [1, 1, 20, 20])  # the previous week
    store.faces("gbg-1", "2026-03-26", [10, 10, 5, 5])


def test_report_numbers_equal_the_api_for_the_same_period(store: Store, client: TestClient, smtp: SmtpServer) -> None:
    """The weekly report's Happy Index, change and answers per store and overall are the overview API's for the same
    days; the mail has a plain-text part, an HTML part with the chart inline (cid) and an unsubscribe link."""
    _fill(store)
    msg = _send(store, smtp, "boss", "week", "2026-03-30", "2026-04-05")
    text, html, png = _parts(msg)
    api = get_json(client, "/api/overview", bearer(store, "admin"), **{"from": "2026-03-30", "to": "2026-04-05"})

    def fmt(row: dict[str, Any]) -> str:
        change = "" if row["change_index"] is None else f" ({row['change_index']:+.1f})"
        index = "–" if row["happy_index"] is None else f"{row['happy_index']:.1f}"
        return f"Happy Index {index}{change}, {row['total']} answers"

    for row in api["locations"]:
        assert f"- {row['name']}: {fmt(row)}" in text, row["name"]
    overall = fmt(api["all"]).replace(", ", " vs the previous period, ", 1)
    assert f"All your stores: {overall}" in text
    assert msg["Subject"] == "Weekly report 2026-03-30 – 2026-04-05"
    assert "Top unhappy reasons: queue (" in text
    assert re.search(r"Unsubscribe from this report: http://hub\.example/unsubscribe/boss\.reports\.[0-9a-f]+", text)
    assert "cid:happy-index-chart@hub" in html
    assert png.startswith(b"\x89PNG")
    path = OUTPUT / "alerts" / "report-chart.png"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(png)
    (OUTPUT / "alerts" / "report.eml").write_bytes(msg.as_bytes())


def test_a_managers_report_holds_only_their_stores(store: Store, smtp: SmtpServer) -> None:
    """Erik (region West) gets Göteborg only; Anna (Stockholm) never sees Göteborg or Uppsala."""
    _fill(store)
    erik, _, _ = _parts(_send(store, smtp, "erik", "week", "2026-03-30", "2026-04-05"))
    anna, _, _ = _parts(_send(store, smtp, "anna", "week", "2026-03-30", "2026-04-05"))
    assert "Göteborg" in erik and "Stockholm" not in erik and "Uppsala" not in erik
    assert "Stockholm City" in anna and "Göteborg" not in anna and "Uppsala" not in anna


@pytest.mark.parametrize(("day", "utc_hour"), [("2026-03-29", 5), ("2026-10-25", 6)])
def test_daily_report_at_seven_local_is_sent_once_on_a_dst_day(store: Store, day: str, utc_hour: int) -> None:
    """Stepping the clock every 10 minutes through a 23- or 25-hour Stockholm day (and a restart: a new store
    connection) queues the daily report exactly once, at 07:00 local time."""
    store.db.deliveries.set_profile("anna", email="anna@example.com", language="sv", timezone="Europe/Stockholm")
    store.db.deliveries.put_settings(
        "anna",
        email_alerts=True,
        webhook_url=None,
        report_period="day",
        report_time="07:00",
        location_ids=[],
        region_ids=[],
    )
    start = datetime.fromisoformat(f"{day} 00:00").replace(tzinfo=STOCKHOLM) - timedelta(hours=6)
    sent_at = []
    db = store.db
    for step in range(0, 36 * 6):
        now = start + timedelta(minutes=10 * step)
        if step == 80:
            db = open_store(store.data_dir / "hub.db")  # a restart: the schedule's memory is the store
        if queue_due_reports(db, OUT, now_ms=int(now.timestamp() * 1000)):
            sent_at.append(now)
    on_day = [t for t in sent_at if t.astimezone(STOCKHOLM).date().isoformat() == day]
    assert len(on_day) == 1, sent_at
    assert on_day[0].astimezone(STOCKHOLM).strftime("%H:%M") == "07:00"
    assert int(on_day[0].timestamp()) % 86400 == utc_hour * 3600


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"kind": "happy_index_below", "scope": "all", "threshold": 150, "window": "2h"}, "threshold"),
        ({"kind": "happy_index_below", "scope": "all", "threshold": -1, "window": "2h"}, "threshold"),
        ({"kind": "unhappy_pct_above", "scope": "all", "window": "2h"}, "threshold"),
        ({"kind": "happy_index_below", "scope": "all", "threshold": 60, "window": "0h"}, "window"),
        ({"kind": "happy_index_below", "scope": "all", "threshold": 60, "window": "400d"}, "window"),
        ({"kind": "happy_index_below", "scope": "all", "threshold": 60, "window": "soon"}, "window"),
        (
            {"kind": "happy_index_below", "scope": "all", "threshold": 60, "window": "2h", "min_answers": -3},
            "min_answers",
        ),
        ({"kind": "kiosk_silent", "scope": "all", "threshold": 0}, "threshold"),
        ({"kind": "kiosk_silent", "scope": "all", "threshold": 30, "window": "2h"}, "window"),
        ({"kind": "sadness", "scope": "all", "threshold": 1}, "kind"),
        ({"kind": "happy_index_below", "scope": "location", "threshold": 60, "window": "2h"}, "scope_id"),
        (
            {"kind": "happy_index_below", "scope": "location", "scope_id": "nowhere", "threshold": 6, "window": "2h"},
            "scope_id",
        ),
        ({"kind": "happy_index_below", "scope": "all", "scope_id": "sto", "threshold": 60, "window": "2h"}, "scope_id"),
    ],
)
def test_nonsense_rules_get_a_422_naming_the_field(
    store: Store, client: TestClient, body: dict[str, Any], field: str
) -> None:
    """A rule with a nonsense threshold, window, kind or scope is refused with 422 and the reason."""
    r = client.post("/api/alert-rules", json=body, headers=bearer(store, "admin"))
    assert r.status_code == 422, r.text
    assert r.json()["detail"].startswith(f"{field}:"), r.text
    assert get_json(client, "/api/alert-rules", bearer(store, "admin")) == []


def test_a_manager_sets_rules_only_for_their_own_stores(store: Store, client: TestClient) -> None:
    """Anna may add a rule for Stockholm, not for Göteborg, the West region or every store; she lists only hers."""
    h = bearer(store, "manager", "anna")
    ok = {"kind": "happy_index_below", "threshold": 60, "window": "today"}
    assert (
        client.post("/api/alert-rules", json={**ok, "scope": "location", "scope_id": "sto"}, headers=h).status_code
        == 201
    )
    for scope in ({"scope": "location", "scope_id": "gbg"}, {"scope": "region", "scope_id": "west"}, {"scope": "all"}):
        r = client.post("/api/alert-rules", json={**ok, **scope}, headers=h)
        assert r.status_code == 422 and r.json()["detail"].startswith("scope"), r.text
    assert [r["scope_id"] for r in get_json(client, "/api/alert-rules", h)] == ["sto"]
    assert get_json(client, "/api/alert-rules", bearer(store, "manager", "erik")) == []


def test_report_send_from_the_command_line_mails_the_last_week_now(store: Store, smtp: SmtpServer) -> None:
    """`hub report send --user anna --period week --smtp-url …` sends Anna's report for the last complete week at
    once; a user without an e-mail address gets one error line."""
    _fill(store)
    d = str(store.data_dir)
    hub_cmd("report", "send", "--user", "anna", "--period", "week", "--smtp-url", smtp.url, "--data-dir", d)
    (msg,) = smtp.mailbox.to("anna@example.com")
    assert msg["Subject"].startswith("Weekly report ")
    err = io.StringIO()
    with contextlib.redirect_stderr(err):
        assert hub_cli.main(["report", "send", "--user", "nobody", "--period", "day", "--data-dir", d]) == 2
    assert err.getvalue().startswith("error: --user: nobody has no e-mail address")


def test_alert_rule_cli_adds_lists_removes_and_refuses_nonsense(store: Store) -> None:
    """`hub alert rule add` prints the new id, `list` shows it, `remove` drops it; nonsense is one error line."""
    d = str(store.data_dir)
    rule_id = hub_cmd("alert", "rule", "add", "--kind", "kiosk_silent", "--region", "east", "--threshold", "30",
                      "--data-dir", d).strip()  # fmt: skip
    assert [r["id"] for r in json.loads(hub_cmd("alert", "rule", "list", "--data-dir", d))] == [int(rule_id)]
    hub_cmd("alert", "rule", "remove", rule_id, "--data-dir", d)
    assert json.loads(hub_cmd("alert", "rule", "list", "--data-dir", d)) == []
    err = io.StringIO()
    with contextlib.redirect_stderr(err):
        bad = ["alert", "rule", "add", "--kind", "happy_index_below", "--all", "--threshold", "70", "--window", "9w"]
        assert hub_cli.main([*bad, "--data-dir", d]) == 2
    assert err.getvalue() == "error: window: '9w' is not a window: write e.g. '2h', 'today' or '7d'\n"
