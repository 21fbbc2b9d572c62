"""Operations tests: the dashboard as a bank's IT desk runs it (launcher, backups, the bundle)."""

from __future__ import annotations

from pathlib import Path

import pytest

from bench.browser import CHROMIUM, CHROMIUM_ARGS  # one definition of the browser and its flags

ROOT = Path(__file__).resolve().parents[2]


def open_page(url: str, username: str = "admin") -> str:
    """Sign in as ``username`` (password ``<username>-demo``), load ``url`` in chromium until a
    KPI card or chart shows; the page's heading text."""
    from playwright.sync_api import sync_playwright

    if not Path(CHROMIUM).exists():
        pytest.fail("Debian's chromium is required: run `make test` (installs it)", pytrace=False)
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        try:
            pg = browser.new_page()
            from urllib.parse import urlparse

            from tests.browser.conftest import sign_in

            parts = urlparse(url)
            sign_in(pg, f"{parts.scheme}://{parts.netloc}", username)
            pg.goto(url)
            pg.wait_for_selector("[data-testid='stSidebar']", timeout=90_000)
            pg.locator(
                "[data-testid='stMetric'], [data-testid='stPlotlyChart'], "
                "[data-testid='stVegaLiteChart']"
            ).first.wait_for(timeout=90_000)
            errors = pg.locator("[data-testid='stException']")
            assert errors.count() == 0, errors.first.inner_text()[:2000]
            return pg.locator("h1").first.inner_text()
        finally:
            browser.close()
