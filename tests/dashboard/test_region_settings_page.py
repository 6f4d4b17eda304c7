"""Kiosk settings per region on the admin settings page, in real headless Chromium against a real hub process."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser

from tests.dashboard.test_browser import PASSWORD, add_user, watch_errors
from tests.harness import OUTPUT, HubProcess, hub_cmd, hub_store, provision

SHOTS = OUTPUT / "admin"


@pytest.fixture(scope="module")
def hub(tmp_path_factory: pytest.TempPathFactory) -> Iterator[HubProcess]:
    """A hub with two regions, a store in each and a kiosk per store."""
    h = HubProcess(tmp_path_factory.mktemp("region-page") / "hub")
    d = ["--data-dir", str(h.data_dir)]
    h.data_dir.mkdir(parents=True)
    add_user(h.data_dir, "root", "--role", "admin")
    hub_cmd("region", "add", "north", "--name", "Norr", *d)
    hub_cmd("region", "add", "south", "--name", "Syd", *d)
    hub_cmd("location", "add", "lul", "--name", "Luleå", "--timezone", "Europe/Stockholm", "--region", "north", *d)
    hub_cmd("location", "add", "mmx", "--name", "Malmö", "--timezone", "Europe/Stockholm", "--region", "south", *d)
    provision(h.data_dir, location="lul", kiosks=["lul-1"], broker_url=h.broker_url, out_dir=h.data_dir)
    provision(h.data_dir, location="mmx", kiosks=["mmx-1"], broker_url=h.broker_url, out_dir=h.data_dir)
    h.start()
    yield h
    h.stop()


@pytest.mark.parametrize(("lang", "width", "height"), [("en", 1280, 900), ("sv", 390, 844)])
def test_an_admin_sets_a_regions_kiosk_settings_on_the_settings_page(
    hub: HubProcess, browser: Browser, lang: str, width: int, height: int
) -> None:
    """Picking a region, the admin sees only its kiosks' rollout and saves a question for them; another region's
    kiosk gets nothing."""
    ctx = browser.new_context(viewport={"width": width, "height": height})
    page = ctx.new_page()
    errors = watch_errors(page)
    page.goto(hub.url + f"/lang/{lang}?next=/login")
    page.fill("input[name=username]", "root")
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(hub.url + "/")
    page.goto(hub.url + "/admin/settings")
    page.wait_for_selector("#scope-select option[value='regions:north']", state="attached")
    page.select_option("#scope-select", "regions:north")
    page.wait_for_selector("#rollout-table tr[data-kiosk=lul-1]")
    assert page.query_selector("#rollout-table tr[data-kiosk=mmx-1]") is None
    question = f"Hur var det i norr? ({lang})"
    page.fill("#settings-form input[name=question_sv]", question)
    page.select_option("#settings-form select[name=faces]", "5")
    page.click("#settings-form button[type=submit]")
    page.wait_for_selector("#admin-status:not([hidden])")
    assert page.inner_text("#admin-status") == ("Saved." if lang == "en" else "Sparat.")
    assert question in page.inner_text("#kiosk-preview")
    assert page.evaluate("document.documentElement.scrollWidth") <= width + 1
    page.screenshot(
        path=str(SHOTS / f"settings-region-{'desktop' if width > 500 else 'phone'}-{lang}.png"), full_page=True
    )
    assert errors == [], errors
    ctx.close()
    with hub_store(hub.data_dir) as store:
        assert store.settings.get("region", "north") == {"faces": 5, "questions": {"sv": question}}
        planned = {row["kiosk_id"]: row["version"] for row in store.settings.status()}
    assert planned["lul-1"] is not None and planned["mmx-1"] is None
