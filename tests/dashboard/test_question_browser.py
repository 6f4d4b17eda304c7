"""Per-question results and last year's same days in real headless Chromium, against a running hub."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import Browser, Page, sync_playwright

from hub.accounts import add_user
from hub.reports.regions import year_before
from tests.dashboard.conftest import PASSWORD, Store
from tests.dashboard.test_browser import CHROMIUM_ARGS, watch_errors
from tests.dashboard.test_question_filter import answer
from tests.harness import OUTPUT, HubProcess, wait_until

SHOTS = OUTPUT / "dashboard"
STOCKHOLM = ZoneInfo("Europe/Stockholm")


def _day(days_ago: int) -> date:
    return datetime.now(UTC).astimezone(STOCKHOLM).date() - timedelta(days=days_ago)


@pytest.fixture(scope="module")
def hub(tmp_path_factory: pytest.TempPathFactory) -> Iterator[HubProcess]:
    """Stockholm asked "How was your visit?" three days ago and "How was the queue?" two days ago; Uppsala only
    the visit question; Stockholm's visit question got four answers on the same day a year ago (index 75)."""
    data = tmp_path_factory.mktemp("questions") / "hub"
    s = Store(data)
    s.location("sto", "Stockholm City", kiosks=("sto-1", "sto-2"))
    s.location("upp", "Uppsala", kiosks=("upp-1",))
    now_ms = int(datetime.now(UTC).timestamp() * 1000)
    s.db.questions.record_texts("q-visit", {"sv": "Hur var ditt besök?", "en": "How was your visit?"}, now_ms=now_ms)
    s.db.questions.record_texts("q-queue", {"sv": "Hur var kön?", "en": "How was the queue?"}, now_ms=now_ms)
    visit, queue = _day(3).isoformat(), _day(2).isoformat()
    answer(s, "sto-1", "q-visit", f"{year_before(_day(3))} 12:00", [1, 2, 3, 3], received_ms=now_ms)
    answer(s, "sto-1", "q-visit", f"{visit} 12:00", [3, 3, 3, 2, 2, 1], received_ms=now_ms)
    answer(s, "upp-1", "q-visit", f"{visit} 12:00", [3, 2, 1], received_ms=now_ms)
    answer(s, "sto-1", "q-queue", f"{queue} 12:00", [0, 0, 1, 3], received_ms=now_ms)
    answer(s, "sto-2", "q-queue", f"{queue} 12:00", [0, 1], received_ms=now_ms)
    add_user(s.db, "boss", role="admin", password=PASSWORD, now_ms=0)
    s.db.close()
    h = HubProcess(data)
    h.start()
    yield h
    h.stop()


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
        yield b
        b.close()


def _page(browser: Browser, hub: HubProcess, lang: str, width: int = 1280) -> Page:
    ctx = browser.new_context(viewport={"width": width, "height": 900}, locale="sv-SE" if lang == "sv" else "en-GB")
    page = ctx.new_page()
    page.goto(hub.url + "/login")
    page.fill("input[name=username]", "boss")
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(hub.url + "/")
    page.goto(hub.url + f"/lang/{lang}?next=/")
    return page


def test_store_page_says_how_the_same_days_went_last_year(hub: HubProcess, browser: Browser) -> None:
    """The store page has a line for last year's same days: its index and answers, or that there were none,
    for the chosen question too."""
    SHOTS.mkdir(parents=True, exist_ok=True)
    page = _page(browser, hub, "en")
    errors = watch_errors(page)
    page.goto(hub.url + "/locations/sto?range=last_7_days")
    wait_until(lambda: "last year" in page.inner_text("#year-ago"), message="year-ago line")
    line = page.inner_text("#year-ago")
    assert line.startswith("Same period last year (") and "index 75.0 (4 answers)" in line, line
    page.screenshot(path=str(SHOTS / "questions-store-year-ago-en.png"), full_page=True)
    page.goto(hub.url + "/locations/sto?range=last_7_days&question=q-queue")
    wait_until(lambda: "no answers" in page.inner_text("#year-ago"), message="no answers a year ago for q-queue")
    page.goto(hub.url + "/locations/upp?range=last_7_days")
    wait_until(lambda: page.inner_text("#year-ago").endswith("no answers"), message="upp: no answers a year ago")
    assert errors == [], errors
    page.context.close()
