"""Two ``hub serve`` processes on one PostgreSQL behave as one (issue 15, stateless HTTP): real processes, each
with its own data dir, one external Mosquitto; process A ingests, B serves HTTP only (``--no-ingest``) or ingests
too.

Sessions and CSRF made on one work on the other; sign-in failures on both count together; alert evaluation,
reports and config publishing are done once, by the lease holder, and move on when it is SIGKILLed; a tap stored
by A reaches a page streaming from B.
"""

from __future__ import annotations

import queue
import re
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest

from feedback import protocol as p
from feedback.remote_config import decode_config
from hub.accounts import add_user
from hub.clock import wall_ms
from hub.leadership import ALERTS, CONFIG, LeaseTerms
from tests.alerts.conftest import smtp
from tests.alerts.receivers import SmtpServer
from tests.harness import ExternalBroker, HubProcess, IngestWorker, KioskRun, hub_cmd, hub_store, provision, wait_until
from tests.mqtt_client import RawClient

PASSWORD = "correct horse battery"
LEASE_S = 3.0
SESSION_COOKIE = "hub_session"
__all__ = ["smtp"]  # the alert tests' aiosmtpd fixture, reused


@dataclass
class Pair:
    a: HubProcess  # ingests
    b: HubProcess  # HTTP only
    broker: ExternalBroker
    kiosks: dict[str, Path]

    @property
    def both(self) -> tuple[HubProcess, HubProcess]:
        return self.a, self.b


def _start_pair(tmp_path: Path, *flags: str, b_ingests: bool) -> Pair:
    hub_dir = tmp_path / "hub-a"
    hub_dir.mkdir()
    broker = ExternalBroker(hub_dir)
    kiosks = provision(hub_dir, location="sto", kiosks=["k1"], broker_url=broker.kiosk_url, out_dir=tmp_path)
    broker.start()
    common = ("--lease-s", str(LEASE_S), *flags)
    url = broker.hub_url()
    a = HubProcess(hub_dir, mqtt_url=url, log_name="a", extra_args=("--client-id", "a", *common))
    b_flags = ("--client-id", "b", *(() if b_ingests else ("--no-ingest",)), *common)
    b = HubProcess(tmp_path / "hub-b", mqtt_url=url, log_name="b", extra_args=b_flags)
    return Pair(a, b, broker, kiosks)


