"""Load test at CI size: 20 concurrent signed-in Streamlit sessions of every role (the bank's, a
branch's, an officer's and the auditor's scope at once) on one server, each on its own page and
filters — no errors, and no session shown another's user (the watermark), scope (the sidebar's
branch and officer choices) or filters (week, branches, tiers). (`python -m bench.load` runs 50.)"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import sqlalchemy as sa

from bench.load import measure_load
from data_access.roles import ROLES

SESSIONS = 20  # signed in as every role, every page at least twice, both languages


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
    assert set(fig.users) == set(ROLES)  # the demo's users are named after their roles
    assert fig.crossed == 0, fig.details
    assert fig.p95_s > 0


def test_a_session_shown_another_scope_counts_as_crossed() -> None:
    """The control: the check above notices a sidebar offering what the user's scope does not."""
    from bench.load import Session

    s = Session(
        "kpis",
        {"week": "2026-11-16"},
        {"w_branches": ["城关支行"], "w_tiers": ["大众"]},
        {"w_branches": ["城关支行"], "w_officers": ["王芳"]},
        user="officer",
    )
    s.seen_user = "officer"
    s.seen = {"w_week": ["2026-11-16 ~ 11-22"], "w_branches": ["城关支行"], "w_tiers": ["大众"]}
    s.seen_options = {"w_branches": ["城关支行"], "w_officers": ["王芳"]}
    assert s.own_state
    s.seen_options["w_officers"] = ["王芳", "李强"]  # a colleague's book offered
    assert not s.own_state
    s.seen_options = {"w_branches": ["城关支行", "河东支行"], "w_officers": ["王芳"]}
    assert not s.own_state
    s.seen_options["w_branches"] = ["城关支行"]
    s.seen_user = "president"  # someone else's watermark
    assert not s.own_state
