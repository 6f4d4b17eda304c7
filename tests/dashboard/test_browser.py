"""A store manager in real headless Chromium against a running hub fed by simulated kiosks through MQTT."""

from __future__ import annotations

import csv
import re
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import Browser, Page

from tests.browser import sign_in as sign_in_as
from tests.harness import OUTPUT, ROOT, HubProcess, KioskRun, child_env, hub_cmd, oracle_count, provision, wait_until

SHOTS = OUTPUT / "dashboard"
PASSWORD = "a long manager password"
TAPS = {"k-sto-1": 260, "k-sto-2": 180, "k-gbg-1": 220}


def add_user(data_dir: Path, name: str, *args: str) -> None:
    r = subprocess.run(
        [sys.executable, "-m", "hub", "user", "add", name, *args, "--password-stdin", "--data-dir", str(data_dir)],
        input=PASSWORD + "\n",
        capture_output=True,
        text=True,
        env=child_env(),
        cwd=ROOT,
        timeout=60,
    )
    assert r.returncode == 0, r.stderr


def local_days_ago(days: int) -> str:
    return (datetime.now(UTC).astimezone(ZoneInfo("Europe/Stockholm")).date() - timedelta(days=days)).isoformat()


def stored(data_dir: Path, location: str, first_day: str, *, misuse: bool = False, closed: bool = False) -> int:
    """Ratings in the hub's own table for a location since a local day (independent of the report code); those
    flagged as misuse or as given outside opening hours only when asked for."""
    return oracle_count(
        data_dir,
        "SELECT count(*) FROM ratings WHERE location_id = ? AND local_day >= ?"
        + ("" if misuse else " AND misuse = 0")
        + ("" if closed else " AND closed = 0"),
        location,
        first_day,
    )


@dataclass
class Fed:
    hub: HubProcess
    configs: dict[str, Path]
    tmp: Path

    @property
    def url(self) -> str:
        return self.hub.url

    @property
    def data_dir(self) -> Path:
        return self.hub.data_dir


@pytest.fixture(scope="module")
def fed_hub(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Fed]:
    """A hub with two stores (three kiosks) and four weeks of ratings sent through the real pipeline."""
    tmp = tmp_path_factory.mktemp("dash")
    hub = HubProcess(tmp / "hub")
    configs = provision(
        hub.data_dir, location="sto", kiosks=["k-sto-1", "k-sto-2"], broker_url=hub.broker_url, out_dir=tmp
    )
    configs |= provision(hub.data_dir, location="gbg", kiosks=["k-gbg-1"], broker_url=hub.broker_url, out_dir=tmp)
    hub_cmd(
        "location",
        "set",
        "sto",
        "--region",
        "east",
        "--opening-hours",
        "mon-fri 8-21, sat 9-18, sun 10-17",
        "--data-dir",
        str(hub.data_dir),
    )
    add_user(hub.data_dir, "anna", "--role", "manager", "--location", "sto")
    add_user(hub.data_dir, "boss", "--role", "admin")
    hub.start()
    runs = [
        KioskRun(
            configs[k],
            tmp / f"{k}-data",
            "--taps",
            str(n),
            "--backfill-days",
            "27",
            "--seed",
            str(i),
            "--mood",
            str(0.4 - 0.5 * i),
            "--wait-acked",
            "90",
        )
        for i, (k, n) in enumerate(TAPS.items())
    ]
    assert [r.wait() for r in runs] == [0, 0, 0]
    yield Fed(hub, configs, tmp)
    hub.stop()


def sign_in(page: Page, url: str, user: str) -> None:
    """Asked to sign in first (the overview sends a visitor to the login form), then signed in."""
    page.goto(url + "/")
    assert "/login" in page.url
    sign_in_as(page, url, user, PASSWORD)


def cell_number(page: Page, selector: str) -> int | None:
    node = page.query_selector(selector)
    if node is None:
        return None
    digits = re.sub(r"\D", "", node.inner_text())
    return int(digits) if digits else None


def watch_errors(page: Page) -> list[str]:
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    return errors


