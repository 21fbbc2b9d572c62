"""Bad database settings: a clear message naming the setting, never a crash; `info` reads a file
this user may not write."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest
import sqlalchemy as sa
import streamlit as st
from streamlit.testing.v1 import AppTest

from dashboard.nav import PAGE_TABLE
from data_access.engine import make_engine
from data_access.errors import BadDatabaseUrl
from tests.dashboard.conftest import APP

ROOT = Path(__file__).resolve().parents[2]
UNPARSEABLE = ["not a url", "://", "postgresql://[::1", "duckdb", ""]
NO_DRIVER = [
    "mysql://x@127.0.0.1/none",
    "postgresql+asyncpg://x@127.0.0.1/db",
    "oracle+cx_oracle://x@h/db",
    "mssql+pyodbc://x@h/db",
]


@pytest.mark.parametrize("url", UNPARSEABLE)
def test_an_unparseable_url_is_named(url: str) -> None:
    with pytest.raises(BadDatabaseUrl) as err:
        make_engine(url)
    assert err.value.reason == "unparseable" and "FOOTPRINT_DATABASE_URL" in str(err.value)


@pytest.mark.parametrize("url", NO_DRIVER)
def test_a_missing_driver_is_named(url: str) -> None:
    with pytest.raises(BadDatabaseUrl) as err:
        make_engine(url)
    assert err.value.reason == "driver_missing"
    assert "x@" not in str(err.value)  # no user or host from the setting


@pytest.mark.parametrize("page", [p[2] for p in PAGE_TABLE])
@pytest.mark.parametrize("url", ["not a url", "mysql://x@127.0.0.1/none"])
def test_every_page_says_what_is_wrong_with_the_setting(
    page: str, url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("FOOTPRINT_DATABASE_URL", url)
    st.cache_data.clear()
    st.cache_resource.clear()
    at = AppTest.from_file(APP, default_timeout=60)
    at.query_params["lang"] = "en"
    if page != "home":
        at.switch_page(f"pages/{page}.py")
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    assert at.error and "database setting" in at.error[0].value
    st.cache_resource.clear()


@pytest.fixture
def read_only_copy(demo_engine: sa.Engine) -> str:
    """The demo bank in a folder anyone may read and nobody but root may write."""
    with demo_engine.connect() as conn:
        conn.exec_driver_sql("CHECKPOINT")
    folder = Path(tempfile.mkdtemp(prefix="fp-ro-"))
    folder.chmod(0o755)
    path = folder / "bank.duckdb"
    shutil.copyfile(str(demo_engine.url.database), path)
    path.chmod(0o444)
    yield f"duckdb:///{path}"
    shutil.rmtree(folder)


def _as_nobody(*cmd: str) -> subprocess.CompletedProcess[str]:
    if os.geteuid() != 0:
        return subprocess.run(cmd, capture_output=True, text=True, timeout=120, cwd=ROOT)
    return subprocess.run(
        ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", *cmd],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=ROOT,
        env={**os.environ, "HOME": "/tmp", "PYTHONPATH": str(ROOT)},
    )


def test_info_reads_a_file_it_may_not_write(read_only_copy: str) -> None:
    done = _as_nobody(sys.executable, "-m", "data_access", "info", "--url", read_only_copy)
    assert done.returncode == 0, done.stderr
    line = next(x for x in done.stdout.splitlines() if x.startswith("customers "))
    assert line.split()[-1] == "3,000"


def test_the_dashboard_opens_a_file_it_may_not_write_read_only_and_says_it_cannot_audit(
    read_only_copy: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    from dashboard import db

    monkeypatch.setattr(db.os, "access", lambda path, mode: mode != os.W_OK)  # as a non-root user
    assert db.read_only_file(read_only_copy)
    monkeypatch.setenv("FOOTPRINT_DATABASE_URL", read_only_copy)
    st.cache_data.clear()
    st.cache_resource.clear()
    at = AppTest.from_file(APP, default_timeout=60)
    at.query_params["lang"] = "en"
    at.switch_page("pages/kpis.py")
    at.run()
    # it opens, read-only, and says why it shows nothing: sign-ins and the audit log need writing
    assert not at.exception
    assert "read-only" in at.error[0].value
    engine = db.get_engine()
    with pytest.raises(sa.exc.DBAPIError), engine.begin() as conn:  # read-only indeed
        conn.exec_driver_sql("create table t (a integer)")
    st.cache_resource.clear()


@pytest.mark.parametrize(
    ("env", "value"),
    [
        ("FOOTPRINT_DEMO_CUSTOMERS", "abc"),
        ("FOOTPRINT_DEMO_CUSTOMERS", "²"),
        ("FOOTPRINT_DEMO_CUSTOMERS", "9" * 40),
        ("FOOTPRINT_DEMO_SEED", "-"),
        ("FOOTPRINT_DEMO_END_DATE", "2026-02-30"),
    ],
)
def test_a_malformed_demo_setting_is_named_by_the_cli_and_the_first_visit(
    env: str, value: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys
) -> None:
    from data_access.cli import main

    monkeypatch.setenv(env, value)
    assert main(["init", "--url", f"duckdb:///{tmp_path / 'x.duckdb'}"]) == 1
    err = capsys.readouterr().err.strip()
    assert err.startswith("error:") and env in err and len(err.splitlines()) == 1
    # the first visit on the embedded default would build the demo with it: a message instead
    monkeypatch.delenv("FOOTPRINT_DATABASE_URL", raising=False)
    monkeypatch.setattr("data_access.settings.DATA_DIR", tmp_path / "data")
    st.cache_data.clear()
    st.cache_resource.clear()
    at = AppTest.from_file(APP, default_timeout=60)
    at.query_params["lang"] = "en"
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    assert at.error and env in at.error[0].value
    st.cache_resource.clear()
