"""Alert evaluation and delivery over a real store and a real SMTP server and webhook receiver, with the clock
passed in: who hears of an alert, acknowledgement and history, closing and reopening, retries that give up."""

from __future__ import annotations

import threading

from fastapi.testclient import TestClient

from hub.alerts.cycle import run_cycle
from hub.alerts.delivery import MAX_ATTEMPTS, Senders, deliver_due, parse_smtp_url
from hub.alerts.messages import Outgoing
from hub.alerts.report import queue_due_reports
from hub.store import open_store
from tests.alerts.receivers import SmtpServer, WebhookReceiver
from tests.dashboard.conftest import NOW_MS, Store, bearer, get_json
from tests.postgres import both_engines

pytestmark = both_engines

OUT = Outgoing("hub@example.com", "http://hub.example", b"k" * 32)
MINUTE = 60_000


def unhappy_rule(store: Store, **extra: object) -> int:
    return store.db.alerts.add_rule(
        kind="unhappy_pct_above",
        scope="all",
        scope_id=None,
        threshold=40.0,
        window="2h",
        min_answers=10,
        include_misuse=False,
        owner="boss",
        owner_role="admin",
        now_ms=NOW_MS,
        **extra,
    ).id


def contacts(store: Store) -> None:
    for user in ("boss", "anna", "erik"):
        store.db.deliveries.set_profile(user, email=f"{user}@example.com", language="en", timezone="Europe/Stockholm")


def taps(store: Store, kiosk: str, faces: list[int], at_ms: int) -> None:
    store.ingest(kiosk, [(at_ms - i * 10_000, f) for i, f in enumerate(faces)])  # 10 s apart: no misuse


def test_an_unhappy_store_alerts_only_the_users_who_see_it_once(
    store: Store, smtp: SmtpServer, webhook: WebhookReceiver
) -> None:
    """Unhappy taps in Stockholm open one alert: its manager and the admin get one e-mail each, the manager's
    webhook one post with a ``text``; the West manager nothing; a second cycle sends nothing more."""
    contacts(store)
    store.db.deliveries.put_settings(
        "anna",
        email_alerts=True,
        webhook_url=webhook.url(),
        report_period="week",
        report_time="07:00",
        location_ids=[],
        region_ids=[],
    )
    rule = unhappy_rule(store)
    taps(store, "sto-1", [0] * 15 + [3] * 5, NOW_MS - 30 * MINUTE)
    taps(store, "gbg-1", [3] * 20, NOW_MS - 30 * MINUTE)
    result = run_cycle(store.db, OUT, now_ms=NOW_MS)
    assert [(a.rule_id, a.location_id, a.state) for a in result.opened] == [(rule, "sto", "open")]
    senders = Senders("hub@example.com", parse_smtp_url(smtp.url))
    assert deliver_due(store.db, senders, now_ms=lambda: NOW_MS) == 3
    assert run_cycle(store.db, OUT, now_ms=NOW_MS + MINUTE).opened == []
    assert deliver_due(store.db, senders, now_ms=lambda: NOW_MS + MINUTE) == 0
    mails = {m["To"]: m for m in smtp.mailbox.messages}
    assert sorted(mails) == ["anna@example.com", "boss@example.com"]
    assert "Stockholm City" in mails["anna@example.com"]["Subject"]
    assert "75 % unhappy, above 40 %" in mails["anna@example.com"]["Subject"]
    assert mails["anna@example.com"]["List-Unsubscribe"].startswith("<http://hub.example/unsubscribe/anna.alerts.")
    assert len(webhook.posts) == 1 and "Stockholm City" in webhook.posts[0][1]["text"]
    assert webhook.posts[0][1]["alert"]["location_id"] == "sto"