@pytest.fixture
def pair_of(tmp_path: Path, pg_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    """Starts the broker, and A and B on a fresh PostgreSQL database ($HUB_DATABASE, inherited) with the flags given
    (B ingests too with ``b_ingests``: then both share the broker's ratings; ``start=False``: the test starts A
    and B); stops all."""
    monkeypatch.setenv("HUB_DATABASE", pg_url)
    started: list[Pair] = []

    def make(*flags: str, b_ingests: bool = False, start: bool = True) -> Pair:
        pair = _start_pair(tmp_path, *flags, b_ingests=b_ingests)
        started.append(pair)
        if start:
            for hub in pair.both:
                hub.start()
        return pair

    yield make
    for pair in started:
        for hub in pair.both:
            hub.stop()
        pair.broker.stop()


def _admin(hub: HubProcess, name: str = "boss") -> None:
    with hub_store(hub.data_dir) as store:
        add_user(store, name, role="admin", password=PASSWORD, now_ms=wall_ms())


def _try_sign_in(hub: HubProcess, name: str, password: str) -> httpx.Response:
    with httpx.Client(base_url=hub.url, timeout=10) as c:
        c.get("/login")
        form = {"username": name, "password": password, "csrf": c.cookies.get("hub_login_csrf") or "", "next": "/"}
        return c.post("/login", data=form, follow_redirects=False)


def _page_csrf(hub: HubProcess, session: str) -> str:
    html = httpx.get(hub.url + "/", cookies={SESSION_COOKIE: session}, timeout=10).text
    m = re.search(r'name="csrf" value="([^"]+)"', html)
    assert m, "the page has no CSRF field"
    return m.group(1)


def _me(hub: HubProcess, session: str) -> int:
    return httpx.get(hub.url + "/api/me", cookies={SESSION_COOKIE: session}, timeout=10).status_code


def _health(hub: HubProcess) -> dict[str, Any]:
    try:
        doc: dict[str, Any] = httpx.get(hub.url + "/healthz", timeout=2).json()
    except httpx.HTTPError:
        return {"leads": []}
    return doc


def _metric(hub: HubProcess, name: str) -> float:
    text = httpx.get(hub.url + "/metrics", timeout=10).text
    m = re.search(rf"^{name} ([0-9.e+]+)$", text, re.M)
    return float(m.group(1)) if m else 0.0


def _leader(pair: Pair, lease: str) -> HubProcess:
    found: list[HubProcess] = []

    def one_leads() -> bool:
        found[:] = [h for h in pair.both if lease in _health(h)["leads"]]
        return len(found) == 1

    wait_until(one_leads, timeout=LEASE_S * 3, message=f"one process holding the {lease} lease")
    return found[0]


def _cycles_pass(hub: HubProcess, n: int) -> None:
    """Wait (polling the leader's own counter) until it has run ``n`` more evaluation cycles."""
    start = _metric(hub, "hub_alert_cycles_total")
    wait_until(lambda: _metric(hub, "hub_alert_cycles_total") >= start + n, timeout=30, message=f"{n} more cycles")


def test_a_session_made_on_one_process_works_on_the_other_and_signing_out_there_ends_it(pair_of: Any) -> None:
    """Signed in on A: B knows the session and takes its CSRF token on a write (and refuses a write without it);
    signing out on B ends the session on A too."""
    pair = pair_of()
    _admin(pair.a)
    r = _try_sign_in(pair.a, "boss", PASSWORD)
    assert r.status_code == 303 and r.headers["location"] == "/"
    session = r.cookies[SESSION_COOKIE]
    assert _me(pair.b, session) == 200
    csrf = _page_csrf(pair.a, session)  # the token as A's page embedded it
    patch = {"set": {"faces": 5}}
    no_token = httpx.patch(
        pair.b.url + "/api/kiosk-settings/kiosks/k1", json=patch, cookies={SESSION_COOKIE: session}, timeout=10
    )
    assert no_token.status_code == 403
    ok = httpx.patch(
        pair.b.url + "/api/kiosk-settings/kiosks/k1",
        json=patch,
        cookies={SESSION_COOKIE: session},
        headers={"X-CSRF-Token": csrf},
        timeout=10,
    )
    assert ok.status_code == 200, ok.text
    out = httpx.post(
        pair.b.url + "/logout", data={"csrf": csrf}, cookies={SESSION_COOKIE: session}, follow_redirects=False
    )
    assert out.status_code == 303
    assert (_me(pair.a, session), _me(pair.b, session)) == (401, 401)


def test_failed_sign_ins_on_both_processes_count_together(pair_of: Any) -> None:
    """Wrong passwords alternately on A and B reach the throttle as one client's failures: once the throttle
    answers on one, the right password is refused on the other too (it would be let in had B counted alone)."""
    pair = pair_of()
    _admin(pair.a)
    wait_s = [0]

    def throttled_after_another_failure() -> bool:
        for hub in pair.both:
            where = _try_sign_in(hub, "boss", "wrong").headers["location"]
            assert "failed=1" in where or "failed=3" in where, where
            m = re.search(r"failed=3&wait=(\d+)", where)
            if m and int(m.group(1)) >= 2:
                wait_s[0] = int(m.group(1))
                return True
        return False

    wait_until(throttled_after_another_failure, timeout=60, message="the throttle answering")
    with hub_store(pair.a.data_dir) as store:
        failures = store.sign_ins.failures("127.0.0.1", "boss", since_ms=0).for_name
    assert failures >= 4  # the free three and more, made on both
    for hub in pair.both:
        assert "failed=3" in _try_sign_in(hub, "boss", PASSWORD).headers["location"]


def _manager_with_reports(hub: HubProcess, name: str, location: str) -> None:
    with hub_store(hub.data_dir) as store:
        add_user(store, name, role="manager", password=PASSWORD, now_ms=wall_ms(), location_ids=[location])
        store.deliveries.set_profile(name, email=f"{name}@example.com", language="en", timezone="Europe/Stockholm")
        store.deliveries.put_settings(
            name,
            email_alerts=True,
            webhook_url=None,
            report_period="day",  # yesterday's report is due from 00:00 today: at once
            report_time="00:00",
            location_ids=[],
            region_ids=[],
        )


def _mails(smtp: SmtpServer, address: str, prefix: str) -> list[Any]:
    return [m for m in smtp.mailbox.to(address) if str(m["Subject"]).startswith(prefix)]


def test_alerts_and_reports_are_made_once_and_move_on_when_the_leader_is_sigkilled(
    pair_of: Any, smtp: SmtpServer, tmp_path: Path
) -> None:
    """Both processes run; an unhappy store opens one alert and one e-mail, and one daily report goes out, while
    the leader runs many cycles; SIGKILL the leader: the other evaluates within the lease bound and, cycles later,
    there is still one alert, one alert e-mail and one report."""
    flags = ("--smtp-url", smtp.url, "--mail-from", "hub@example.com", "--alert-interval-s", "0.3")
    pair = pair_of(*flags)
    _manager_with_reports(pair.a, "anna", "sto")
    hub_cmd("alert", "rule", "add", "--kind", "unhappy_pct_above", "--all", "--threshold", "15", "--window", "2h",
            "--min-answers", "20", "--include-misuse", "--data-dir", str(pair.a.data_dir))  # fmt: skip
    sim = ("--taps", "100", "--mood", "-1", "--seed", "1", "--wait-acked", "60")
    assert KioskRun(pair.kiosks["k1"], tmp_path / "k1-data", *sim).wait() == 0
    wait_until(lambda: _mails(smtp, "anna@example.com", "Alert:"), timeout=30, message="the alert e-mail")
    wait_until(lambda: _mails(smtp, "anna@example.com", "Daily report"), timeout=30, message="the daily report")
    leader = _leader(pair, ALERTS)
    other = pair.b if leader is pair.a else pair.a
    assert ALERTS not in _health(other)["leads"] and _metric(other, "hub_alert_cycles_total") == 0
    _cycles_pass(leader, 10)
    leader.kill()
    killed = time.monotonic()
    wait_until(lambda: ALERTS in _health(other)["leads"], timeout=LEASE_S + 5, message="the other taking over")
    bound_s = LeaseTerms(round(LEASE_S * 1000)).takeover_bound_ms() / 1000  # the lease, then one ask
    assert time.monotonic() - killed <= bound_s + 2  # and 2 s for polling /healthz on a busy machine
    _cycles_pass(other, 10)
    with hub_store(pair.a.data_dir) as store:
        alerts = store.alerts.select(location_ids=["sto"], states=("open", "acknowledged", "closed"), limit=10)
    assert [a.state for a in alerts] == ["open"]
    assert len(_mails(smtp, "anna@example.com", "Alert:")) == 1
    assert len(_mails(smtp, "anna@example.com", "Daily report")) == 1


def test_a_settings_change_through_one_process_is_published_once_while_both_run(pair_of: Any) -> None:
    """Both processes start (both ingesting, each with its config publisher): the kiosk's first config is
    published once, not by each; a change through A's API is published once, retained on the kiosk's topic, by
    the process holding the config lease; the other publishes nothing."""
    pair = pair_of("--alert-interval-s", "0.3", b_ingests=True, start=False)  # the alert cycles: the test's clock
    hub_cmd("config", "set", "--kiosk", "k1", "--set", "faces=3", "--data-dir", str(pair.a.data_dir))
    secret = urlsplit(pair.broker.hub_url()).password
    watcher = RawClient(pair.broker.port, username="hub", password=secret, client_id="test-watcher")
    watcher.connect()
    watcher.subscribe(p.kiosk_topic("k1", p.CONFIG))
    for hub in pair.both:
        hub.start()
    _admin(pair.a)
    leader = _leader(pair, CONFIG)
    other = pair.b if leader is pair.a else pair.a
    got: list[int] = []
    wait_until(lambda: got or _versions(watcher, got), timeout=20, message="the first config on the kiosk topic")
    first = got[0]
    session = _try_sign_in(pair.a, "boss", PASSWORD).cookies[SESSION_COOKIE]
    _patch_settings(pair.a, session, "k1", {"faces": 5})
    with hub_store(pair.a.data_dir) as store:
        version = store.settings.latest_version()
    wait_until(lambda: version in _versions(watcher, got), timeout=20, message="the new version on the kiosk topic")
    _cycles_pass(_leader(pair, ALERTS), 10)  # three seconds: six publishing rounds of each process
    watcher.close()
    assert version > first
    assert _versions(watcher, got) == [first, version]
    assert _metric(other, "hub_configs_published_total") == 0
    assert _metric(leader, "hub_configs_published_total") >= 1
    assert CONFIG not in _health(other)["leads"]
    late = RawClient(pair.broker.port, username="hub", password=secret, client_id="test-late")
    late.connect()
    late.subscribe(p.kiosk_topic("k1", p.CONFIG))
    retained: list[int] = []
    wait_until(lambda: _versions(late, retained) == [version], timeout=10, message="the retained config, once")
    late.close()


def _versions(client: RawClient, got: list[int]) -> list[int]:
    """``got`` extended by the config versions ``client`` received since the last call."""
    while True:
        try:
            msg = client.messages.get_nowait()
        except queue.Empty:
            return got
        got.append(decode_config(bytes(msg.payload)).version)


def _patch_settings(hub: HubProcess, session: str, kiosk_id: str, changes: dict[str, Any]) -> None:
    r = httpx.patch(
        f"{hub.url}/api/kiosk-settings/kiosks/{kiosk_id}",
        json={"set": changes},
        cookies={SESSION_COOKIE: session},
        headers={"X-CSRF-Token": _page_csrf(hub, session)},
        timeout=10,
    )
    assert r.status_code == 200, r.text


def test_when_the_config_leader_is_sigkilled_the_other_publishes(pair_of: Any) -> None:
    """SIGKILL the process holding the config lease: the survivor takes it within the bound and publishes a
    change made through it, retained."""
    pair = pair_of(b_ingests=True)
    _admin(pair.a)
    leader = _leader(pair, CONFIG)
    survivor = pair.b if leader is pair.a else pair.a
    leader.kill()
    wait_until(lambda: CONFIG in _health(survivor)["leads"], timeout=LEASE_S + 5, message="the survivor leading")
    session = _try_sign_in(survivor, "boss", PASSWORD).cookies[SESSION_COOKIE]
    _patch_settings(survivor, session, "k1", {"faces": 5})
    with hub_store(survivor.data_dir) as store:
        version = store.settings.latest_version()
    watcher = RawClient(
        pair.broker.port, username="hub", password=urlsplit(pair.broker.hub_url()).password, client_id="test-late"
    )
    watcher.connect()
    watcher.subscribe(p.kiosk_topic("k1", p.CONFIG))
    got: list[int] = []
    wait_until(lambda: _versions(watcher, got) == [version], timeout=20, message="the change, retained, once")
    watcher.close()


def _stream_events(hub: HubProcess) -> list[str]:
    """Open ``GET /api/events`` on ``hub`` in a thread; the list fills with its ``data:`` lines."""
    token = hub_cmd("token", "create", "--data-dir", str(hub.data_dir)).strip()
    events: list[str] = []
    connected = threading.Event()

    def listen() -> None:
        try:
            with httpx.stream("GET", hub.url + "/api/events", headers={"Authorization": f"Bearer {token}"}) as r:
                for line in r.iter_lines():
                    if line == ": connected":
                        connected.set()
                    if line.startswith("data:"):
                        events.append(line)
        except httpx.HTTPError:  # the hub stopping ends the stream; before that, the caller's assertion says it
            return

    threading.Thread(target=listen, daemon=True).start()
    assert connected.wait(15), "the event stream did not open"
    return events


def test_a_tap_stored_by_one_process_reaches_a_page_streaming_from_the_other(pair_of: Any, tmp_path: Path) -> None:
    """A page's event stream on B (which ingests nothing) hears of answers A stored, within seconds."""
    pair = pair_of()
    events = _stream_events(pair.b)
    assert KioskRun(pair.kiosks["k1"], tmp_path / "k1-data", "--taps", "3", "--wait-acked", "30").wait() == 0
    wait_until(lambda: any('"sto"' in e for e in events), timeout=10, message="B's stream telling of sto")


def test_a_tap_stored_by_an_ingest_worker_reaches_a_page_streaming_from_serve(pair_of: Any, tmp_path: Path) -> None:
    """With the ingest in a ``hub ingest`` worker and only ``serve --no-ingest`` for HTTP, a page streaming from
    the serve process hears of the answers the worker stored."""
    pair = pair_of(start=False)
    pair.b.start()
    worker = IngestWorker(tmp_path, mqtt_url=pair.broker.hub_url(), client_id="w1").start()
    try:
        wait_until(worker.connections, timeout=30, message="the worker connected")
        events = _stream_events(pair.b)
        assert KioskRun(pair.kiosks["k1"], tmp_path / "k1-data", "--taps", "3", "--wait-acked", "30").wait() == 0
        wait_until(lambda: any('"sto"' in e for e in events), timeout=10, message="B's stream telling of sto")
    finally:
        worker.stop()
