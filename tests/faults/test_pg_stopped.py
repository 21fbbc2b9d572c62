"""Fault suite: PostgreSQL stops in the middle of a page's query, then comes back.

The test starts its own server (initdb + pg_ctl on a free port); the shared server at 5432 is
never touched. A page whose query is waiting when the server dies shows one clear message; once
the server is back the same page shows the bank again."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
import streamlit as st
from streamlit.testing.v1 import AppTest

from tests.dashboard.conftest import APP, sign_in_as
from tests.faults.pg_instance import PgInstance
from tests.faults.survived import survived

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def own_pg() -> Iterator[PgInstance]:
    """A private server holding a small demo bank."""
    pg = PgInstance()
    pg.start()
    done = subprocess.run(
        [sys.executable, "-m", "data_access", "init", "--url", pg.url, "--customers", "300",
         "--seed", "4", "--end-date", "2026-11-22"],
        capture_output=True, text=True, timeout=600, cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    yield pg
    pg.destroy()


def _app(url: str, page: str) -> AppTest:
    os.environ["FOOTPRINT_DATABASE_URL"] = url
    st.cache_data.clear()
    st.cache_resource.clear()
    at = AppTest.from_file(APP, default_timeout=120)
    sign_in_as(at, url)
    at.query_params["lang"] = "en"
    at.switch_page(f"pages/{page}.py")
    return at


def _waiting_on_lock(url: str) -> bool:
    engine = sa.create_engine(url)
    try:
        with engine.connect() as conn:
            n = conn.execute(
                sa.text("select count(*) from pg_stat_activity where wait_event_type = 'Lock'")
            ).scalar_one()
        return n > 0
    finally:
        engine.dispose()


@pytest.mark.parametrize("page", ["kpis", "segments"])
def test_the_server_stopping_mid_query_is_a_message_and_recovery_is_clean(
    own_pg: PgInstance, page: str
) -> None:
    blocker = sa.create_engine(own_pg.url)
    conn = blocker.connect()
    trans = conn.begin()
    # hold the branch list: the page's first query waits on it, mid-load, until the server dies
    conn.execute(sa.text("lock table branches in access exclusive mode"))
    at = _app(own_pg.url, page)
    runner = threading.Thread(target=at.run, daemon=True)
    try:
        runner.start()
        deadline = time.time() + 60
        while not _waiting_on_lock(own_pg.url):
            assert time.time() < deadline, "the page never queried the server"
            time.sleep(0.2)
        own_pg.stop("immediate")
        runner.join(timeout=120)
        assert not runner.is_alive()
        assert not at.exception, [e.value for e in at.exception]
        errors = [e.value for e in at.error]
        assert errors and "cannot be read right now" in errors[0], errors
        assert "psycopg" not in errors[0] and "SQL" not in errors[0]  # no driver text
    finally:
        try:
            trans.rollback()
            conn.close()
        except sa.exc.DBAPIError:
            pass  # the server is gone: so is the lock
        blocker.dispose()
        from dashboard.db import get_engine

        get_engine().dispose()
    own_pg.start()
    at = _app(own_pg.url, page).run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    assert at.get("plotly_chart") or at.get("metric")
    st.cache_resource.clear()
    os.environ.pop("FOOTPRINT_DATABASE_URL", None)
    survived(f"PostgreSQL stopped while {page} loaded", own_pg.url)
