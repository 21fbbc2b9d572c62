"""Admin page (AppTest): users with roles and scopes, creating one, approving a large export."""

from __future__ import annotations

import re
from collections.abc import Callable

import sqlalchemy as sa
from streamlit.testing.v1 import AppTest

from data_access import audit, auth
from data_access.schema import export_approvals, users


def test_admin_lists_and_creates_users(
    app_test: Callable[..., AppTest], demo_engine: sa.Engine
) -> None:
    at = app_test("admin", lang="en")
    assert not at.exception, at.exception
    listed = at.dataframe[0].value
    assert {"admin", "president", "marketing", "officer", "auditor"} <= set(listed["User name"])
    assert "password_hash" not in listed.columns
    assert "President" in set(listed["Role"])  # the role's name, not its code
    at.text_input[0].input("zhao_mk")
    at.text_input[1].input("赵营销")
    at.text_input[2].input("zhao-password-1")
    at.selectbox(key="admin_role").select("marketing")
    at.button[0].click().run()  # the form's submit (first button of the page)
    assert not at.exception, at.exception
    with demo_engine.connect() as conn:
        row = conn.execute(
            sa.select(users.c.role, users.c.display_name).where(users.c.username == "zhao_mk")
        ).one()
    assert row.display_name == "赵营销"
    assert auth.authenticate(demo_engine, "zhao_mk", "zhao-password-1").username == "zhao_mk"


def test_a_pending_export_is_approved_by_the_admin(
    app_test: Callable[..., AppTest], demo_engine: sa.Engine
) -> None:
    with demo_engine.begin() as conn:
        approval = audit.request_export(conn, "marketing", "segment_x.csv", 9_000, {"k": 1})
    at = app_test("admin", lang="en")
    assert not at.exception, at.exception
    at.button(key=f"approval_{approval}_True").click().run()
    assert not at.exception, at.exception
    with demo_engine.connect() as conn:
        status = conn.execute(
            sa.select(export_approvals.c.status, export_approvals.c.decided_by).where(
                export_approvals.c.approval_id == approval
            )
        ).one()
        assert tuple(status) == ("approved", "admin")
        assert audit.use_approval(conn, "marketing", "segment_x.csv", {"k": 1})
        assert not audit.use_approval(conn, "marketing", "segment_x.csv", {"k": 1})  # once


def test_admin_tables_speak_chinese(app_test: Callable[..., AppTest]) -> None:
    """The users' and the roles' tables have Chinese headers in the Chinese UI (they showed
    username, display_name, branch_id … and the roles' scope as bank, branch …)."""
    at = app_test("admin", lang="zh")
    assert not at.exception, at.exception
    listed, roles = at.dataframe[0].value, at.dataframe[-1].value
    for table in (listed, roles):
        assert not [c for c in table.columns if re.search("[A-Za-z]", c)], list(table.columns)
    assert "行长" in set(listed["角色"])
    assert not [s for s in roles["数据范围"] if re.search("[A-Za-z]", s)]
    assert "每周经营指标" in " ".join(roles["页面"])
