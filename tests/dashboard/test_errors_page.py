"""Database unreachable or empty: every page shows one clear message, never a traceback."""

from __future__ import annotations

import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

from dashboard.nav import PAGE_TABLE
from data_access.engine import create_schema, make_engine
from tests.dashboard.conftest import APP
from tests.lock_holder import duckdb_held

PAGES = [p[2] for p in PAGE_TABLE]


def _run(url: str, page: str, monkeypatch: pytest.MonkeyPatch) -> AppTest:
    monkeypatch.setenv("FOOTPRINT_DATABASE_URL", url)
    st.cache_data.clear()
    st.cache_resource.clear()
    at = AppTest.from_file(APP, default_timeout=60)
    at.query_params["lang"] = "en"
    at.run()
    if page != "home":
        at.switch_page(f"pages/{page}.py").run()
    st.cache_data.clear()
    st.cache_resource.clear()
    return at


@pytest.mark.parametrize("page", PAGES)
def test_unreachable_database_is_a_message(page: str, monkeypatch: pytest.MonkeyPatch) -> None:
    at = _run("postgresql+psycopg://postgres@127.0.0.1:9/test?connect_timeout=2", page, monkeypatch)
    assert not at.exception, [e.value for e in at.exception]
    assert [e.value for e in at.error][:1] and "cannot be read right now" in at.error[0].value


def test_database_without_tables_is_a_message(tmp_path, monkeypatch: pytest.MonkeyPatch) -> None:
    make_engine(f"duckdb:///{tmp_path / 'blank.duckdb'}").dispose()
    at = _run(f"duckdb:///{tmp_path / 'blank.duckdb'}", "kpis", monkeypatch)
    assert not at.exception
    assert "python -m data_access init" in at.error[0].value


def test_empty_schema_without_data_as_of_is_a_message(
    tmp_path, monkeypatch: pytest.MonkeyPatch
) -> None:
    engine = make_engine(f"duckdb:///{tmp_path / 'empty.duckdb'}")
    create_schema(engine)
    engine.dispose()
    at = _run(f"duckdb:///{tmp_path / 'empty.duckdb'}", "home", monkeypatch)
    assert not at.exception, [e.value for e in at.exception]
    # a new bank's database has no users: the sign-in page says how to create the first admin
    assert "users create NAME --role admin" in at.info[0].value


@pytest.mark.parametrize("page", ["kpis", "officers"])
def test_a_database_held_by_a_load_is_a_message(
    tmp_path, page: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "held.duckdb"
    engine = make_engine(f"duckdb:///{path}")
    create_schema(engine)
    engine.dispose()
    with duckdb_held(path) as pid:
        at = _run(f"duckdb:///{path}", page, monkeypatch)
    assert not at.exception, [e.value for e in at.exception]
    assert not at.error
    assert f"in use by another program (PID {pid})" in at.warning[0].value
