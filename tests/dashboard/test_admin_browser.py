"""An admin sets up a chain in real headless Chromium — no shell — and a manager sees the kiosk's taps."""

from __future__ import annotations

import re
import tomllib
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page

from tests.browser import sign_in
from tests.dashboard.test_browser import PASSWORD, add_user, cell_number, watch_errors
from tests.harness import OUTPUT, HubProcess, KioskRun, oracle_count, wait_until

SHOTS = OUTPUT / "admin"
PAGES = ("stores", "kiosks", "users", "settings", "audit", "sign-ins")
WIDTHS = {"desktop": (1280, 900), "phone": (390, 844)}


@pytest.fixture(scope="module")
def hub(tmp_path_factory: pytest.TempPathFactory) -> Iterator[HubProcess]:
    """A running hub (managed broker) with one admin made on the command line: no default passwords."""
    tmp = tmp_path_factory.mktemp("admin")
    h = HubProcess(tmp / "hub")
    h.data_dir.mkdir(parents=True)
    add_user(h.data_dir, "root", "--role", "admin")
    h.start()
    yield h
    h.stop()


def status_text(page: Page) -> str:
    page.wait_for_selector("#admin-status:not([hidden])")
    return page.inner_text("#admin-status")


def test_admin_sets_up_store_kiosk_and_manager_and_the_manager_sees_exactly_the_kiosks_taps(
    hub: HubProcess, browser: Browser, tmp_path: Path
) -> None:
    """Region, store with hours and a holiday, kiosk with its downloaded config, manager; simulated taps shown."""
    ctx = browser.new_context(viewport={"width": 1280, "height": 900}, locale="en-GB", accept_downloads=True)
    page = ctx.new_page()
    errors = watch_errors(page)
    sign_in(page, hub.url, "root", PASSWORD)
    page.click("nav.mainnav a[href='/admin']")
    page.wait_for_url(hub.url + "/admin/stores")

    page.fill("#region-form input[name=id]", "north")
    page.fill("#region-form input[name=name]", "Norr")
    page.click("#region-form button[type=submit]")
    page.wait_for_selector("#region-table tr[data-region=north]")

    page.wait_for_selector("#store-form select[name=region_id] option[value=north]", state="attached")
    page.fill("#store-form input[name=id]", "lul")
    page.fill("#store-form input[name=name]", "Luleå")
    page.select_option("#store-form select[name=region_id]", "north")
    page.select_option("#store-form select[name=timezone]", "Europe/Stockholm")
    for day in ("mon", "tue", "wed", "thu", "fri", "sat", "sun"):  # open round the clock: taps come any time
        page.fill(f"input[name=open_{day}]", "0")
        page.fill(f"input[name=close_{day}]", "24")
    page.click("#add-exception")
    page.fill("#exceptions input[name=date]", "2026-12-24")
    page.fill("#exceptions input[name=note]", "Julafton")
    page.click("#store-form button[type=submit]")
    page.wait_for_selector("#store-table tr[data-store=lul]")
    assert "north" in page.inner_text("#region-table")

    page.goto(hub.url + "/admin/kiosks")
    page.wait_for_selector("#kiosk-form select[name=location_id] option[value=lul]", state="attached")
    page.fill("#kiosk-form input[name=id]", "lul-1")
    page.fill("#kiosk-form input[name=name]", "Entré")
    page.click("#kiosk-form button[type=submit]")
    page.wait_for_selector("#config-once:not([hidden])")
    with page.expect_download() as download:
        page.click("#config-download")
    config = tmp_path / "lul-1.toml"
    Path(download.value.path()).rename(config)
    doc = tomllib.loads(config.read_text())
    assert doc["kiosk"] == {"id": "lul-1", "location": "lul"} and doc["broker"]["url"] == hub.broker_url
    page.screenshot(path=str(SHOTS / "kiosk-config-once.png"), full_page=True)
    page.reload()  # shown once: gone after a reload, and never in the page again
    page.wait_for_selector("#kiosk-admin-table tr[data-kiosk=lul-1]")
    assert doc["broker"]["password"] not in page.content() and page.is_hidden("#config-once")

    page.goto(hub.url + "/admin/users")
    page.wait_for_selector("#assign-stores input[value=lul]")
    page.fill("#user-form input[name=name]", "lena")
    page.check("#assign-stores input[value=lul]")
    page.click("#user-form button[type=submit]")
    password = status_text(page).rsplit(": ", 1)[-1].strip()
    page.wait_for_selector("#user-table tr[data-user=lena]")
    assert len(password) >= 12
    assert errors == [], errors
    ctx.close()

    run = KioskRun(config, tmp_path / "lul-1-data", "--taps", "12", "--seed", "3", "--wait-acked", "60")
    assert run.wait() == 0, run.log_path.read_text()
    taps = oracle_count(hub.data_dir, "SELECT count(*) FROM ratings WHERE location_id = 'lul'")
    assert taps == 12

    manager = browser.new_context(viewport={"width": 1280, "height": 900}, locale="sv-SE")
    page = manager.new_page()
    sign_in(page, hub.url, "lena", password)
    page.goto(hub.url + "/?range=today&include_misuse=true")
    wait_until(lambda: cell_number(page, "tr[data-location=lul] td[data-field=total]") == 12, message="12 taps")
    assert page.query_selector("nav.mainnav a[href='/admin']") is None
    assert page.goto(hub.url + "/admin/users").status == 404  # type: ignore[union-attr]
    page.goto(hub.url + "/fleet")
    page.wait_for_selector("#fleet-table tr[data-kiosk=lul-1]")
    assert "Entré" in page.inner_text("#fleet-table")

    # the admin changes the question; once the kiosk applied it, its taps answer the new one
    admin = browser.new_context(viewport={"width": 1280, "height": 900}, locale="sv-SE")
    apage = admin.new_page()
    sign_in(apage, hub.url, "root", PASSWORD)
    apage.goto(hub.url + "/admin/settings")
    apage.wait_for_selector("#rollout-table tr[data-kiosk=lul-1]")
    apage.fill("#settings-form input[name=question_sv]", "Hur var kassan?")
    apage.fill("#settings-form input[name=question_id]", "kassa")
    assert "Hur var kassan?" in apage.inner_text("#kiosk-preview")
    apage.click("#settings-form button[type=submit]")
    assert "Sparat" in status_text(apage)
    apage.screenshot(path=str(SHOTS / "settings-question-changed.png"), full_page=True)
    admin.close()

    def rollout() -> str:
        state: str = hub.api("/api/kiosk-settings/kiosks/lul-1")["rollout"][0]["state"]
        return state

    runs = 0
    while runs < 3 and rollout() != "applied":  # each run connects, gets the retained settings, applies them
        extra = KioskRun(config, tmp_path / "lul-1-data", "--taps", "1", "--rate", "0.5", "--wait-acked", "30")
        assert extra.wait() == 0
        runs += 1
    wait_until(lambda: rollout() == "applied", timeout=20, message="kiosk applied the new question")
    before = oracle_count(hub.data_dir, "SELECT count(*) FROM ratings WHERE location_id = 'lul'")
    run = KioskRun(config, tmp_path / "lul-1-data", "--taps", "9", "--seed", "4", "--wait-acked", "60")
    assert run.wait() == 0
    asked = oracle_count(hub.data_dir, "SELECT count(*) FROM ratings WHERE question = 'kassa'")
    assert asked == 9 and before == 12 + runs

    page.goto(hub.url + "/locations/lul?range=today&include_misuse=true")
    page.wait_for_selector("#question-box:not([hidden])")
    options = page.eval_on_selector_all("#question-select option", "os => os.map(o => o.value)")
    assert options[0] == "" and sorted(options[1:]) == ["kassa", "q1"]
    wait_until(
        lambda: len(page.evaluate("Chart.getChart('trend-chart').data.datasets.filter(d => d.type === 'line')")) == 2,
        message="one Happy Index line per question",
    )
    assert "Hur var kassan?" in page.inner_text("#question-select")
    page.select_option("#question-select", "kassa")
    wait_until(lambda: "question=kassa" in page.url and "9" in page.inner_text("#kpis .kpi:nth-child(3) .value"))
    assert page.inner_text("#kpis .kpi:nth-child(3) .value").strip() == "9"
    page.screenshot(path=str(SHOTS / "manager-question-split.png"), full_page=True)
    manager.close()


