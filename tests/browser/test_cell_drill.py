"""Segment-cell and funnel-step drill in a real browser: a click narrows the view, the address
carries it (a shared link reproduces it) and Back returns one step."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

import pytest

from tests.browser.conftest import query_of, settled

if TYPE_CHECKING:  # the browser tests import playwright only when they run
    from playwright.sync_api import Locator

pytestmark = pytest.mark.browser


def _opened(pg, url: str, selector: str) -> Locator:
    """Open ``url`` and wait until the first element matching ``selector`` is there and the page
    has drawn; that element's locator."""
    pg.goto(url)
    first = pg.locator(selector).first
    first.wait_for(timeout=90_000)
    settled(pg)
    return first


def _drilled(pg, key: str) -> None:
    """Wait for the click's address (it carries ``key``) and the page it draws."""
    pg.wait_for_url(f"**{key}=**", timeout=30_000)
    settled(pg)


def _back(pg) -> dict[str, str]:
    """Back one step, once the page has drawn; the address's query."""
    pg.go_back()
    settled(pg)
    return query_of(pg.url)


def _customers(pg) -> int:
    """The segment's 'Customers' card."""
    card = pg.locator("[data-testid='stMetric']").filter(has_text="Customers").first
    return int(card.locator("[data-testid='stMetricValue']").inner_text().replace(",", ""))


def test_a_segment_cell_lists_its_customers_and_back_returns(server: str, page) -> None:
    pg, recorder = page
    grid = _opened(
        pg, f"{server}/segments?lang=en", "[class*='st-key-sg_cells_0_'] .js-plotly-plot"
    )
    everyone = _customers(pg)
    cells = grid.evaluate("el => el.data[0].customdata")
    # the biggest cell that is not everyone: its customers are what the click must list
    pick = max(range(len(cells)), key=lambda i: cells[i][2])
    tier, segment, n = cells[pick][0], cells[pick][1], cells[pick][2]
    assert 0 < n < everyone
    grid.scroll_into_view_if_needed()
    cell = pg.locator("[class*='st-key-sg_cells_0_'] .scatterlayer .points path").nth(pick)
    cell.click(force=True)

    _drilled(pg, "seg")
    seg = json.loads(query_of(pg.url)["seg"])
    assert seg == {"rfm_segments": [segment], "tiers": [tier]}
    assert _customers(pg) == n
    shared = pg.url

    assert "seg" not in _back(pg)
    pg.wait_for_function(
        "n => [...document.querySelectorAll('[data-testid=stMetricValue]')]"
        ".some(e => e.innerText.replace(/,/g, '') === String(n))",
        arg=everyone,
        timeout=30_000,
    )
    assert _customers(pg) == everyone
    # the view shown again has no cell left selected: one click on the same cell drills again
    again = pg.locator("[class*='st-key-sg_cells_0_'] .scatterlayer .points path").nth(pick)
    again.wait_for(timeout=30_000)
    again.click(force=True)
    _drilled(pg, "seg")
    assert _customers(pg) == n
    _back(pg)

    # the link reproduces the cell in a new browser tab
    other = pg.context.new_page()
    _opened(other, shared, ".js-plotly-plot")
    assert _customers(other) == n
    other.close()
    assert recorder.external == []


def test_a_funnel_step_lists_who_dropped_there_and_back_returns(server: str, page) -> None:
    pg, recorder = page
    funnel = _opened(
        pg, f"{server}/funnels?lang=en", "[class*='st-key-fn_funnel_'] .js-plotly-plot"
    )
    assert "step" not in query_of(pg.url)
    counts = funnel.evaluate("el => el.data[0].x")
    dropped = [counts[k - 1] - counts[k] for k in range(1, len(counts))]
    step = 1 + max(range(len(dropped)), key=dropped.__getitem__)  # the step most dropped at
    funnel.scroll_into_view_if_needed()
    funnel.locator(".funnellayer .point > path").nth(step).click(force=True)

    _drilled(pg, "step")
    params = query_of(pg.url)
    assert params["step"] == str(step) and params["campaign"]
    picked = pg.locator("input[aria-label='Dropped before']")
    picked.wait_for(timeout=30_000)
    assert f"{dropped[step - 1]:,}" in picked.input_value()
    shared = pg.url

    assert "step" not in _back(pg)
    pg.wait_for_function(
        "() => { const i = document.querySelector(\"input[aria-label='Dropped before']\");"
        " return i && i.value === ''; }",
        timeout=30_000,
    )
    # one click on the same step opens its list again (no step left selected on the chart)
    again = pg.locator("[class*='st-key-fn_funnel_'] .js-plotly-plot").first
    again.locator(".funnellayer .point > path").nth(step).click(force=True)
    _drilled(pg, "step")
    _back(pg)

    other = pg.context.new_page()
    box = _opened(other, shared, "input[aria-label='Dropped before']")
    assert f"{dropped[step - 1]:,}" in box.input_value()
    other.close()
    assert recorder.external == []
