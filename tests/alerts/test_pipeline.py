"""Alerts through the real pipeline: simulated kiosks → Mosquitto → `hub serve` (alerts every second) → aiosmtpd."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from hub.accounts import add_user
from hub.clock import wall_ms
from tests.alerts.receivers import SmtpServer
from tests.harness import HubProcess, KioskRun, free_port, hub_cmd, hub_store, provision, running, wait_until

PASSWORD = "correct horse battery"
# `kiosk simulate` taps faster than the 5 s response interval, so its taps count as misuse: the score rules here
# include misuse


def _hub(tmp_path: Path, smtp_url: str) -> HubProcess:
    flags = ("--smtp-url", smtp_url, "--mail-from", "hub@example.com", "--alert-interval-s", "1")
    return HubProcess(tmp_path / "hub", extra_args=flags)


def _manager(hub: HubProcess, name: str, location: str) -> None:
    with hub_store(hub.data_dir) as store:
        add_user(store, name, role="manager", password=PASSWORD, now_ms=wall_ms(), location_ids=[location])
        store.deliveries.set_profile(name, email=f"{name}@example.com", language="en", timezone="Europe/Stockholm")
        # no scheduled report: its default time (Mondays 07:00) may fall inside the test; these tests are about alerts
        store.deliveries.put_settings(
            name,
            email_alerts=True,
            webhook_url=None,
            report_period=None,
            report_time="07:00",
            location_ids=[],
            region_ids=[],
        )


def _alert_mails(smtp: SmtpServer, address: str) -> list[Any]:
    """The alert e-mails to ``address`` (a scheduled report may be due at any time of day and is not one)."""
    return [m for m in smtp.mailbox.to(address) if str(m["Subject"]).startswith("Alert:")]


def _alerts(hub: HubProcess, location: str) -> list[str]:
    with hub_store(hub.data_dir) as store:
        return [a.state for a in store.alerts.select(location_ids=[location], states=("open", "closed"), limit=10)]


def test_unhappy_taps_open_one_alert_and_one_email_and_recovery_closes_it(tmp_path: Path, smtp: SmtpServer) -> None:
    """Grumpy taps at one store open one alert and one e-mail to its manager (none to another store's), a hub
    restart neither repeats nor forgets it, and happy taps close it."""
    hub = _hub(tmp_path, smtp.url)
    cfg = provision(hub.data_dir, location="sto", kiosks=["k1"], broker_url=hub.broker_url, out_dir=tmp_path)
    provision(hub.data_dir, location="gbg", kiosks=["g1"], broker_url=hub.broker_url, out_dir=tmp_path)
    _manager(hub, "anna", "sto")
    _manager(hub, "erik", "gbg")
    d = str(hub.data_dir)
    hub_cmd("alert", "rule", "add", "--kind", "unhappy_pct_above", "--all", "--threshold", "15", "--window", "2h",
            "--min-answers", "20", "--include-misuse", "--data-dir", d)  # fmt: skip
    with running(hub.start()):
        sim = ("--taps", "200", "--mood", "-1", "--seed", "1", "--wait-acked", "60")
        assert KioskRun(cfg["k1"], tmp_path / "k1-data", *sim).wait() == 0
        wait_until(lambda: _alert_mails(smtp, "anna@example.com"), timeout=30, message="anna's alert e-mail")
        (mail,) = _alert_mails(smtp, "anna@example.com")
        assert mail["Subject"].startswith("Alert: Sto: ") and "unhappy, above 15 %" in mail["Subject"]
        hub.stop()
        hub.start()  # a restart: the open alert is remembered, not opened (or mailed) again
        happy = ("--taps", "1000", "--mood", "1", "--seed", "2", "--wait-acked", "60")
        assert KioskRun(cfg["k1"], tmp_path / "k1-data", *happy).wait() == 0
        wait_until(lambda: _alerts(hub, "sto") == ["closed"], timeout=30, message="the alert closed on recovery")
    assert len(_alert_mails(smtp, "anna@example.com")) == 1
    assert _alert_mails(smtp, "erik@example.com") == []


def test_a_silent_kiosk_alerts_while_its_store_is_open_never_while_closed(tmp_path: Path, smtp: SmtpServer) -> None:
    """Two kiosks fall silent; the one whose store is open (in its zone) alerts, the one whose store is closed
    all week never does, though it fell silent first."""
    hub = _hub(tmp_path, smtp.url)
    d = str(hub.data_dir)
    shut = provision(hub.data_dir, location="shut", kiosks=["s1"], broker_url=hub.broker_url, out_dir=tmp_path)
    open_ = provision(hub.data_dir, location="open", kiosks=["o1"], broker_url=hub.broker_url, out_dir=tmp_path)
    hub_cmd("location", "set", "shut", "--opening-hours", "mon-sun closed", "--data-dir", d)
    hub_cmd("location", "set", "open", "--opening-hours", "mon-sun 0-24", "--data-dir", d)
    _manager(hub, "anna", "open")
    hub_cmd("alert", "rule", "add", "--kind", "kiosk_silent", "--all", "--threshold", "0.05", "--data-dir", d)
    with running(hub.start()):
        assert KioskRun(shut["s1"], tmp_path / "s1-data", "--taps", "1", "--wait-acked", "30").wait() == 0
        assert KioskRun(open_["o1"], tmp_path / "o1-data", "--taps", "1", "--wait-acked", "30").wait() == 0
        # (o1 may alert twice: silent since it was added, then again once it stopped after its tap)
        wait_until(lambda: "open" in _alerts(hub, "open"), timeout=30, message="the open store's kiosk alert")
        assert _alerts(hub, "shut") == []
        mails = wait_until(lambda: _alert_mails(smtp, "anna@example.com"), timeout=20, message="anna's e-mail")
        assert "kiosk o1 silent for" in mails[0]["Subject"]


def test_smtp_down_then_up_delivers_the_alert_once(tmp_path: Path) -> None:
    """With the SMTP server down the alert e-mail is retried (visible with its error); once the server is up it
    arrives exactly once."""
    port = free_port()
    hub = _hub(tmp_path, f"smtp://127.0.0.1:{port}")
    cfg = provision(hub.data_dir, location="sto", kiosks=["k1"], broker_url=hub.broker_url, out_dir=tmp_path)
    _manager(hub, "anna", "sto")
    hub_cmd("alert", "rule", "add", "--kind", "unhappy_pct_above", "--location", "sto", "--threshold", "10",
            "--window", "2h", "--min-answers", "20", "--include-misuse", "--data-dir", str(hub.data_dir))  # fmt: skip

    def deliveries() -> list[dict[str, object]]:
        with hub_store(hub.data_dir) as store:
            return store.deliveries.recent(user_ids=None, limit=10)

    with running(hub.start()):
        sim = ("--taps", "100", "--mood", "-1", "--seed", "3", "--wait-acked", "60")
        assert KioskRun(cfg["k1"], tmp_path / "k1-data", *sim).wait() == 0
        failed = wait_until(lambda: [x for x in deliveries() if x["last_error"]], timeout=30, message="a failed try")
        assert failed[0]["state"] == "pending" and "smtp 127.0.0.1" in str(failed[0]["last_error"])
        smtp = SmtpServer(port).start()
        try:
            wait_until(lambda: [x["state"] for x in deliveries()] == ["sent"], timeout=40, message="sent at last")
            assert len(smtp.mailbox.to("anna@example.com")) == 1
        finally:
            smtp.stop()
