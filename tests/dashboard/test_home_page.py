"""Home page: renders on the demo bank and links every other page."""

from __future__ import annotations

from dashboard.nav import PAGE_TABLE


def test_home_links_every_page_in_both_languages(app_test) -> None:
    for lang in ("zh", "en"):
        at = app_test("home", lang=lang)
        assert not at.exception
        titles = [p.label for p in at.get("page_link")]
        assert len(titles) == len(PAGE_TABLE) - 1
    assert "Weekly KPIs" in titles
    assert any("outlets" in c.value for c in at.caption)
