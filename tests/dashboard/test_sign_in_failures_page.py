"""The admin page of failed sign-ins, in real headless Chromium against a real hub process."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import httpx
import pytest
from playwright.sync_api import Browser

from tests.dashboard.test_browser import PASSWORD, add_user, watch_errors
from tests.harness import OUTPUT, HubProcess

SHOTS = OUTPUT / "dashboard"
ZONE = "America/New_York"  # not the machine's zone: the page must show the browser's local time


@pytest.fixture(scope="module")
def hub(tmp_path_factory: pytest.TempPathFactory) -> Iterator[HubProcess]:
    h = HubProcess(tmp_path_factory.mktemp("signins") / "hub")
    h.data_dir.mkdir(parents=True)
    add_user(h.data_dir, "root", "--role", "admin")
    add_user(h.data_dir, "mia", "--role", "manager")
    h.start()
    yield h
    h.stop()


def fail_sign_in(url: str, name: str) -> None:
    with httpx.Client(base_url=url) as c:
        c.get("/login")
        r = c.post("/login", data={"username": name, "password": "wrong guess", "csrf": c.cookies["hub_login_csrf"]})
        assert "failed=1" in r.headers["location"], r.headers


def local_hhmm() -> str:
    return datetime.now(UTC).astimezone(ZoneInfo(ZONE)).strftime("%H:%M")


def test_admin_sees_failed_sign_ins_per_client_and_name_and_a_manager_does_not(
    hub: HubProcess, browser: Browser
) -> None:
    """Wrong passwords show on the admin's Failed sign-ins page (local time, address, name, count); a manager
    gets the admin pages' 404 and the API's 403."""
    before = local_hhmm()
    for name in ("mia", "mia", "ghost"):  # not root: its own sign-in forgets its failures
        fail_sign_in(hub.url, name)
    after = local_hhmm()
    SHOTS.mkdir(parents=True, exist_ok=True)
    for lang, (width, height), shot in (("en", (1280, 900), "desktop"), ("sv", (390, 844), "phone")):
        ctx = browser.new_context(viewport={"width": width, "height": height}, timezone_id=ZONE)
        page = ctx.new_page()
        errors = watch_errors(page)
        page.goto(hub.url + f"/lang/{lang}?next=/login")
        page.fill("input[name=username]", "root")
        page.fill("input[name=password]", PASSWORD)
        page.click("button[type=submit]")
        page.wait_for_url(hub.url + "/")
        page.goto(hub.url + "/admin/sign-ins")
        page.wait_for_selector("#sign-in-recent tbody tr td")
        groups = [
            [c.strip() for c in row]
            for row in page.eval_on_selector_all(
                "#sign-in-groups tbody tr", "rs => rs.map(r => [...r.cells].map(c => c.innerText))"
            )
        ]
        assert [g[:3] for g in groups] == [["127.0.0.1", "ghost", "1"], ["127.0.0.1", "mia", "2"]]
        recent = page.inner_text("#sign-in-recent tbody")
        assert recent.count("127.0.0.1") == 3 and "ghost" in recent
        assert re.search(rf"\b({before}|{after}):\d\d\b", groups[0][4]), (groups[0], before, after)
        assert page.evaluate("document.documentElement.scrollWidth") <= width + 1
        heading = "Failed sign-ins" if lang == "en" else "Misslyckade inloggningar"
        assert heading in page.inner_text("h1")
        page.screenshot(path=str(SHOTS / f"admin-sign-ins-{shot}-{lang}.png"), full_page=True)
        assert errors == [], errors
        ctx.close()

    ctx = browser.new_context(viewport={"width": 1280, "height": 900})
    page = ctx.new_page()
    page.goto(hub.url + "/login")
    page.fill("input[name=username]", "mia")
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(hub.url + "/")
    assert page.goto(hub.url + "/admin/sign-ins").status == 404  # type: ignore[union-attr]
    assert page.query_selector("#sign-in-groups") is None
    assert page.request.get(hub.url + "/api/sign-in-failures").status == 403
    ctx.close()
