"""A manager in real headless Chromium: the Overview's attention block, the Alerts page (acknowledge with a
comment, notification settings) and an e-mail's unsubscribe link, against a hub fed through MQTT."""

from __future__ import annotations

import re
from pathlib import Path

from playwright.sync_api import sync_playwright

from tests.alerts.receivers import SmtpServer
from tests.browser import CHROMIUM, CHROMIUM_ARGS
from tests.dashboard.test_browser import add_user, sign_in, watch_errors
from tests.harness import OUTPUT, HubProcess, KioskRun, hub_cmd, hub_store, provision, running, wait_until

SHOTS = OUTPUT / "alerts"


def test_manager_sees_acknowledges_and_tunes_alerts_in_the_dashboard(tmp_path: Path, smtp: SmtpServer) -> None:
    """Anna sees her store's open alert first on the Overview, acknowledges it with a comment on the Alerts page,
    switches to a daily report, sees the alert marked on the store's trend, and the unsubscribe link of her alert
    e-mail stops alert e-mails."""
    flags = ("--smtp-url", smtp.url, "--mail-from", "hub@example.com", "--alert-interval-s", "1")
    hub = HubProcess(tmp_path / "hub", extra_args=flags)
    d = str(hub.data_dir)
    cfg = provision(hub.data_dir, location="sto", kiosks=["k1"], broker_url=hub.broker_url, out_dir=tmp_path)
    add_user(hub.data_dir, "anna", "--role", "manager", "--location", "sto", "--email", "anna@example.com")
    hub_cmd("alert", "rule", "add", "--kind", "unhappy_pct_above", "--location", "sto", "--threshold", "15",
            "--window", "today", "--min-answers", "20", "--include-misuse", "--data-dir", d)  # fmt: skip
    SHOTS.mkdir(parents=True, exist_ok=True)
    with running(hub.start()), sync_playwright() as p:
        sim = ("--taps", "150", "--mood", "-1", "--seed", "4", "--wait-acked", "60")
        assert KioskRun(cfg["k1"], tmp_path / "k1-data", *sim).wait() == 0
        # (a scheduled weekly report may be due too, at its default Monday 07:00: pick the alert)
        (mail,) = wait_until(
            lambda: [
                m for m in smtp.mailbox.to("anna@example.com") if str(m["Subject"]).startswith(("Alert:", "Larm:"))
            ],
            timeout=30,
            message="the alert e-mail",
        )
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1100, "height": 900})
        errors = watch_errors(page)
        sign_in(page, hub.url, "anna")
        page.wait_for_selector("#attention-alerts a")
        assert "unhappy" in page.inner_text("#attention-alerts") or "missnöjda" in page.inner_text("#attention-alerts")
        page.screenshot(path=str(SHOTS / "overview-attention.png"), full_page=True)

        page.click("#attention-alerts a")
        page.wait_for_selector("#alerts-table tr[data-alert] form.ack")
        page.fill("#alerts-table form.ack input", "Extra staff at the tills")
        page.click("#alerts-table form.ack button")
        page.wait_for_selector("#alerts-table .badge.state-acknowledged")
        page.select_option("#settings-form select[name=report_period]", "day")
        page.fill("#settings-form input[name=report_time]", "06:30")
        page.click("#settings-form button[type=submit]")
        page.wait_for_selector("#settings-status:not(:empty)")
        page.screenshot(path=str(SHOTS / "alerts-page.png"), full_page=True)
        with hub_store(hub.data_dir) as store:
            (alert,) = store.alerts.select(location_ids=["sto"], states=("acknowledged",), limit=5)
            assert alert.ack_comment == "Extra staff at the tills" and alert.ack_by == "anna"
            (contact,) = store.deliveries.contacts("anna")
            assert (contact.report_period, contact.report_time, contact.email_alerts) == ("day", "06:30", True)

        page.goto(f"{hub.url}/locations/sto")  # the store page marks the alert on its trend
        page.wait_for_selector("#trend-chart[data-alert-marks='1']")
        page.screenshot(path=str(SHOTS / "store-trend-alert-marks.png"), full_page=True)

        text = mail.get_body(preferencelist=("plain",))
        assert text is not None
        link = re.search(r"http://\S+/unsubscribe/(\S+)", str(text.get_content()))
        assert link is not None
        fresh = browser.new_page()  # an e-mail link works without signing in
        fresh.goto(f"{hub.url}/unsubscribe/{link[1]}")
        fresh.click("button[type=submit]")
        fresh.wait_for_selector("#unsubscribed")
        fresh.screenshot(path=str(SHOTS / "unsubscribed.png"))
        with hub_store(hub.data_dir) as store:
            (contact,) = store.deliveries.contacts("anna")
            assert contact.email_alerts is False and contact.report_period == "day"
        forged = fresh.goto(f"{hub.url}/unsubscribe/anna.reports.{'0' * 40}")
        assert forged is not None and forged.status == 404
        browser.close()
        assert errors == []
