"""Chinese all the way: no English word on any page or tab of the Chinese UI, including what
Streamlit and plotly draw themselves (a dropdown's "Select all", toolbar and modebar tooltips)."""

from __future__ import annotations

import re

import pytest

from dashboard.nav import PAGE_TABLE
from tests.browser.conftest import script_done

pytestmark = pytest.mark.browser

# Words a Chinese bank's staff read as they are (metric and file-format names, the language switch).
ALLOWED = {
    "KPI", "RFM", "CLV", "AUM", "ID", "VIP", "HTML", "CSV", "XLSX", "PNG", "PDF", "Excel",
    "English", "Ctrl", "Enter", "z", "t", "P", "DID", "POS", "TXT", "GBK", "Parquet", "PARQUET", "csv", "xlsx",
}  # fmt: skip
LATIN_WORD = re.compile(r"[A-Za-z][A-Za-z'’]*")
# A token with a digit is a code, a version or a size ("2026.11-default", "UTF-8", "200MB").
CODE = re.compile(r"[^\s，。、；：（）()·/]*\d[^\s，。、；：（）()·/]*")

# Visible text and tooltips, without icon ligatures (their text is the icon's name, never shown).
TEXTS = """() => {
  const out = [];
  const seen = (el) => { const r = el.getBoundingClientRect();
    return r.width > 0 && r.height > 0 && getComputedStyle(el).visibility !== 'hidden'; };
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  for (let n = walker.nextNode(); n; n = walker.nextNode()) {
    const el = n.parentElement;
    if (!el || el.closest('[data-testid="stIconMaterial"], script, style, .fp-print-header')) continue;
    if (el.closest('[data-testid="footprint-watermark"]')) continue;  // the viewer's own name
    if (el.closest('a[href^="#"]')) continue;  // the skip link: shown only to keyboard users
    if (n.nodeValue.trim() && (seen(el) || el.closest('[aria-live]'))) out.push(n.nodeValue.trim());
  }
  // tooltips and placeholders are shown; aria-labels are read aloud, not shown
  for (const el of document.querySelectorAll('[title],[data-title],[placeholder]'))
    for (const a of ['title', 'data-title', 'placeholder'])
      if (el.getAttribute(a) && el.tagName !== 'IFRAME') out.push(el.getAttribute(a).trim());
  return out;
}"""


def _ready(pg) -> None:
    script_done(pg)
    # the page's run has sent the script that puts the frontend's own words into Chinese
    pg.wait_for_function("() => window.__fpText && window.__fpText.on === true", timeout=30_000)
    pg.wait_for_timeout(1_200)


def _english(texts: list[str]) -> set[str]:
    """Each text holding a word outside the allow-list, with that word."""
    return {
        f"{w} in {text[:60]!r}"
        for text in texts
        for w in LATIN_WORD.findall(CODE.sub(" ", text))
        if w not in ALLOWED
    }


def _look(pg, *, dropdown: bool) -> set[str]:
    """English words on the page as drawn, then with a dropdown open (once a page: it is the same
    on every tab) and a table and chart hovered."""
    found = _english(pg.evaluate(TEXTS))
    # a dropdown drawn by Streamlit ("Select all", "No results"): the first multiselect shown
    select = pg.locator("[data-testid='stMultiSelect'] input").filter(visible=True)
    if dropdown and select.count():
        select.first.click(force=True, timeout=15_000)
        pg.wait_for_timeout(600)
        found |= _english(pg.evaluate(TEXTS))
        pg.keyboard.press("Escape")
    for target in ("[data-testid='stDataFrame']", "[data-testid='stPlotlyChart']"):
        shown = pg.locator(target).filter(visible=True)  # not one in a folded expander
        if shown.count():
            shown.first.hover()
            pg.wait_for_timeout(500)
            found |= _english(pg.evaluate(TEXTS))
    return found


@pytest.mark.parametrize("url_path", [p[2] for p in PAGE_TABLE])
def test_no_english_word_on_any_page_or_tab_in_chinese(server: str, page, url_path: str) -> None:
    pg, _ = page
    pg.goto(f"{server}/{'' if url_path == 'home' else url_path}?lang=zh")
    pg.wait_for_selector("[data-testid='stSidebar']", timeout=60_000)
    _ready(pg)
    found = _look(pg, dropdown=True)
    tabs = pg.locator("[data-testid='stMain'] [role='tab']")
    for i in range(1, tabs.count()):
        label = tabs.nth(i).inner_text()
        tabs.nth(i).click()
        _ready(pg)
        found |= {f"[{label}] {w}" for w in _look(pg, dropdown=False)}
    assert not found, f"English in the Chinese UI of /{url_path}: {sorted(found)}"


def test_an_unknown_address_is_answered_in_chinese(server: str, page) -> None:
    """A mistyped or old link (/kpi): Streamlit's own "Page not found" note, in Chinese."""
    pg, _ = page
    pg.goto(f"{server}/kpi?lang=zh")
    pg.wait_for_selector("[data-testid='stSidebar']", timeout=60_000)
    _ready(pg)
    dialog = pg.locator("[role='dialog']")
    dialog.wait_for(timeout=30_000)
    pg.wait_for_timeout(500)
    assert "页面不存在" in dialog.inner_text()
    assert not _english([dialog.inner_text()]), dialog.inner_text()
