"""Per-question results and last year's same days in real headless Chromium, against a running hub."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import Browser, Page

from hub.accounts import add_user
from hub.reports.regions import year_before
from tests.browser import signed_in_page
from tests.dashboard.conftest import PASSWORD, Store
from tests.dashboard.test_browser import watch_errors
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


def _page(browser: Browser, hub: HubProcess, lang: str, width: int = 1280) -> Page:
    return signed_in_page(browser, hub.url, "boss", PASSWORD, lang=lang, width=width)


def test_store_page_says_how_the_same_days_went_last_year(hub: HubProcess, browser: Browser) -> None:
    """The store page has a line for last year's same days: its index and answers, or that there were none,
    for the chosen question too; a refused range takes it off the page with the other numbers."""
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
    page.select_option("#range-preset", "custom")  # a refused range takes last year's line off with the numbers
    page.fill("#range-from", _day(1).isoformat())
    page.fill("#range-to", _day(5).isoformat())
    page.click("#range-apply")
    page.wait_for_selector("#load-error")
    assert page.evaluate("getComputedStyle(document.querySelector('#year-ago')).visibility") == "hidden"
    assert errors == [], errors
    page.context.close()


def _cells(page: Page, location: str) -> list[str]:
    cells: list[str] = page.eval_on_selector_all(
        f"#overview-table tr[data-location={location}] td", "tds => tds.map(t => t.innerText)"
    )
    return cells


def test_picking_a_question_on_the_overview_narrows_every_store(hub: HubProcess, browser: Browser) -> None:
    """The overview's picker lists the questions in the page's language; choosing one narrows each store's numbers
    to it, says "not asked here" for a store that never got it, and keeps it in the URL, links and exports."""
    SHOTS.mkdir(parents=True, exist_ok=True)
    page = _page(browser, hub, "en")
    errors = watch_errors(page)
    page.goto(hub.url + "/?range=last_7_days")
    page.wait_for_selector("#overview-table tr[data-location=sto]")
    wait_until(lambda: page.is_visible("#question-select"), message="question picker shown")
    assert _cells(page, "sto")[4] == "12" and _cells(page, "upp")[4] == "3"
    options = page.eval_on_selector_all("#question-select option", "os => os.map(o => [o.value, o.innerText])")
    assert options == [
        ["", "All questions"],
        ["q-visit", "“How was your visit?”"],
        ["q-queue", "“How was the queue?”"],
    ]
    page.select_option("#question-select", "q-queue")
    wait_until(lambda: _cells(page, "sto")[4] == "6", message="Stockholm narrowed to the queue question")
    assert _cells(page, "sto")[1] == "27.8"  # faces 0, 0, 1, 3 and 0, 1: (0+0+33.3+100+0+33.3)/6
    assert _cells(page, "upp")[1] == "not asked here" and _cells(page, "upp")[4] == "0"
    assert "question=q-queue" in page.url
    assert "question=q-queue" in (page.get_attribute("#csv-daily", "href") or "")
    assert "question=q-queue" in (page.get_attribute("tr[data-location=sto] a", "href") or "")
    assert "question" not in (page.get_attribute("tr[data-location=upp] a", "href") or "")
    assert page.inner_text("#kpis .kpi:nth-child(3) .value") == "6"
    page.screenshot(path=str(SHOTS / "questions-overview-en.png"), full_page=True)
    page.click("tr[data-location=sto] a")
    page.wait_for_selector("#kiosk-table tbody tr")
    wait_until(lambda: page.input_value("#question-select") == "q-queue", message="the store page keeps the question")
    kiosks = page.eval_on_selector_all("#kiosk-table tbody tr", "rs => rs.map(r => r.cells[3].innerText)")
    assert kiosks == ["4", "2"], kiosks  # sto-1 and sto-2: the queue question's answers only
    assert errors == [], errors
    page.context.close()


def test_the_question_picker_on_a_phone_in_swedish(hub: HubProcess, browser: Browser) -> None:
    """At 390 px in Swedish the picker shows the Swedish words, the chosen question from the URL, and fits."""
    page = _page(browser, hub, "sv", width=390)
    errors = watch_errors(page)
    page.goto(hub.url + "/?range=last_7_days&question=q-visit")
    wait_until(lambda: page.is_visible("#question-select"), message="question picker shown")
    wait_until(lambda: _cells(page, "sto")[4] == "6", message="Stockholm narrowed to the visit question")
    assert page.input_value("#question-select") == "q-visit"
    labels = page.eval_on_selector_all("#question-select option", "os => os.map(o => o.innerText)")
    assert labels == ["Alla frågor", "“Hur var ditt besök?”", "“Hur var kön?”"], labels
    assert _cells(page, "upp")[4] == "3"
    assert page.evaluate("document.documentElement.scrollWidth") <= 391
    page.screenshot(path=str(SHOTS / "questions-overview-phone-sv.png"), full_page=True)
    page.goto(hub.url + "/compare?range=last_7_days&question=q-queue")
    wait_until(
        lambda: "ställs inte här" in page.inner_text("#compare-table tr[data-location=upp]"),
        message="compare: not asked",
    )
    assert page.inner_text("#compare-table tr[data-location=sto] td:nth-child(5)") == "6"
    page.screenshot(path=str(SHOTS / "questions-compare-phone-sv.png"), full_page=True)
    page.goto(hub.url + "/?range=last_7_days&question=q-nope")
    page.wait_for_selector("#load-error")
    assert page.inner_text("#load-error") == "Något gick fel: Ingen av de valda butikerna har fått svar på den frågan."
    assert errors == ["Failed to load resource: the server responded with a status of 404 (Not Found)"], errors
    page.context.close()
