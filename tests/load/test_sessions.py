"""Load test at CI size: 20 concurrent signed-in Streamlit sessions of different roles on one
server, each on its own page and filters — no errors, and no session shown another's user or
state. (`python -m bench.load` runs 50.)"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import sqlalchemy as sa

from bench.load import measure_load

SESSIONS = 20  # signed in as different roles, every page at least three times, both languages


@pytest.fixture(scope="module")
def bank_url(demo_engine: sa.Engine, tmp_path_factory: pytest.TempPathFactory) -> str:
    """A copy of the session's demo bank: the server below holds it open."""
    with demo_engine.connect() as conn:
        conn.exec_driver_sql("CHECKPOINT")
    copy = tmp_path_factory.mktemp("load") / "bank.duckdb"
    shutil.copyfile(str(demo_engine.url.database), copy)
    return f"duckdb:///{copy}"


def test_concurrent_sessions_get_their_own_pages_without_errors(
    bank_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    fig = measure_load(bank_url, SESSIONS, timeout_s=120, log_file=tmp_path / "server.log")
    with capsys.disabled():
        print(
            f"\nload test: {fig.sessions} concurrent sessions, {fig.errors} errors, "
            f"{fig.crossed} crossed; first chart p50 {fig.p50_s:.2f} s, p95 {fig.p95_s:.2f} s"
        )
    assert fig.errors == 0, fig.details
    assert fig.crossed == 0, fig.details
    assert fig.p95_s > 0
