"""Sign-in in a real browser, as each demo role: its pages only, a polite refusal for the others,
the watermark on screen and in the exported XLSX, a reload that keeps the session, sign-out."""

from __future__ import annotations

import base64
import io

import openpyxl
import pytest

from dashboard.i18n import catalog
from data_access.roles import ROLES
from tests.browser.conftest import SHOTS, sign_in

pytestmark = pytest.mark.browser


def _title(url_path: str) -> str:
    return catalog()[f"{url_path}.title"]["en"]


@pytest.fixture
def fresh(browser, server: str):  # type: ignore[no-untyped-def]
    """A browser context that is not signed in."""
    context = browser.new_context(viewport={"width": 1400, "height": 900}, locale="en-US")
    context.route(
        "**/*",
        lambda r: r.continue_() if "127.0.0.1" in r.request.url or r.request.url.startswith(
            ("data:", "blob:")
        ) else r.abort(),
    )  # fmt: skip
    yield context.new_page()
    context.close()


@pytest.mark.parametrize("role", sorted(ROLES))
def test_each_role_sees_its_pages_and_is_refused_the_others(server: str, fresh, role: str) -> None:  # type: ignore[no-untyped-def]
    pg = fresh
    sign_in(pg, server, role)
    nav = pg.locator("[data-testid='stSidebarNav'] a")
    nav.first.wait_for(timeout=60_000)
    more = pg.locator("[data-testid='stSidebarNavViewButton']")  # a long list is folded
    if more.count():
        more.first.click()
        pg.wait_for_timeout(500)
    shown = {t.strip().splitlines()[-1].strip() for t in nav.all_inner_texts()}  # after the icon
    expected = {_title(p) for p in ROLES[role].pages}
    assert shown == expected, (role, shown)
    mark = pg.locator("[data-testid='footprint-watermark']")
    assert role in (mark.get_attribute("data-text") or "")
    # on screen: the page's own body carries the tiled watermark over everything
    overlay = pg.evaluate("getComputedStyle(document.body, '::after').backgroundImage")
    assert overlay.startswith('url("data:image/svg+xml;base64,'), overlay
    tile = base64.b64decode(overlay.split("base64,", 1)[1].rstrip('")')).decode()
    assert f" {role} " in tile  # who looks (display name, user name, time)
    forbidden = [p for p in ("kpis", "admin", "audit", "customer") if p not in ROLES[role].pages]
    for url_path in forbidden[:2]:
        pg.goto(f"{server}/{url_path}?lang=en")  # a hand-edited address
        pg.get_by_role("heading", name="Not available").wait_for(timeout=60_000)
        assert pg.locator("[data-testid='stDataFrame']").count() == 0
    pg.screenshot(path=str(SHOTS / f"access-{role}.png"))


def test_reload_keeps_the_session_and_sign_out_ends_it(server: str, fresh) -> None:  # type: ignore[no-untyped-def]
    pg = fresh
    sign_in(pg, server, "marketing")
    pg.goto(f"{server}/segments?lang=en")
    pg.get_by_role("heading", name=_title("segments")).wait_for(timeout=60_000)
    pg.reload()
    pg.get_by_role("heading", name=_title("segments")).wait_for(timeout=60_000)
    pg.get_by_role("button", name="Sign out").click()
    pg.locator("input[aria-label='User name']").wait_for(timeout=60_000)
    pg.reload()
    pg.locator("input[aria-label='User name']").wait_for(timeout=60_000)


def test_wrong_password_is_refused_politely(server: str, fresh) -> None:  # type: ignore[no-untyped-def]
    pg = fresh
    pg.goto(f"{server}/?lang=en")
    pg.locator("input[aria-label='User name']").fill("auditor")
    pg.locator("input[aria-label='Password']").fill("not the password")
    pg.get_by_role("button", name="Sign in", exact=True).click()
    pg.get_by_text("Wrong user name or password.").wait_for(timeout=60_000)


def test_exported_xlsx_carries_the_watermark(server: str, fresh) -> None:  # type: ignore[no-untyped-def]
    pg = fresh
    sign_in(pg, server, "marketing")
    pg.goto(f"{server}/segments?lang=en&tiers=private")
    pg.get_by_role("button", name="Prepare the export").click()
    button = pg.get_by_role("button", name="Export Excel")
    button.wait_for(timeout=60_000)
    with pg.expect_download(timeout=60_000) as info:
        button.click()
    download = info.value
    assert "marketing" in download.suggested_filename
    with open(download.path(), "rb") as fh:  # Playwright's file has no .xlsx suffix
        book = openpyxl.load_workbook(io.BytesIO(fh.read()))
    header = book.active.oddHeader.center.text
    assert "marketing" in header
