"""Customer search and customer links in a real browser: pages turned with the page number in the
address, Back and Forward one page at a time, a row that opens the customer and Back to the
list; an officer never finds another officer's customer; a list's customer number opens that
customer's page."""

from __future__ import annotations

import re
from urllib.parse import urlparse

import pytest

from tests.browser.conftest import SHOTS, query_of, settled, sign_in

pytestmark = pytest.mark.browser


def _search(pg, server: str, text: str) -> int:
    """Type ``text`` in the search box; the number of customers the page says match."""
    pg.goto(f"{server}/customer?lang=en")
    box = pg.locator("input[aria-label='Find a customer']")
    box.wait_for(timeout=60_000)
    settled(pg, 800)
    box.fill(text)
    box.press("Enter")
    pg.wait_for_url(re.compile(r"[?&]q="), timeout=30_000)
    settled(pg, 800)
    said = pg.get_by_text(re.compile(r"customers? match")).first
    if not said.count():
        return 0
    said.wait_for(timeout=30_000)
    return int(re.match(r"([\d,]+)", said.inner_text()).group(1).replace(",", ""))


def _page_label(pg) -> str:
    return pg.get_by_text(re.compile(r"^Page \d+ of \d+$")).first.inner_text()


def _shown_ids(pg) -> list[int]:
    """The customer numbers of the page of results (from the picker's options)."""
    if pg.get_by_text("No matching customer", exact=False).count():
        return []
    picker = pg.locator("input[aria-label='Matching customers']")
    picker.scroll_into_view_if_needed()
    picker.click()
    options = pg.locator("[role='option']")
    options.first.wait_for(state="attached", timeout=30_000)
    ids = [int(o.split(" · ")[0]) for o in options.all_inner_texts()]
    pg.keyboard.press("Escape")
    return ids


def test_search_pages_back_and_a_row_opens_the_customer(server: str, page) -> None:
    pg, recorder = page
    total = _search(pg, server, "张")
    assert total > 40
    assert _page_label(pg) == f"Page 1 of {-(-total // 20)}"
    first = _shown_ids(pg)
    assert len(first) == 20

    pg.get_by_role("button", name="Next").click()
    pg.wait_for_url("**page=2**", timeout=30_000)
    settled(pg, 800)
    assert _page_label(pg).startswith("Page 2 of")
    second = _shown_ids(pg)
    assert len(second) == 20 and not set(first) & set(second)

    pg.go_back()  # one page back, not off the page
    settled(pg, 800)
    assert "page" not in query_of(pg.url) and query_of(pg.url)["q"] == "张"
    pg.get_by_text(re.compile(r"^Page 1 of")).first.wait_for(timeout=30_000)
    assert _shown_ids(pg) == first
    pg.go_forward()
    settled(pg, 800)
    assert query_of(pg.url)["page"] == "2"
    pg.get_by_text(re.compile(r"^Page 2 of")).first.wait_for(timeout=30_000)

    # a click on the first row opens that customer; Back returns to page 2 of the list
    grid = pg.locator("[data-testid='stDataFrameResizable']").first
    grid.scroll_into_view_if_needed()
    box = grid.bounding_box()
    pg.mouse.click(box["x"] + 12, box["y"] + 35 + 17)  # the row marker
    pg.wait_for_url("**customer=**", timeout=30_000)
    settled(pg, 800)
    opened = int(query_of(pg.url)["customer"])
    assert opened == second[0]
    pg.get_by_text(f"(customer {opened})").first.wait_for(timeout=30_000)
    pg.go_back()
    settled(pg, 800)
    assert "customer" not in query_of(pg.url) and query_of(pg.url)["page"] == "2"
    pg.get_by_text(re.compile(r"^Page 2 of")).first.wait_for(timeout=30_000)
    pg.screenshot(path=str(SHOTS / "search-paged.png"))
    # the list is drawn afresh: the same row opens the same customer again with one click
    grid.scroll_into_view_if_needed()
    box = grid.bounding_box()
    pg.mouse.click(box["x"] + 12, box["y"] + 35 + 17)
    pg.wait_for_url("**customer=**", timeout=30_000)
    assert int(query_of(pg.url)["customer"]) == opened
    assert recorder.external == []


def test_an_officer_never_finds_another_officers_customer(browser, server: str, page) -> None:
    admin, _ = page
    everyone = _search(admin, server, "张")
    bank_ids = _shown_ids(admin)

    context = browser.new_context(viewport={"width": 1400, "height": 900}, locale="en-US")
    try:
        pg = context.new_page()
        sign_in(pg, server, "officer")
        mine = _search(pg, server, "张")
        assert 0 < mine < everyone
        own = _shown_ids(pg)
        others = [cid for cid in bank_ids if cid not in own]
        assert others and mine <= 20  # the officer's whole answer is on one page
        _search(pg, server, str(others[0]))  # another officer's customer, by number
        assert others[0] not in _shown_ids(pg)
    finally:
        context.close()


def test_a_lists_customer_number_opens_the_customer(server: str, page) -> None:
    pg, recorder = page
    pg.goto(f"{server}/segments?lang=en")
    grid = pg.locator("[data-testid='stDataFrameResizable']").last
    grid.wait_for(timeout=90_000)
    settled(pg, 800)
    grid.scroll_into_view_if_needed()
    pg.wait_for_timeout(500)
    box = grid.bounding_box()
    x, y = box["x"] + 16, box["y"] + 35 + 17  # on the first row's customer number
    pg.mouse.move(x, y)  # the grid opens a link under the pointer it has seen hovering
    pg.wait_for_timeout(300)
    with pg.context.expect_page(timeout=30_000) as opened:
        pg.mouse.click(x, y)
    customer = opened.value
    customer.wait_for_load_state()
    customer_id = query_of(customer.url)["customer"]
    assert urlparse(customer.url).path == "/customer" and customer_id.isdigit()
    customer.get_by_text(f"(customer {customer_id})").first.wait_for(timeout=90_000)
    assert recorder.external == []
