"""App tests: run the real router on the session's demo bank (DuckDB) with Streamlit's AppTest."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path

import polars as pl
import pytest
import sqlalchemy as sa
import streamlit as st
from streamlit.runtime.media_file_manager import MediaFileManager
from streamlit.testing.v1 import AppTest

from dashboard.streamlit_internals import router_always_in_charge
from data_access.engine import make_engine
from data_access.filters import Scope
from data_access.queries import org
from tests.conftest import duckdb_copy, fetched

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
    engine = make_engine(
        duckdb_copy(demo_engine, tmp_path_factory.mktemp("app_bank") / "demo.duckdb")
    )
    yield engine
    engine.dispose()


@pytest.fixture(scope="session")
def demo_branches(demo_engine: sa.Engine) -> pl.DataFrame:
    """The demo bank's branches, as the product lists them for the whole bank."""
    return fetched(demo_engine, org.fetch_branches, Scope.bank())


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

    def run(page: str, /, user: str = "admin", **query: str) -> AppTest:  # ?page= is a query
        at = AppTest.from_file(APP, default_timeout=120)
        sign_in(at, demo_app_url, user)
        for key, value in query.items():
            at.query_params[key] = value
        at.run()
        if page != "home":
            at.switch_page(f"pages/{page}.py").run()
        return at

    yield run
    os.environ.pop("FOOTPRINT_DATABASE_URL", None)


def sign_in(at: AppTest, url: str, username: str) -> None:
    """Sign ``at`` in as a demo user: a real session opened with the demo password, its token
    handed to the app as the browser's cookie would (the router checks it like any other)."""
    from data_access import auth
    from data_access.demo.app_records import DEMO_PASSWORD_SUFFIX

    st.cache_resource.clear()  # the app's engine must be the one of the database signed in to
    engine = make_engine(url)
    try:
        user = auth.authenticate(engine, username, username + DEMO_PASSWORD_SUFFIX)
        at.session_state["_session_token"] = auth.open_session(engine, user)
    finally:
        engine.dispose()


def sign_in_as(at: AppTest, url: str, role: str = "admin", **assignment: object) -> str:
    """Sign ``at`` in on a seeded bank as a user of ``role`` (created for the test when missing,
    with a real password and a real session); the user name."""
    from data_access import auth
    from data_access.schema import users

    username = "_".join(["t", role, *(str(v) for v in assignment.values())])
    st.cache_resource.clear()  # the app's engine must be the one of the database signed in to
    engine = make_engine(url)
    try:
        auth.ensure_roles(engine)
        with engine.begin() as conn:
            exists = conn.execute(sa.select(users.c.user_id).where(users.c.username == username))
            if exists.first() is None:
                auth.create_user(conn, username, "test-password", role, **assignment)
        user = auth.authenticate(engine, username, "test-password")
        at.session_state["_session_token"] = auth.open_session(engine, user)
    finally:
        engine.dispose()
    return username


def open_page(url: str, page: str, /, timeout: float = 60, **query: str) -> AppTest:
    """An AppTest signed in as an admin of the bank at ``url`` that has run ``page`` with the
    query parameters ``query``."""
    at = AppTest.from_file(APP, default_timeout=timeout)
    sign_in_as(at, url)
    for key, value in query.items():
        at.query_params[key] = value
    at.run()
    at.switch_page(f"pages/{page}.py").run()
    return at


def page_on(
    url: str, page: str, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Callable[..., AppTest]]:
    """The body of a page module's ``seeded_app`` fixture: the app reads the bank at ``url``, and
    ``seeded_app(lang="en")`` is :func:`open_page` of ``page`` there."""
    monkeypatch.setenv("FOOTPRINT_DATABASE_URL", url)
    st.cache_data.clear()
    st.cache_resource.clear()
    yield lambda **query: open_page(url, page, **query)
    os.environ.pop("FOOTPRINT_DATABASE_URL", None)


def metric_value(at: AppTest, label: str) -> str:
    """The value shown by the one metric labelled ``label``."""
    (value,) = [m.value for m in at.metric if m.label == label]
    return value


@pytest.fixture
def downloads(monkeypatch: pytest.MonkeyPatch) -> list[Callable[[], object]]:
    """The files the run's download buttons would build on a click (Streamlit's deferred
    downloads: the server calls the callable once per click)."""
    offered: list[Callable[[], object]] = []
    original = MediaFileManager.add_deferred

    def keep(self: MediaFileManager, data_callable: Callable[[], object], *a, **k) -> str:  # type: ignore[no-untyped-def]
        offered.append(data_callable)
        return original(self, data_callable, *a, **k)

    monkeypatch.setattr(MediaFileManager, "add_deferred", keep)
    return offered


def rendered(at: AppTest, charts: int = 0) -> AppTest:
    """``at``, once asserted to have run without an exception or an error box and to have drawn at
    least ``charts`` charts."""
    assert not at.exception, [e.value for e in at.exception]
    assert not at.error, [e.value for e in at.error]
    assert len(at.get("plotly_chart")) >= charts
    return at


def assert_says_empty(at: AppTest, notice: str) -> None:
    """The page ran, said ``notice`` in an info box and drew no chart (an empty selection)."""
    assert not at.exception, [e.value for e in at.exception]
    assert any(notice in i.value for i in at.info), [i.value for i in at.info]
    assert not at.get("plotly_chart")


def open_tab(at: AppTest, page: str, code: str) -> AppTest:
    """Open one of a page's lazy tabs (``dashboard.tabs``), as a click on it does, and rerun."""
    at.session_state[f"tab_{page}"] = code
    return at.run()