def test_alert_is_acknowledged_closes_on_recovery_and_opens_again_only_after(store: Store, client: TestClient) -> None:
    """An alert opens once, takes an acknowledgement with a comment, closes itself when the data recovers, and
    opens anew (a second alert) when the condition returns; the history lists every step."""
    unhappy_rule(store)
    taps(store, "sto-1", [0] * 15, NOW_MS - 30 * MINUTE)
    (alert,) = run_cycle(store.db, OUT, now_ms=NOW_MS).opened
    headers = bearer(store, "manager", "anna")
    r = client.post(f"/api/alerts/{alert.id}/acknowledge", json={"comment": "staff called in"}, headers=headers)
    assert r.status_code == 200 and r.json()["state"] == "acknowledged"
    assert run_cycle(store.db, OUT, now_ms=NOW_MS + MINUTE).opened == []  # still holds: stays the same alert
    taps(store, "sto-1", [3] * 40, NOW_MS + 2 * MINUTE)
    assert run_cycle(store.db, OUT, now_ms=NOW_MS + 3 * MINUTE).closed == [alert.id]
    doc = get_json(client, f"/api/alerts/{alert.id}", headers)
    assert doc["state"] == "closed" and doc["ack_comment"] == "staff called in"
    assert [e["event"] for e in doc["events"]] == ["opened", "acknowledged", "closed"]
    closed = client.post(f"/api/alerts/{alert.id}/acknowledge", json={"comment": "late"}, headers=headers)
    assert closed.status_code == 422
    taps(store, "sto-1", [0] * 60, NOW_MS + 4 * MINUTE)
    (again,) = run_cycle(store.db, OUT, now_ms=NOW_MS + 5 * MINUTE).opened
    assert again.id != alert.id
    assert [a["id"] for a in get_json(client, "/api/alerts", headers)] == [again.id, alert.id]
    assert get_json(client, "/api/alerts", bearer(store, "manager", "erik")) == []


def test_a_webhook_that_keeps_failing_is_retried_with_backoff_then_shown_failed(
    store: Store, client: TestClient, webhook: WebhookReceiver
) -> None:
    """A receiver answering 500 gets MAX_ATTEMPTS tries spaced by a growing backoff; then the delivery is
    ``failed`` with the last error, visible in the API."""
    store.db.deliveries.put_settings(
        "boss",
        email_alerts=False,
        webhook_url=webhook.url("/fails"),
        report_period=None,
        report_time="07:00",
        location_ids=[],
        region_ids=[],
    )
    webhook.status = 500
    unhappy_rule(store)
    taps(store, "sto-1", [0] * 15, NOW_MS - 30 * MINUTE)
    run_cycle(store.db, OUT, now_ms=NOW_MS)
    senders = Senders("hub@example.com", None)
    now = NOW_MS
    for _ in range(MAX_ATTEMPTS + 3):
        deliver_due(store.db, senders, now_ms=lambda t=now: t)  # type: ignore[misc]
        assert deliver_due(store.db, senders, now_ms=lambda t=now: t) == 0  # type: ignore[misc]  # not due again
        now += 6 * MINUTE
    assert len(webhook.posts) == MAX_ATTEMPTS
    (row,) = get_json(client, "/api/deliveries", bearer(store, "admin"))
    assert (row["state"], row["attempts"], row["channel"]) == ("failed", MAX_ATTEMPTS, "webhook")
    assert "500" in row["last_error"]


def test_evaluators_in_several_processes_at_once_open_one_alert_and_queue_one_report(store: Store) -> None:
    """Without the leader lease (a moment of two leaders): four connections run a cycle and queue due reports at
    the same instant; the database lets one alert open and one report per user be queued, messages once."""
    contacts(store)
    store.db.deliveries.put_settings(
        "anna",
        email_alerts=True,
        webhook_url=None,
        report_period="day",  # yesterday's, due since 00:00
        report_time="00:00",
        location_ids=[],
        region_ids=[],
    )
    unhappy_rule(store)
    taps(store, "sto-1", [0] * 15 + [3] * 5, NOW_MS - 30 * MINUTE)
    others = [open_store(store.database or store.data_dir / "hub.db") for _ in range(4)]
    start = threading.Barrier(len(others))
    opened: list[int] = []
    reports: list[int] = []
    errors: list[BaseException] = []

    def evaluate(i: int) -> None:
        try:
            start.wait()
            opened.append(len(run_cycle(others[i], OUT, now_ms=NOW_MS).opened))
            reports.append(queue_due_reports(others[i], OUT, now_ms=NOW_MS))
        except BaseException as exc:  # reported by the assertion below
            errors.append(exc)

    threads = [threading.Thread(target=evaluate, args=(i,)) for i in range(len(others))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    for other in others:
        other.close()
    assert errors == []
    assert (sum(opened), sum(reports)) == (1, 1)
    assert [a.location_id for a in store.db.alerts.live()] == ["sto"]
    queued = store.db.deliveries.recent(user_ids=None, limit=100)
    assert sorted(d["user"] for d in queued if d["alert_id"] is not None) == ["anna", "boss"]
    assert [d["user"] for d in queued if d["report"] is not None] == ["anna"]
