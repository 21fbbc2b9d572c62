"""Every page on Spark: rendered in AppTest against the hive:// URL, and each loader it calls
returns the same figures on Spark, DuckDB and PostgreSQL for the same demo bank (floats within
1e-6).

A view is a page with its query parameters; pages with lazy tabs are opened on each tab so that
every loader runs. The loader calls are recorded while the page renders on Spark (bench/pages.py's
recorder) and replayed on DuckDB and PostgreSQL through their undecorated functions.
"""

from __future__ import annotations

import os

import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

from bench.pages import APP, record_calls, unique_calls
from tests.dashboard.conftest import sign_in_as
from tests.spark.compare import assert_same

VIEWS: list[tuple[str, dict[str, str]]] = [
    ("home", {}),
    ("kpis", {}),
    ("kpis", {"tab": "rank"}),
    ("kpis", {"tab": "league"}),
    ("segments", {}),
    ("loyalty", {}),
    ("funnels", {}),
    ("officers", {}),
    ("officers", {"tab": "league"}),
    ("officers", {"tab": "quality"}),
    ("officers", {"tab": "training"}),
    ("customer", {"customer": "42"}),
    ("customer", {}),
]


def _use(url: str) -> None:
    """Point the app (and its cached engine) at ``url``."""
    from dashboard.db import get_engine

    os.environ["FOOTPRINT_DATABASE_URL"] = url
    get_engine.clear()


def _render(page: str, query: dict[str, str]) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=600)
    sign_in_as(at, os.environ["FOOTPRINT_DATABASE_URL"])
    for key, value in {"lang": "en", **query}.items():
        at.query_params[key] = value
    at.run()
    if page != "home":
        at.switch_page(f"pages/{page}.py").run()
    return at


@pytest.fixture(scope="module")
def app_on_spark(spark_bank):
    """The app's caches empty at the start; the database URL restored at the end."""
    before = os.environ.get("FOOTPRINT_DATABASE_URL")
    st.cache_data.clear()
    st.cache_resource.clear()
    yield spark_bank
    if before is None:
        os.environ.pop("FOOTPRINT_DATABASE_URL", None)
    else:
        os.environ["FOOTPRINT_DATABASE_URL"] = before
    st.cache_resource.clear()


@pytest.mark.parametrize(
    ("page", "query"), VIEWS, ids=[f"{p}-{'-'.join(q.values())}" for p, q in VIEWS]
)
def test_page_renders_on_spark_with_duckdb_figures(
    app_on_spark, pg_twin_url: str, page: str, query: dict
) -> None:
    _use(app_on_spark.url)
    st.cache_data.clear()
    results: list = []

    def run() -> AppTest:
        return _render(page, query)

    calls, at = record_calls(run)
    assert not at.exception, ["\n".join(e.stack_trace or [e.message]) for e in at.exception]
    assert not at.error, [e.value for e in at.error]
    if page != "home":
        assert at.get("plotly_chart") or at.dataframe or at.metric, "nothing drawn"

    calls = unique_calls(calls)
    assert calls or page == "home", "the page called no loader"
    # Spark's answers: the same calls again through the cache the render filled (no recompute)
    results = [(c, c.fn(*c.args, **c.kwargs)) for c in calls]
    try:
        for url in (app_on_spark.duck_url, pg_twin_url):  # the same figures on all three
            _use(url)
            for call, on_spark in results:
                on_other = call.fn.__wrapped__(*call.args, **call.kwargs)
                assert_same(on_other, on_spark, f"{url.split(':')[0]}: {call.name}{call.args!r}")
    finally:
        _use(app_on_spark.url)