def test_manager_sees_ingested_numbers_changes_range_opens_store_and_downloads_csv(
    fed_hub: Fed, browser: Browser
) -> None:
    """anna logs in, sees her store's stored counts, switches range and misuse, opens it, exports, is refused gbg."""
    SHOTS.mkdir(parents=True, exist_ok=True)
    ctx = browser.new_context(viewport={"width": 1280, "height": 900}, locale="sv-SE", accept_downloads=True)
    page = ctx.new_page()
    errors = watch_errors(page)
    page.goto(fed_hub.url + "/")
    page.screenshot(path=str(SHOTS / "login.png"))
    sign_in(page, fed_hub.url, "anna")

    row = "tr[data-location=sto] td[data-field=total]"
    week = stored(fed_hub.data_dir, "sto", local_days_ago(6))
    wait_until(lambda: cell_number(page, row) == week, message=f"overview shows {week} answers this week")
    assert page.query_selector("tr[data-location=gbg]") is None
    assert "Översikt" in page.inner_text("h1")
    page.screenshot(path=str(SHOTS / "overview.png"), full_page=True)

    page.select_option("#range-preset", "last_30_days")
    month = stored(fed_hub.data_dir, "sto", local_days_ago(29))
    wait_until(lambda: cell_number(page, row) == month, message=f"30-day total {month}")
    assert "range=last_30_days" in page.url
    page.check("#include-misuse")
    with_misuse = stored(fed_hub.data_dir, "sto", local_days_ago(29), misuse=True)
    wait_until(lambda: cell_number(page, row) == with_misuse, message="misuse counted, closed hours not")
    page.check("#include-closed")
    wait_until(lambda: cell_number(page, row) == TAPS["k-sto-1"] + TAPS["k-sto-2"], message="every tap")
    assert "include_closed=true" in page.url
    page.uncheck("#include-misuse")
    page.uncheck("#include-closed")
    wait_until(lambda: cell_number(page, row) == month, message="flagged answers excluded again")

    page.select_option("#range-preset", "custom")
    page.fill("#range-from", local_days_ago(20))
    page.fill("#range-to", local_days_ago(10))
    page.click("#range-apply")
    custom = stored(fed_hub.data_dir, "sto", local_days_ago(20)) - stored(fed_hub.data_dir, "sto", local_days_ago(9))
    wait_until(lambda: cell_number(page, row) == custom, message=f"custom range total {custom}")
    assert f"from={local_days_ago(20)}" in page.url
    page.select_option("#range-preset", "last_30_days")
    wait_until(lambda: cell_number(page, row) == month, message="back to 30 days")

    page.click("tr[data-location=sto] a")
    page.wait_for_url(re.compile(r".*/locations/sto\?range=last_30_days.*"))
    page.wait_for_selector("#heatmap td[data-total]")
    cells = page.eval_on_selector_all("#heatmap td[data-total]", "tds => tds.map(td => +td.dataset.total)")
    assert sum(cells) == month
    assert page.eval_on_selector_all("#kiosk-table tbody tr", "rows => rows.length") == 2
    page.wait_for_function("document.querySelectorAll('#trend-chart').length && Chart.getChart('trend-chart')")
    page.screenshot(path=str(SHOTS / "location.png"), full_page=True)

    with page.expect_download() as download:
        page.click("#csv-ratings")
    path = Path(download.value.path())
    rows = list(csv.DictReader(path.open(encoding="utf-8-sig")))  # raw: flagged answers too, with their flags
    assert len(rows) == TAPS["k-sto-1"] + TAPS["k-sto-2"] and {r["location_id"] for r in rows} == {"sto"}
    assert sum(r["misuse"] == r["outside_opening_hours"] == "0" for r in rows) == month
    assert {r["kiosk_id"] for r in rows} == {"k-sto-1", "k-sto-2"}

    assert errors == [], errors  # (the 404 below logs one by design)
    response = page.goto(fed_hub.url + "/locations/gbg")
    assert response is not None and response.status == 404
    assert "Göteborg" not in page.content() and page.query_selector("#error-text") is not None
    page.screenshot(path=str(SHOTS / "other-store-404.png"))
    ctx.close()


