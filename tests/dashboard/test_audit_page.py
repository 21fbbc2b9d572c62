"""Audit page (AppTest): the auditor sees the log and nothing else; every audited action once."""

from __future__ import annotations

from collections.abc import Callable

import sqlalchemy as sa
from streamlit.testing.v1 import AppTest

from data_access.schema import audit_log


def _entries(engine: sa.Engine, username: str, action: str) -> list[tuple]:
    a = audit_log.c
    stmt = (
        sa.select(a.target, a.row_count, a.detail)
        .where(a.username == username, a.action == action)
        .order_by(a.audit_id)
    )
    with engine.connect() as conn:
        return [tuple(r) for r in conn.execute(stmt)]


def test_auditor_reads_the_log(app_test: Callable[..., AppTest], demo_engine: sa.Engine) -> None:
    at = app_test("audit", user="auditor", lang="en")
    assert not at.exception, at.exception
    assert at.title[0].value == "Audit log"
    log = at.dataframe[0].value
    assert {"Time", "User", "Action", "Target", "Rows"} <= set(log.columns)
    # the auditor's own sign-in is there, once per session
    assert "Sign-in" in set(log["Action"][log["User"] == "auditor"])
    assert len(at.get("download_button")) == 1


def test_actions_in_the_readers_language(app_test: Callable[..., AppTest]) -> None:
    """The log and its filter name actions in words (they showed codes like page_view); picking
    one by its label filters by its code."""
    at = app_test("audit", user="auditor", lang="zh")
    assert not at.exception, at.exception
    shown = set(at.dataframe[0].value["操作"])
    assert {"登录", "查看页面"} <= shown
    assert not shown & {"sign_in", "page_view"}
    picker = at.multiselect(key="au_actions")
    assert picker.format_func("sign_in") == "登录"
    picker.set_value(["sign_in"]).run()
    assert set(at.dataframe[0].value["操作"]) == {"登录"}


def test_log_headers_in_chinese(app_test: Callable[..., AppTest]) -> None:
    """The Chinese UI's log has Chinese headers (it showed audit_id, occurred_at, username …)."""
    at = app_test("audit", user="auditor", lang="zh")
    assert not at.exception, at.exception
    assert list(at.dataframe[0].value.columns) == [
        "编号",
        "时间",
        "用户",
        "操作",
        "对象",
        "详情",
        "行数",
    ]


def test_page_views_are_logged_once_per_view_with_filters(
    app_test: Callable[..., AppTest], demo_engine: sa.Engine
) -> None:
    before = len(_entries(demo_engine, "marketing", "page_view"))
    at = app_test("segments", user="marketing", lang="en")
    assert not at.exception, at.exception
    at.run()  # a rerun of the same view is not another view
    views = _entries(demo_engine, "marketing", "page_view")[before:]
    assert [v[0] for v in views] == ["home", "segments"]
    assert '"tiers": []' in views[-1][2] and '"week": "' in views[-1][2]
    at.multiselect(key="w_tiers").set_value(["vip"]).run()
    views = _entries(demo_engine, "marketing", "page_view")[before:]
    assert [v[0] for v in views] == ["home", "segments", "segments"]
    assert '"tiers": ["vip"]' in views[-1][2]


def test_auditor_sees_no_customer_page(app_test: Callable[..., AppTest]) -> None:
    at = app_test("home", user="auditor", lang="en")
    links = {link.label for link in at.get("page_link")}
    assert links == {"Audit log"}  # a hand-edited URL is refused: tests/browser/test_access.py
    assert not at.dataframe
