"""Accounts, passwords, throttling, sessions, roles and the audit trail, on DuckDB and PostgreSQL."""

from __future__ import annotations

import subprocess
import sys
from dataclasses import replace
from datetime import timedelta

import pytest
import sqlalchemy as sa

from data_access import audit, auth
from data_access.errors import InvalidFilter
from data_access.filters import FINDABLE, Scope
from data_access.roles import ROLES, scope_for
from data_access.schema import audit_log, user_sessions, users
from tests.rows import insert_staff

PASSWORD = "correct horse 9"


@pytest.fixture
def bank(empty_engine: sa.Engine) -> sa.Engine:
    """Two branches with one officer each, and the roles."""
    with empty_engine.begin() as conn:
        insert_staff(conn, (1, 2), ((10, 1), (20, 2)), name="网点{}", town="城关")
    auth.ensure_roles(empty_engine)
    with empty_engine.begin() as conn:
        auth.create_user(conn, "li", PASSWORD, "officer", officer_id=10)
        auth.create_user(conn, "mk", PASSWORD, "marketing", branch_ids=(1, 2))
    return empty_engine


def _entries(engine: sa.Engine, action: str, username: str | None = None) -> list[sa.Row]:
    a = audit_log.c
    stmt = sa.select(a.username, a.action, a.detail, a.row_count).where(a.action == action)
    if username:
        stmt = stmt.where(a.username == username)
    with engine.connect() as conn:
        return list(conn.execute(stmt.order_by(a.audit_id)))


def test_password_is_argon2id_and_never_stored_or_logged_in_clear(bank: sa.Engine) -> None:
    with bank.connect() as conn:
        stored = conn.execute(sa.select(users.c.password_hash).where(users.c.username == "li"))
        hashed = stored.scalar_one()
        logged = " ".join(
            str(v) for row in conn.execute(sa.select(audit_log)) for v in row if v is not None
        )
    assert hashed.startswith("$argon2id$")
    assert PASSWORD not in hashed and PASSWORD not in logged
    with pytest.raises(auth.SignInRefused):
        auth.authenticate(bank, "li", "wrong password")
    assert "wrong password" not in str(_entries(bank, "sign_in_failed"))


def test_sign_in_gives_role_and_scope(bank: sa.Engine) -> None:
    user = auth.authenticate(bank, "li", PASSWORD)
    assert (user.role, user.scope) == ("officer", replace(Scope.officer(1, 10), find_by=FINDABLE))
    assert user.may_open("customer") and not user.may_open("kpis") and not user.may_open("admin")
    marketing = auth.authenticate(bank, "mk", PASSWORD)
    assert marketing.scope == Scope.branches((1, 2))


def test_wrong_password_is_throttled_then_even_the_right_one_waits(
    bank: sa.Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    for _ in range(auth.MAX_FAILURES):
        with pytest.raises(auth.SignInRefused, match="wrong"):
            auth.authenticate(bank, "li", "not it at all")
    with pytest.raises(auth.SignInRefused, match="throttled"):
        auth.authenticate(bank, "li", PASSWORD)
    assert len(_entries(bank, "sign_in_failed", "li")) == auth.MAX_FAILURES
    assert len(_entries(bank, "sign_in_throttled", "li")) == 1
    # the window passes (the log itself cannot be edited): older failures no longer count
    later = audit.now() + auth.THROTTLE_WINDOW + timedelta(seconds=1)
    monkeypatch.setattr(audit, "now", lambda: later)
    assert auth.authenticate(bank, "li", PASSWORD).username == "li"


def test_unknown_and_disabled_users_are_refused(bank: sa.Engine) -> None:
    with pytest.raises(auth.SignInRefused, match="wrong"):
        auth.authenticate(bank, "nobody", PASSWORD)
    with bank.begin() as conn:
        auth.set_active(conn, "li", False)
    with pytest.raises(auth.SignInRefused, match="disabled"):
        auth.authenticate(bank, "li", PASSWORD)


def test_session_resumes_then_expires_when_idle_or_old(bank: sa.Engine) -> None:
    user = auth.authenticate(bank, "li", PASSWORD)
    token = auth.open_session(bank, user)
    assert auth.resume_session(bank, token) == user  # a reload within the session's life
    assert auth.resume_session(bank, token + "x") is None
    idle, _ = auth.session_limits()
    with bank.begin() as conn:
        conn.execute(
            user_sessions.update().values(last_seen_at=user_sessions.c.last_seen_at - idle)
        )
    assert auth.resume_session(bank, token) is None
    assert auth.resume_session(bank, token) is None  # stays ended
    assert [r.detail for r in _entries(bank, "session_expired")] == ['{"reason": "idle"}']
    old = auth.open_session(bank, user)
    with bank.begin() as conn:
        conn.execute(
            user_sessions.update()
            .where(user_sessions.c.ended_at.is_(None))
            .values(expires_at=user_sessions.c.created_at - timedelta(seconds=1))
        )
    assert auth.resume_session(bank, old) is None


def test_sign_out_ends_the_session_and_is_audited_once(bank: sa.Engine) -> None:
    user = auth.authenticate(bank, "mk", PASSWORD)
    token = auth.open_session(bank, user)
    auth.end_session(bank, token, "mk")
    assert auth.resume_session(bank, token) is None
    assert len(_entries(bank, "sign_in", "mk")) == 1
    assert len(_entries(bank, "sign_out", "mk")) == 1


def test_new_password_or_role_ends_open_sessions(bank: sa.Engine) -> None:
    user = auth.authenticate(bank, "mk", PASSWORD)
    token = auth.open_session(bank, user)
    with bank.begin() as conn:
        auth.assign(conn, "mk", "marketing", branch_ids=(2,))
    assert auth.resume_session(bank, token) is None
    again = auth.authenticate(bank, "mk", PASSWORD)
    assert again.scope == Scope.branches((2,))


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"password": "short", "role_code": "marketing"}, "at least 8"),
        ({"password": PASSWORD, "role_code": "boss"}, "unknown role"),
        ({"password": PASSWORD, "role_code": "officer"}, "officer user needs"),
        ({"password": PASSWORD, "role_code": "credit"}, "needs a branch"),
        ({"password": PASSWORD, "role_code": "officer", "officer_id": 99}, "no officer 99"),
    ],
)
def test_bad_accounts_are_refused_with_a_clear_message(
    bank: sa.Engine, kwargs: dict, message: str
) -> None:
    with pytest.raises(InvalidFilter, match=message), bank.begin() as conn:
        auth.create_user(conn, "new", **kwargs)


