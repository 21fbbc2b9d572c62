"""App tests: run the real router on the session's demo bank (DuckDB) with Streamlit's AppTest."""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
import streamlit as st
from streamlit.testing.v1 import AppTest

from dashboard.streamlit_internals import router_always_in_charge
from data_access.engine import make_engine

# absolute: AppTest resolves a relative path against the calling file (this one), not the cwd
APP = str(Path(__file__).resolve().parents[2] / "dashboard" / "app.py")


@pytest.fixture(autouse=True)
def _routed_runs() -> Iterator[None]:
    """Every AppTest run goes through the router, as on the server started by ``python -m dashboard``.

    AppTest resets Streamlit's pages-folder detection before each run, and dashboard/pages/ makes
    Streamlit run a switched-to page without the router; ``page_context()`` then reruns, and the
    rerun drops one-shot widget values such as a form's submit or a button click.
    """
    with router_always_in_charge():
        yield


@pytest.fixture(scope="session")
def demo_engine(
    demo_engine: sa.Engine, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[sa.Engine]:
    """The app tests' own copy of the session's demo bank: their saves, exports and recorded
    soft footprints must not change the bank that the generator's tests compare across backends."""
    with demo_engine.connect() as conn:
        conn.exec_driver_sql("CHECKPOINT")
    copy = tmp_path_factory.mktemp("app_bank") / "demo.duckdb"
    shutil.copyfile(str(demo_engine.url.database), copy)
    engine = make_engine(f"duckdb:///{copy}")
    yield engine
    engine.dispose()


@pytest.fixture(scope="session")
def demo_app_url(demo_engine: sa.Engine) -> str:
    """URL of the demo bank the app tests read (the copy)."""
    return demo_engine.url.render_as_string(hide_password=False)


@pytest.fixture
def app_test(
    demo_app_url: str, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Callable[..., AppTest]]:
    """Factory: ``app_test("kpis", week="2026-11-16", lang="en")`` → an AppTest that has run that page."""
    monkeypatch.setenv("FOOTPRINT_DATABASE_URL", demo_app_url)
    st.cache_data.clear()
    st.cache_resource.clear()

    def run(page: str, **query: str) -> AppTest:
        at = AppTest.from_file(APP, default_timeout=120)
        for key, value in query.items():
            at.query_params[key] = value
        at.run()
        if page != "home":
            at.switch_page(f"pages/{page}.py").run()
        return at

    yield run
    os.environ.pop("FOOTPRINT_DATABASE_URL", None)


def open_tab(at: AppTest, page: str, code: str) -> AppTest:
    """Open one of a page's lazy tabs (``dashboard.tabs``), as a click on it does, and rerun."""
    at.session_state[f"tab_{page}"] = code
    return at.run()
