"""Drill-down in a real browser: weakest outlet → its officers → the weakest officer's book in
two clicks, the address following each step and Back returning step by step."""

from __future__ import annotations

import pytest

from dashboard.i18n import catalog
from tests.browser.conftest import query_of, settled

pytestmark = pytest.mark.browser


def test_weakest_outlet_to_its_weakest_officer_in_two_clicks(server: str, page) -> None:
    pg, recorder = page
    pg.goto(f"{server}/kpis?lang=zh&tab=rank")
    chart = pg.locator(".st-key-kpis_ranking_chart .js-plotly-plot")
    chart.wait_for(timeout=60_000)
    settled(pg)
    # the chart's own data: which bar is the weakest branch
    scores, ids = chart.evaluate("el => [el.data[0].x, el.data[0].customdata.map(c => c[0])]")
    weakest = ids[scores.index(min(scores))]
    bars = pg.locator(".st-key-kpis_ranking_chart .bars .point path")
    bars.nth(scores.index(min(scores))).click(force=True)  # click 1

    pg.wait_for_url("**tab=league**", timeout=30_000)
    settled(pg)
    assert query_of(pg.url)["branches"] == str(weakest)
    grid = pg.locator(".st-key-kpis_league_table [role='grid']")
    grid.wait_for(state="attached", timeout=30_000)
    rows = int(grid.get_attribute("aria-rowcount")) - 1  # less the header
    assert rows >= 1
    box = pg.locator(
        ".st-key-kpis_league_table [data-testid='stDataFrameResizable']"
    ).bounding_box()
    # the league is ranked best first: the weakest officer is the last row (rows are 35 px)
    pg.mouse.click(box["x"] + 12, box["y"] + 35 * rows + 17)  # click 2

    pg.wait_for_url("**/segments**", timeout=30_000)
    settled(pg)
    book = query_of(pg.url)
    assert book["branches"] == str(weakest) and book["officers"].isdigit()
    assert "tab" not in book
    sidebar = pg.locator("[data-testid='stSidebar']").inner_text()
    for placeholder in ("common.all_branches", "common.all_officers"):  # both now picked
        assert catalog()[placeholder]["zh"] not in sidebar

    # Back: the branch's league (the click's view, one entry), then the whole ranking
    pg.go_back()
    settled(pg)
    back = query_of(pg.url)
    assert "/kpis" in pg.url
    assert back.get("tab") == "league" and back["branches"] == str(weakest)
    assert "officers" not in back
    pg.locator(".st-key-kpis_league_table").wait_for(timeout=30_000)
    # Forward: the officer's book again
    pg.go_forward()
    settled(pg)
    assert "/segments" in pg.url and query_of(pg.url)["officers"] == book["officers"]
    pg.go_back()
    settled(pg)
    assert query_of(pg.url).get("tab") == "league"
    pg.go_back()
    settled(pg)
    back = query_of(pg.url)
    assert back.get("tab") == "rank" and "branches" not in back
    pg.locator(".st-key-kpis_ranking_chart .js-plotly-plot").wait_for(timeout=60_000)
    assert recorder.external == []


def _click_bar(pg, index: int) -> None:
    pg.locator(".st-key-kpis_ranking_chart .js-plotly-plot").wait_for(timeout=60_000)
    settled(pg)
    pg.locator(".st-key-kpis_ranking_chart .bars .point path").nth(index).click(force=True)
    pg.wait_for_url("**tab=league**", timeout=30_000)
    settled(pg)


def test_the_ranking_drills_again_after_back(server: str, page) -> None:
    """A ranking shown again (Back) is fresh: one click on the same bar drills again (a bar
    left selected would only be unselected), and another bar drills to its own branch."""
    pg, recorder = page
    pg.goto(f"{server}/kpis?lang=zh&tab=rank")
    chart = pg.locator(".st-key-kpis_ranking_chart .js-plotly-plot")
    chart.wait_for(timeout=60_000)
    settled(pg)
    ids = chart.evaluate("el => el.data[0].customdata.map(c => c[0])")
    assert len(ids) >= 2
    for index in (0, 0, 1):  # the same bar twice, then another
        _click_bar(pg, index)
        assert query_of(pg.url)["branches"] == str(ids[index])
        pg.locator(".st-key-kpis_league_table").wait_for(timeout=30_000)
        pg.go_back()
        settled(pg)
        back = query_of(pg.url)
        assert back.get("tab") == "rank" and "branches" not in back
    assert recorder.external == []
