"""Headless Chromium for the page tests: Debian's ``chromium`` through Playwright (``executable_path``: no browser
download), and signing in through the login form."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from playwright.sync_api import Browser, Page, sync_playwright

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]


@contextmanager
def chromium() -> Iterator[Browser]:
    """One headless Chromium (fails when Debian's chromium is missing: nothing is skipped)."""
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield b
        finally:
            b.close()


def sign_in(page: Page, url: str, user: str, password: str) -> None:
    """Through the login form, as a person would; returns on the overview."""
    page.goto(url + "/login")
    page.fill("input[name=username]", user)
    page.fill("input[name=password]", password)
    page.click("button[type=submit]")
    page.wait_for_url(url + "/")


def signed_in_page(browser: Browser, url: str, user: str, password: str, *, lang: str, width: int = 1280) -> Page:
    """A new page at ``width`` px, signed in as ``user``, in the page language ``lang`` (sv or en)."""
    ctx = browser.new_context(viewport={"width": width, "height": 900}, locale="sv-SE" if lang == "sv" else "en-GB")
    page = ctx.new_page()
    sign_in(page, url, user, password)
    page.goto(url + f"/lang/{lang}?next=/")
    return page
