"""Every page in a real browser: loads, shows its charts, switches language, restores a shared URL."""

from __future__ import annotations

import pytest

from dashboard.nav import PAGE_TABLE
from tests.browser.conftest import SHOTS, script_done

pytestmark = pytest.mark.browser

# Title shown by each page in each language (from dashboard/locales/<page>.toml).
from dashboard.i18n import catalog  # noqa: E402

# Forms without a chart: what they show first instead.
NO_CHART = {
    "data_import": "[data-testid='stFileUploader']",
    # suggestion outcomes chart officers' answers: a freshly built bank has none, and says so
    "suggestions": "[data-testid='stAlert']",
    "quality": "[data-testid='stMetric']",  # a work queue and its form
    "audit": "[data-testid='stDataFrame']",
    "admin": "[data-testid='stDataFrame']",
}


def _wait_ready(pg) -> None:
    """Wait until Streamlit has finished running the script."""
    pg.wait_for_selector("[data-testid='stSidebar']", timeout=60_000)
    script_done(pg)
    pg.wait_for_timeout(500)


@pytest.mark.parametrize("url_path", [p[2] for p in PAGE_TABLE])
def test_page_loads_with_charts_and_no_external_request(server: str, page, url_path: str) -> None:
    pg, recorder = page
    # the default page (home) is served at "/" only
    pg.goto(f"{server}/{'' if url_path == 'home' else url_path}?lang=en")
    _wait_ready(pg)
    title = catalog()[f"{url_path}.title"]["en"]
    pg.get_by_role("heading", name=title).first.wait_for(timeout=60_000)
    errors = pg.locator("[data-testid='stException']")
    assert errors.count() == 0, errors.first.inner_text()[:2000]
    if url_path == "home":
        links = pg.locator("[data-testid='stPageLink-NavLink']")
        links.nth(len(PAGE_TABLE) - 2).wait_for(timeout=30_000)
        assert links.count() == len(PAGE_TABLE) - 1
    elif url_path in NO_CHART:
        pg.locator(NO_CHART[url_path]).first.wait_for(timeout=60_000)
    else:
        charts = pg.locator("[data-testid='stPlotlyChart'], [data-testid='stVegaLiteChart']")
        charts.first.wait_for(timeout=60_000)
    pg.screenshot(path=str(SHOTS / f"{url_path}.png"))
    assert recorder.external == []


def test_language_switch(server: str, page) -> None:
    pg, _ = page
    pg.goto(f"{server}/kpis?lang=zh")
    _wait_ready(pg)
    pg.get_by_role("heading", name=catalog()["kpis.title"]["zh"]).first.wait_for(timeout=60_000)
    pg.get_by_text("English", exact=True).first.click()
    pg.get_by_role("heading", name=catalog()["kpis.title"]["en"]).first.wait_for(timeout=60_000)
    assert "lang=en" in pg.url


def test_shared_url_restores_the_view_across_pages(server: str, page) -> None:
    pg, _ = page
    pg.goto(f"{server}/segments?lang=en&branches=2&tiers=affluent")
    _wait_ready(pg)
    assert "branches=2" in pg.url and "tiers=affluent" in pg.url
    pg.get_by_role("link", name=catalog()["kpis.title"]["en"]).first.click()
    _wait_ready(pg)
    pg.wait_for_url("**/kpis**", timeout=30_000)
    assert "branches=2" in pg.url and "tiers=affluent" in pg.url and "lang=en" in pg.url
    assert "officers=" not in pg.url  # no officer picked means all: left out of the link


def test_a_tab_runs_when_opened_and_its_link_reopens_it(server: str, page) -> None:
    pg, recorder = page
    pg.goto(f"{server}/officers?lang=en")
    _wait_ready(pg)
    charts = pg.locator("[data-testid='stPlotlyChart']")
    charts.first.wait_for(timeout=60_000)
    assert charts.count() == 1  # the heatmap: hidden tabs are not run, not sent
    training = catalog()["officers.tab_training"]["en"]
    pg.get_by_role("tab", name=training).click()
    pg.wait_for_url("**tab=training**", timeout=30_000)
    _wait_ready(pg)
    pg.locator(".st-key-of_chart_did").wait_for(timeout=60_000)
    link = pg.url
    pg.goto(link)  # a colleague opens the shared link: the training tab, not the first
    _wait_ready(pg)
    pg.locator(".st-key-of_chart_did").wait_for(timeout=60_000)
    assert pg.get_by_role("tab", name=training).get_attribute("aria-selected") == "true"
    pg.get_by_role("link", name=catalog()["kpis.title"]["en"]).first.click()
    pg.wait_for_url("**/kpis**", timeout=30_000)
    _wait_ready(pg)
    assert "tab=" not in pg.url  # the officer page's tab stays on that page
    assert recorder.external == []


CUT_OFF = """() => [...document.querySelectorAll("[data-testid='stMetricValue'], [data-testid='stMetricValue'] *")]
    .filter(el => el.scrollWidth > el.clientWidth + 1).map(el => el.textContent)"""


# The test bank's figures are a digit shorter than a county bank's ("26,427.9" against
# "176,184.0"), so 700 px here stands for a 768 px tablet there; without dashboard/style.py the
# 700 px case cuts figures off.
@pytest.mark.parametrize("width", [700, 768, 1400])
def test_kpi_cards_show_whole_figures_on_a_tablet_and_a_laptop(
    server: str, page, width: int
) -> None:
    pg, _ = page
    pg.set_viewport_size({"width": width, "height": 1024})
    pg.goto(f"{server}/kpis?lang=zh")  # below 1024 px Streamlit folds the sidebar away
    values = pg.locator("[data-testid='stMetricValue']")
    values.nth(7).wait_for(timeout=60_000)
    assert values.count() == 8
    # no "176,18…": every figure fits its card once the layout has settled (the folding sidebar
    # and the web font move things for a moment after the first paint)
    try:
        pg.wait_for_function(f"() => ({CUT_OFF})().length === 0", timeout=10_000)
    except Exception:
        pytest.fail(f"figures cut off at {width} px: {pg.evaluate(CUT_OFF)}")
