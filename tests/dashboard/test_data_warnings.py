"""The pages say plainly when data is incomplete or the marts lag, and never rebuild a bank's data."""

from __future__ import annotations

from pathlib import Path

import pytest
import sqlalchemy as sa
import streamlit as st
from streamlit.testing.v1 import AppTest

from data_access.settings import database_url
from metrics.standards import DEFAULT_STANDARDS as DEFAULT
from tests.conftest import duckdb_copy
from tests.dashboard.conftest import APP, sign_in_as


def _exec(url: str, *sql: str) -> None:
    engine = sa.create_engine(url)
    with engine.begin() as conn:
        for statement in sql:
            conn.execute(sa.text(statement))
    engine.dispose()


def _run(page: str, monkeypatch: pytest.MonkeyPatch, url: str | None = None) -> AppTest:
    if url is None:
        monkeypatch.delenv("FOOTPRINT_DATABASE_URL", raising=False)
    else:
        monkeypatch.setenv("FOOTPRINT_DATABASE_URL", url)
    st.cache_data.clear()
    st.cache_resource.clear()
    at = AppTest.from_file(APP, default_timeout=120)
    at.query_params["lang"] = "en"
    at.run()  # a database the app cannot use is said before the sign-in form
    if not at.error and not at.exception:
        sign_in_as(at, url or database_url())
        at.run()
    if page != "home":
        at.switch_page(f"pages/{page}.py").run()
    return at


def test_the_embedded_database_with_a_banks_own_rows_is_left_alone(
    demo_engine: sa.Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    url = duckdb_copy(demo_engine, tmp_path / "footprint.duckdb")
    _exec(url, "delete from bank_meta")  # loaded by the bank, never stamped: not the demo's
    monkeypatch.setattr("data_access.settings.DATA_DIR", tmp_path)
    monkeypatch.setenv("FOOTPRINT_DEMO_CUSTOMERS", "200")
    at = _run("home", monkeypatch)
    assert not at.exception, [e.value for e in at.exception]
    assert at.error and "the demo did not write" in at.error[0].value
    assert "3,000 customers" in at.error[0].value
    engine = sa.create_engine(url)
    with engine.connect() as conn:
        assert conn.execute(sa.text("select count(*) from customers")).scalar_one() == 3000
    engine.dispose()


def test_an_unfinished_load_is_said_on_every_page(
    demo_engine: sa.Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    url = duckdb_copy(demo_engine, tmp_path / "killed.duckdb")
    _exec(
        url,
        "delete from bank_meta where key = 'data_as_of'",
        "update bank_meta set value = 'in_progress' where key = 'load_state'",
    )
    for page in ("home", "kpis"):
        at = _run(page, monkeypatch, url)
        assert not at.exception, [e.value for e in at.exception]
        assert any("last data load did not finish" in w.value for w in at.warning), page


@pytest.mark.parametrize(
    ("stamp", "page", "said"),
    [
        pytest.param(
            "update bank_meta set value = '2026-11-15' where key = 'mart:loyalty'",
            "loyalty",
            ("older than the data", "2026-11-15", "loyalty"),
            id="marts-older-than-the-data",
        ),
        pytest.param(
            "update bank_meta set value = 'in_progress' where key = 'refresh_state'",
            "segments",
            ("did not finish or is running",),
            id="killed-refresh",
        ),
    ],
)
def test_a_lagging_or_killed_refresh_is_said(
    stamp: str,
    page: str,
    said: tuple[str, ...],
    demo_engine: sa.Engine,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The first warning holding ``said[0]`` also holds the rest of ``said``."""
    url = duckdb_copy(demo_engine, tmp_path / "stamped.duckdb")
    _exec(url, stamp)
    at = _run(page, monkeypatch, url)
    assert not at.exception
    shown = [w.value for w in at.warning if said[0] in w.value]
    assert shown and all(word in shown[0] for word in said[1:])


def test_a_complete_bank_shows_no_data_warning(demo_app_url: str, monkeypatch) -> None:
    at = _run("kpis", monkeypatch, demo_app_url)
    assert not at.exception
    assert not [w.value for w in at.warning if "Run `python -m data_access refresh`" in w.value]


@pytest.mark.parametrize("page", ["home", "loyalty", "customer", "officers", "segments"])
def test_a_refused_standards_file_is_a_message_on_the_pages_that_read_it(
    demo_app_url: str, tmp_path: Path, page: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    bad = tmp_path / "bank.toml"
    bad.write_text(
        DEFAULT.read_text(encoding="utf-8").replace(
            "churn_risk_below = 40", 'churn_risk_below = "high"'
        ),
        encoding="utf-8",
    )
    monkeypatch.setenv("FOOTPRINT_STANDARDS", str(bad))
    at = _run(page, monkeypatch, demo_app_url)
    assert not at.exception, [e.value for e in at.exception]
    assert any("loyalty.churn_risk_below" in e.value for e in at.error), page