def test_pages_update_live_without_reload_when_new_ratings_arrive(fed_hub: Fed, browser: Browser) -> None:
    """New taps from a kiosk appear on the open overview within seconds, on the same page instance."""
    ctx = browser.new_context(viewport={"width": 1280, "height": 800}, locale="en-GB")
    page = ctx.new_page()
    sign_in(page, fed_hub.url, "anna")
    page.goto(fed_hub.url + "/?range=today&include_misuse=true&include_closed=true")
    row = "tr[data-location=sto] td[data-field=total]"
    before = stored(fed_hub.data_dir, "sto", local_days_ago(0), misuse=True, closed=True)
    wait_until(lambda: cell_number(page, row) == before, message="today's count")
    page.evaluate("window.__same_page = 42")
    run = KioskRun(fed_hub.configs["k-sto-2"], fed_hub.tmp / "k-sto-2-data", "--taps", "7", "--wait-acked", "30")
    assert run.wait() == 0
    wait_until(lambda: cell_number(page, row) == before + 7, timeout=15, message="live update of the count")
    assert page.evaluate("window.__same_page") == 42
    assert ">Overview<" in page.content()
    ctx.close()


def test_compare_fleet_and_phone_layout_for_an_admin(fed_hub: Fed, browser: Browser) -> None:
    """An admin sees both stores ranked with intervals and every kiosk in the fleet; pages fit a phone."""
    ctx = browser.new_context(viewport={"width": 1280, "height": 900}, locale="en-GB")
    page = ctx.new_page()
    errors = watch_errors(page)
    sign_in(page, fed_hub.url, "boss")
    page.goto(fed_hub.url + "/compare?range=last_30_days")
    page.wait_for_selector("#compare-table tbody tr[data-location=gbg]")
    ranks = page.eval_on_selector_all("#compare-table tbody tr", "rows => rows.map(r => r.dataset.location)")
    assert sorted(ranks) == ["gbg", "sto"]
    page.screenshot(path=str(SHOTS / "compare.png"), full_page=True)
    page.goto(fed_hub.url + "/fleet")
    page.wait_for_selector("#fleet-table tbody tr[data-kiosk]")
    kiosks = page.eval_on_selector_all("#fleet-table tbody tr", "rows => rows.map(r => r.dataset.kiosk)")
    assert sorted(kiosks) == sorted(TAPS)
    page.screenshot(path=str(SHOTS / "fleet.png"), full_page=True)
    assert errors == [], errors
    ctx.close()

    phone = browser.new_context(
        viewport={"width": 390, "height": 844}, device_scale_factor=2, is_mobile=True, has_touch=True, locale="sv-SE"
    )
    page = phone.new_page()
    sign_in(page, fed_hub.url, "anna")
    page.wait_for_selector("tr[data-location=sto] td[data-field=total]")
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    page.screenshot(path=str(SHOTS / "phone-overview.png"), full_page=True)
    page.goto(fed_hub.url + "/locations/sto?range=last_30_days")
    page.wait_for_selector("#heatmap td[data-total]")
    page.wait_for_function("Chart.getChart('trend-chart') !== undefined")
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    page.screenshot(path=str(SHOTS / "phone-location.png"), full_page=True)
    phone.close()


def test_swagger_ui_runs_under_its_own_csp(fed_hub: Fed, browser: Browser) -> None:
    """/docs draws every operation with its inline script allowed by hash and no CSP violation in the console."""
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    errors = watch_errors(page)
    response = page.goto(fed_hub.url + "/docs")
    assert response is not None and "'sha256-" in response.headers["content-security-policy"]
    page.wait_for_selector(".opblock-summary-path", timeout=15_000)
    paths = {node.inner_text().strip() for node in page.query_selector_all(".opblock-summary-path")}
    assert {"/api/fleet", "/api/exports/ratings.csv", "/api/sign-in-failures"} <= paths
    page.screenshot(path=str(SHOTS / "docs-csp.png"))
    assert not [e for e in errors if "Content Security Policy" in e], errors
    page.close()
