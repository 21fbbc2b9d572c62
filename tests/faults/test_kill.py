"""Fault suite: SIGKILL of `init` and `refresh` at several points, on DuckDB and PostgreSQL.

Afterwards the database is as before or marked incomplete, `info` still answers, and the pages
say so (never a traceback, never half a bank shown as real)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from urllib.parse import quote

import pytest
import sqlalchemy as sa
import streamlit as st
from streamlit.testing.v1 import AppTest

from data_access.engine import has_schema
from data_access.load_state import fetch_load_state
from tests.conftest import PG_URL, _pg_engine_in_fresh_schema
from tests.dashboard.conftest import APP, sign_in_as
from tests.faults.survived import survived

ROOT = Path(__file__).resolve().parents[2]
SMALL = ["--customers", "400", "--seed", "3", "--end-date", "2026-11-22"]
INIT_KILLS = ["customers", "indexes", "refresh signals"]
REFRESH_KILLS = ["signals: features", "refresh kpis"]


@pytest.fixture(params=["duckdb", "postgresql"])
def fresh_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """An empty database: a new DuckDB file, or a new PostgreSQL schema on the shared server."""
    if request.param == "duckdb":
        yield f"duckdb:///{tmp_path / 'bank.duckdb'}"
        return
    admin, engine, schema = _pg_engine_in_fresh_schema()
    engine.dispose()
    yield f"{PG_URL}?options={quote(f'-csearch_path={schema}')}"
    with admin.begin() as conn:
        conn.execute(sa.schema.DropSchema(schema, cascade=True))
    admin.dispose()


def _cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "data_access", *args],
        capture_output=True,
        text=True,
        timeout=600,
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )


def _kill_at(stage: str, *args: str) -> None:
    """Run the CLI and SIGKILL it as soon as it reports ``stage``."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "data_access", *args],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    assert proc.stderr is not None
    seen = []
    for line in proc.stderr:
        seen.append(line.strip())
        if stage in line:
            os.kill(proc.pid, signal.SIGKILL)
            break
    proc.wait(timeout=120)
    assert proc.returncode == -signal.SIGKILL, f"never reached {stage!r}: {seen[-5:]}"


def _state(url: str):  # type: ignore[no-untyped-def]
    engine = sa.create_engine(url)
    try:
        with engine.connect() as conn:
            return fetch_load_state(conn) if has_schema(conn) else None
    finally:
        engine.dispose()


def _page_warnings(url: str, page: str = "kpis") -> list[str]:
    os.environ["FOOTPRINT_DATABASE_URL"] = url
    try:
        st.cache_data.clear()
        st.cache_resource.clear()
        at = AppTest.from_file(APP, default_timeout=120)
        if _state(url) is not None:  # tables to sign in with; else the message comes first
            sign_in_as(at, url)
        at.query_params["lang"] = "en"
        at.switch_page(f"pages/{page}.py")
        at.run()
        assert not at.exception, [e.value for e in at.exception]
        return [w.value for w in at.warning] + [e.value for e in at.error]
    finally:
        from dashboard.db import get_engine

        get_engine().dispose()  # DuckDB: one program per file; the next CLI run needs it
        st.cache_resource.clear()
        os.environ.pop("FOOTPRINT_DATABASE_URL", None)


@pytest.mark.parametrize("stage", INIT_KILLS)
def test_a_killed_init_is_marked_incomplete_and_said(fresh_url: str, stage: str) -> None:
    _kill_at(stage, "init", "--url", fresh_url, *SMALL)
    state = _state(fresh_url)
    assert state is not None and state.load_incomplete and state.written_by == "demo"
    info = _cli("info", "--url", fresh_url)
    assert info.returncode == 0 and "did not complete" in info.stderr
    shown = _page_warnings(fresh_url)
    assert any("last data load did not finish" in m for m in shown), shown
    survived(f"init killed at {stage!r}", fresh_url)


@pytest.fixture(scope="module", params=["duckdb", "postgresql"])
def loaded_url(request: pytest.FixtureRequest, tmp_path_factory) -> Iterator[str]:
    """A complete small bank, built once per backend for the refresh kills."""
    if request.param == "duckdb":
        url = f"duckdb:///{tmp_path_factory.mktemp('kill') / 'bank.duckdb'}"
        assert _cli("init", "--url", url, *SMALL).returncode == 0
        yield url
        return
    admin, engine, schema = _pg_engine_in_fresh_schema()
    engine.dispose()
    url = f"{PG_URL}?options={quote(f'-csearch_path={schema}')}"
    assert _cli("init", "--url", url, *SMALL).returncode == 0
    yield url
    with admin.begin() as conn:
        conn.execute(sa.schema.DropSchema(schema, cascade=True))
    admin.dispose()


MART_TABLES = ("customer_value", "customer_signals", "customer_loyalty")


def _mart_rows(url: str) -> dict[str, int]:
    engine = sa.create_engine(url)
    with engine.connect() as conn:
        out = {
            t: conn.execute(sa.text(f"select count(*) from {t}")).scalar_one() for t in MART_TABLES
        }
    engine.dispose()
    return out


@pytest.mark.parametrize("stage", REFRESH_KILLS)
def test_a_killed_refresh_leaves_whole_marts_and_is_said(loaded_url: str, stage: str) -> None:
    before = _mart_rows(loaded_url)
    _kill_at(stage, "refresh", "--url", loaded_url, "--as-of", "2026-11-29")
    state = _state(loaded_url)
    assert state is not None and state.refresh_in_progress and not state.load_incomplete
    days = set(state.marts.values())
    # every mart is its old or its new self: stamped with one of the two days, never emptied
    assert days <= {date(2026, 11, 22), date(2026, 11, 29)} and date(2026, 11, 22) in days
    assert all(n > 0 for n in _mart_rows(loaded_url).values()), _mart_rows(loaded_url)
    shown = _page_warnings(loaded_url, "loyalty")
    assert any("did not finish or is running" in m for m in shown), shown
    # the next refresh completes and the warning goes
    assert _cli("refresh", "--url", loaded_url).returncode == 0
    state = _state(loaded_url)
    assert not state.refresh_in_progress and set(state.marts.values()) == {date(2026, 11, 22)}
    assert _mart_rows(loaded_url) == before
    assert not [m for m in _page_warnings(loaded_url, "loyalty") if "refresh" in m]
    survived(f"refresh killed at {stage!r}", loaded_url)
