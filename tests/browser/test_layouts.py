"""The president's other screens: a phone at 390 px and paper (A4 portrait, Chromium's PDF)."""

from __future__ import annotations

import pytest

from dashboard.i18n import catalog
from tests.browser.conftest import SHOTS, script_done

pytestmark = pytest.mark.browser

PHONE = {"width": 390, "height": 844}


def _ready(pg) -> None:
    """Wait until the script has run and the KPI cards carry their figures."""
    script_done(pg)
    pg.wait_for_function(
        "() => document.querySelectorAll('[data-testid=\"stMetricValue\"]').length >= 8",
        timeout=60_000,
    )
    pg.wait_for_timeout(800)


def test_kpi_page_on_a_phone_has_cards_two_across_and_no_sideways_scroll(server, page) -> None:
    pg, recorder = page
    pg.set_viewport_size(PHONE)
    pg.goto(f"{server}/kpis?lang=zh")
    _ready(pg)
    boxes = [b.bounding_box() for b in pg.locator("[data-testid='stMetric']").all()]
    assert len(boxes) == 8
    first, second, third = boxes[0], boxes[1], boxes[2]
    assert abs(first["y"] - second["y"]) < 2, "the first two cards share a row"
    assert third["y"] > first["y"] + first["height"] - 2, "the third card starts the next row"
    assert all(b["x"] >= 0 and b["x"] + b["width"] <= PHONE["width"] + 1 for b in boxes)
    widths = pg.evaluate(
        "() => [document.documentElement.scrollWidth,"
        " document.querySelector('[data-testid=stMain]').scrollWidth]"
    )
    assert max(widths) <= PHONE["width"], f"the page scrolls sideways: {widths}"
    pg.screenshot(path=str(SHOTS / "kpis-phone.png"))
    assert recorder.external == []


def test_kpi_page_prints_on_a4_with_what_is_printed_in_the_header(server, page) -> None:
    pg, _ = page
    pg.goto(f"{server}/kpis?lang=zh&branches=2")
    _ready(pg)
    pg.emulate_media(media="print")
    header = pg.locator(".fp-print-header")
    assert header.is_visible()
    text = header.inner_text()
    expected = catalog()["common.print_header"]["zh"].split("{")[0].strip()  # "足迹 · 数据截至"
    assert expected in text and "2026-11-22" in text
    assert catalog()["common.all_branches"]["zh"] not in text.splitlines()[1]  # one branch named
    assert not pg.locator("[data-testid='stSidebar']").is_visible()
    assert not pg.locator("[data-testid='stDownloadButton']").first.is_visible()
    main = pg.locator("[data-testid='stMainBlockContainer']").bounding_box()
    assert main["width"] <= 720, "the content is scaled to A4's printable width (about 718 px)"
    pdf = pg.pdf(format="A4", print_background=True)
    (SHOTS / "kpis-print.pdf").write_bytes(pdf)
    assert pdf.startswith(b"%PDF")
    pages = pdf.count(b"/Type /Page") - pdf.count(b"/Type /Pages")
    assert 1 <= pages <= 4, f"{pages} A4 pages"
    pg.emulate_media(media="screen")
    assert not header.is_visible()  # on screen the sidebar says it


def test_kpi_card_labels_on_a_phone_keep_their_units(server, page) -> None:
    """In English the labels are long ("Deposit balance (CNY '000)"): on a phone they wrap, they
    are not cut before their unit."""
    pg, _ = page
    pg.set_viewport_size(PHONE)
    pg.goto(f"{server}/kpis?lang=en")
    _ready(pg)
    cut = pg.evaluate(
        """() => [...document.querySelectorAll('[data-testid=stMetricLabel]')]
        .filter(l => [l, ...l.querySelectorAll('*')].some(e => e.scrollWidth > e.clientWidth + 1))
        .map(l => l.innerText)"""
    )
    assert cut == [], cut


def test_card_labels_on_a_laptop_read_whole(server, page) -> None:
    """Five cards to a row on the officer page: at 1400 px the English "Soft footprints per
    officer-week" was cut to "Soft footprints per officer-w…"; a label wraps instead."""
    pg, _ = page
    pg.goto(f"{server}/officers?lang=en")
    script_done(pg)
    pg.wait_for_function(
        "() => document.querySelectorAll('[data-testid=\"stMetricValue\"]').length >= 5",
        timeout=60_000,
    )
    pg.wait_for_timeout(800)
    cut = pg.evaluate(
        """() => [...document.querySelectorAll('[data-testid=stMetricLabel]')]
        .filter(l => [l, ...l.querySelectorAll('*')].some(e => e.scrollWidth > e.clientWidth + 1))
        .map(l => l.innerText)"""
    )
    assert pg.locator("[data-testid='stMetricLabel']").count() >= 5 and cut == [], cut


def test_home_page_links_read_whole(server, page) -> None:
    """The administrator's home lists six sections: each page's link reads whole in Chinese."""
    pg, _ = page
    pg.goto(f"{server}/?lang=zh")
    script_done(pg)
    links = pg.locator("[data-testid='stMain'] [data-testid='stPageLink']")
    links.first.wait_for(timeout=60_000)
    # the links come in one by one: on a loaded machine a fixed pause saw 6 of them
    pg.wait_for_function(
        "document.querySelectorAll('[data-testid=stMain] [data-testid=stPageLink]').length >= 10",
        timeout=60_000,
    )
    pg.wait_for_timeout(800)
    cut = pg.evaluate(
        """() => [...document.querySelectorAll('[data-testid=stMain] [data-testid=stPageLink]')]
        .filter(l => [l, ...l.querySelectorAll('*')].some(e => !e.closest('[data-testid=stIconEmoji]')
          && e.scrollWidth > e.clientWidth + 1))
        .map(l => l.innerText)"""
    )
    assert links.count() >= 10 and cut == [], cut