def test_every_role_builds_a_scope() -> None:
    finder = {"find_by": FINDABLE}  # they may find a customer by phone or ID number
    assert scope_for("admin", None, None) == replace(Scope.bank(), **finder)
    assert scope_for("president", 3, None) == replace(Scope.branch(3), **finder)
    assert scope_for("president", None, None) == replace(Scope.bank(), **finder)
    assert scope_for("marketing", 3, None) == Scope.branch(3)
    assert scope_for("auditor", 3, None) == Scope.nothing()
    assert set(ROLES) == {
        "admin", "president", "marketing", "training", "officer", "credit", "auditor"
    }  # fmt: skip


def test_audit_log_keeps_six_months(bank: sa.Engine) -> None:
    with bank.begin() as conn, pytest.raises(InvalidFilter, match="at least 183"):
        audit.prune(conn, 90)


def test_users_cli_create_list_disable(tmp_path) -> None:  # type: ignore[no-untyped-def]
    from data_access.engine import create_schema, make_engine

    url = f"duckdb:///{tmp_path / 'cli.duckdb'}"
    engine = make_engine(url)
    create_schema(engine)
    engine.dispose()

    def cli(*args: str, stdin: str = "") -> subprocess.CompletedProcess:
        return subprocess.run(
            [sys.executable, "-m", "data_access", "users", "--url", url, *args],
            input=stdin, capture_output=True, text=True, check=False,
        )  # fmt: skip

    made = cli("create", "wang", "--role", "credit", "--branch", "2", "--password-stdin",
               stdin=PASSWORD + "\n")  # fmt: skip
    assert made.returncode == 0, made.stderr
    listed = cli("list")
    assert "wang" in listed.stdout and "credit" in listed.stdout and PASSWORD not in listed.stdout
    bad = cli("create", "zhao", "--role", "officer", "--password-stdin", stdin=PASSWORD + "\n")
    assert bad.returncode == 1 and "officer user needs" in bad.stderr
    assert cli("disable", "wang").returncode == 0
    assert "disabled" in cli("list").stdout
    with pytest.raises(auth.SignInRefused, match="disabled"):
        auth.authenticate(sa.create_engine(url), "wang", PASSWORD)


def test_the_first_admin_is_created_as_the_readme_writes_it(tmp_path) -> None:  # type: ignore[no-untyped-def]
    """`users create NAME --role admin --name … --url URL` (the URL after the action) works."""
    from data_access.engine import create_schema, make_engine

    url = f"duckdb:///{tmp_path / 'first.duckdb'}"
    engine = make_engine(url)
    create_schema(engine)
    engine.dispose()
    made = subprocess.run(
        [sys.executable, "-m", "data_access", "users", "create", "it_admin", "--role", "admin",
         "--name", "信息科 王", "--url", url, "--password-stdin"],
        input=PASSWORD + "\n", capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert made.returncode == 0, made.stderr
    listed = subprocess.run(
        [sys.executable, "-m", "data_access", "users", "list", "--url", url],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert "it_admin" in listed.stdout and "信息科 王" in listed.stdout
    user = auth.authenticate(sa.create_engine(url), "it_admin", PASSWORD)
    assert user.role == "admin" and user.scope.visible_branch_ids is None  # the whole bank
