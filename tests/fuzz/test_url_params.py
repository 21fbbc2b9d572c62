"""Fuzz: every URL parameter of every page. A poisoned link opens the page with a note, never an error."""

from __future__ import annotations

import os
import unicodedata
from datetime import date

import pytest
import streamlit as st
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as hs
from streamlit.testing.v1 import AppTest

from dashboard.nav import PAGE_TABLE
from dashboard.params import MAX_IDS, MAX_PAGE, MAX_STEPS, parse_params
from data_access.filters import TIERS
from data_access.queries.customer import SEARCH_PAGE_SIZES
from tests.dashboard.conftest import APP, sign_in_as
from tests.fuzz.hostile import HOSTILE_TEXT, tried

PAGES = [p[2] for p in PAGE_TABLE]
PARAMS = (
    "lang", "week", "branches", "officers", "tiers", "tab", "customer", "seg",
    "q", "page", "size", "campaign", "step",
)  # fmt: skip
BIGINT = 2**63 - 1


def _check(view) -> None:
    assert view.lang in (None, "zh", "en")
    assert view.week is None or date(2000, 1, 1) <= view.week <= date(2100, 12, 31)
    for ids in (view.branches, view.officers):
        assert len(ids) <= MAX_IDS and all(0 < i <= BIGINT for i in ids)
    assert all(t in TIERS for t in view.tiers)
    assert view.customer is None or 0 < view.customer <= BIGINT
    assert view.q is None or (
        0 < len(view.q) <= 64 and all(unicodedata.category(c)[0] != "C" for c in view.q)
    )
    assert view.page is None or 0 < view.page <= MAX_PAGE
    assert view.size is None or view.size in SEARCH_PAGE_SIZES
    assert view.campaign is None or 0 <= view.campaign <= BIGINT
    assert view.step is None or 0 < view.step <= MAX_STEPS


hostile = hs.one_of(
    hs.sampled_from(HOSTILE_TEXT),
    hs.text(max_size=60),
    hs.text(alphabet="0123456789,²³¹٠١٢ \x00-", max_size=40),
    hs.integers(min_value=-(10**30), max_value=10**30).map(str),
    hs.lists(hs.integers(min_value=0, max_value=10**20), max_size=8).map(
        lambda xs: ",".join(map(str, xs))
    ),
)


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(name=hs.sampled_from(PARAMS), value=hostile)
def test_the_url_parser_never_raises_and_keeps_only_usable_values(name: str, value: str) -> None:
    tried("url parser", (name, value))
    _check(parse_params({name: value}))


@pytest.mark.parametrize(
    ("raw", "ignored"),
    [
        pytest.param({"branches": "²"}, ("branches",), id="superscript"),
        pytest.param({"branches": "9" * 5000}, ("branches",), id="5000-digits"),
        pytest.param({"customer": "9" * 25}, ("customer",), id="25-digit-customer"),
        pytest.param({"week": "2026-02-30"}, ("week",), id="no-such-day"),
        pytest.param({"tiers": "vip,gold"}, ("tiers",), id="unknown-tier"),
        pytest.param({"lang": "fr", "tab": "x;y"}, ("lang", "tab"), id="lang-tab"),
        pytest.param({"officers": "3,\x00"}, ("officers",), id="nul"),
        pytest.param({"page": "0", "size": "7"}, ("page", "size"), id="page-0-size-7"),
        pytest.param({"campaign": "all", "step": "99"}, ("step",), id="step-past-any-funnel"),
        pytest.param(
            {"q": "张", "page": "2", "size": "50", "campaign": "3", "step": "1"},
            (),
            id="good-search-and-step",
        ),
        pytest.param({"branches": "3,5", "week": "2026-11-16"}, (), id="good"),
    ],
)
def test_unusable_values_are_named(raw: dict[str, str], ignored: tuple[str, ...]) -> None:
    tried("url parser", raw)
    assert parse_params(raw).ignored == ignored


# One AppTest run per (page, poisoned link): each link poisons every parameter at once, or one.
LINKS = [
    {name: value for name in PARAMS}
    for value in ("²", "9" * 5000, "\x00", "' OR 1=1 --", "-1", "🦶,１")
] + [
    {"branches": "²"},
    {"customer": "9" * 25},
    {"week": "0001-01-01", "tab": "../../x"},
    {"officers": ",".join(["7"] * 3000)},
    {"tiers": "mass,mass,vip,Private"},
    {"branches": "999999", "officers": "999999"},
]


def _open(url: str, page: str, link: dict[str, str]) -> AppTest:
    """Open ``page`` straight from a link, as a browser does (no visit to Home first)."""
    at = AppTest.from_file(APP, default_timeout=120)
    sign_in_as(at, os.environ["FOOTPRINT_DATABASE_URL"])
    for key, value in link.items():
        at.query_params[key] = value
    if page != "home":
        at.switch_page(f"pages/{page}.py")
    return at.run()


@pytest.mark.parametrize("page", PAGES)
def test_every_page_opens_with_a_note_under_poisoned_links(
    demo_app_url: str, page: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("FOOTPRINT_DATABASE_URL", demo_app_url)
    st.cache_data.clear()
    for link in LINKS:
        tried(f"url on pages ({page})", link)
        at = _open(demo_app_url, page, link)
        assert not at.exception, (page, link, [e.value for e in at.exception])
        notes = [i.value for i in at.info]
        assert any("could not be used" in n or "无法使用" in n for n in notes), (page, link, notes)