@pytest.mark.parametrize("lang", ["sv", "en"])
def test_every_admin_page_renders_at_desktop_and_phone_width(hub: HubProcess, browser: Browser, lang: str) -> None:
    """Each admin page loads without script errors, fits a 390 px phone, and is screenshotted in sv and en."""
    SHOTS.mkdir(parents=True, exist_ok=True)
    for width_name, (width, height) in WIDTHS.items():
        locale = "sv-SE" if lang == "sv" else "en-GB"
        ctx = browser.new_context(viewport={"width": width, "height": height}, locale=locale)
        page = ctx.new_page()
        errors = watch_errors(page)
        sign_in(page, hub.url, "root", PASSWORD)
        page.goto(hub.url + f"/lang/{lang}?next=/")
        for section in PAGES:
            page.goto(hub.url + f"/admin/{section}")
            page.wait_for_load_state("networkidle")
            assert re.search("Administration", page.inner_text("nav.mainnav"))
            assert page.evaluate("document.documentElement.scrollWidth") <= width + 1, f"{section} {width_name}"
            page.screenshot(path=str(SHOTS / f"{section}-{width_name}-{lang}.png"), full_page=True)
        assert errors == [], errors
        ctx.close()


def test_admin_gives_a_kiosk_a_new_staff_pin_from_the_kiosks_page(hub: HubProcess, browser: Browser) -> None:
    """The Kiosks page's "New staff PIN" button (after a confirm) shows a new 6-digit PIN once, whose hash the hub
    now pushes to that kiosk; after a reload the PIN is gone from the page."""
    from feedback.staff_pin import pin_matches
    from tests.harness import hub_cmd

    data = str(hub.data_dir)
    hub_cmd(
        "location", "add", "pin-store", "--name", "PIN-butiken", "--timezone", "Europe/Stockholm", "--data-dir", data
    )
    hub_cmd("kiosk", "add", "pin-1", "--location", "pin-store", "--broker-url", hub.broker_url, "--data-dir", data)
    ctx = browser.new_context(viewport={"width": 1280, "height": 900}, locale="en-GB")
    page = ctx.new_page()
    errors = watch_errors(page)
    sign_in(page, hub.url, "root", PASSWORD)
    page.goto(hub.url + "/lang/en?next=/admin/kiosks")
    row = "#kiosk-admin-table tr[data-kiosk=pin-1]"
    page.wait_for_selector(row)
    page.once("dialog", lambda dialog: dialog.accept())
    page.click(f"{row} button:has-text('New staff PIN')")
    page.wait_for_selector("#pin-once:not([hidden])")
    pin = page.inner_text("#pin-text").strip()
    assert re.fullmatch(r"\d{6}", pin), pin
    assert "pin-1" in page.inner_text("#pin-once")
    page.screenshot(path=str(SHOTS / "kiosk-new-pin-once.png"), full_page=True)
    pushed = hub.api("/api/kiosk-settings/kiosks/pin-1")["settings"]["staff_pin_hash"]
    assert pin_matches(pin, pin=None, pin_hash=pushed)
    page.reload()
    page.wait_for_selector(row)
    assert page.is_hidden("#pin-once") and pin not in page.inner_text("body")
    assert errors == [], errors
    ctx.close()
