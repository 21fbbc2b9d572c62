"""App tests of the officer-engagement page on the demo bank (AppTest)."""

from __future__ import annotations

import json
from collections.abc import Callable

import pandas as pd
import polars as pl
import pytest
import sqlalchemy as sa
from streamlit.testing.v1 import AppTest

from data_access.filters import Scope
from data_access.queries import org

BOOK_ROLES = ("customer_manager", "credit_officer")


def assert_renders(at: AppTest) -> None:
    assert not at.exception, [e.value for e in at.exception]
    assert not at.error, [e.value for e in at.error]


def metric(at: AppTest, label: str) -> str:
    return next(m.value for m in at.metric if m.label == label)


def table_with(at: AppTest, column: str) -> pd.DataFrame:
    return next(d.value for d in at.dataframe if column in d.value.columns)


def heatmap_weeks(at: AppTest) -> int:
    spec = json.loads(at.get("plotly_chart")[0].proto.spec)
    return len(spec["data"][0]["x"])


@pytest.fixture(scope="module")
def officers_df(demo_engine: sa.Engine) -> pl.DataFrame:
    with demo_engine.connect() as conn:
        return org.fetch_officers(conn, Scope.bank())


def test_renders_on_the_demo_bank(app_test: Callable[..., AppTest]) -> None:
    at = app_test("officers", lang="en")
    assert_renders(at)
    assert at.title[0].value == "Officer engagement"
    assert len(at.get("plotly_chart")) == 5  # heatmap, league, books, fields, before/after
    assert heatmap_weeks(at) == 12
    sentences = [m.value for m in at.markdown if "visits/week (95% CI" in m.value]
    assert len(sentences) == 1 and sentences[0].startswith("**+")  # the planted uplift
    assert "excludes 0" in sentences[0]
    league = table_with(at, "Rank")
    assert league["Score"].between(0, 100).all()
    assert list(league["Score"]) == sorted(league["Score"], reverse=True)
    names = table_with(at, "Declared income (CNY)")["Name"].dropna()
    assert len(names) > 0 and names.str.fullmatch(r".\*+").all()  # masked 张*


def test_chinese_labels(app_test: Callable[..., AppTest]) -> None:
    at = app_test("officers", lang="zh")
    assert_renders(at)
    assert at.title[0].value == "客户经理足迹运用"
    assert any("95% 置信区间" in m.value for m in at.markdown)


def test_one_branch_shows_only_its_officers(
    app_test: Callable[..., AppTest], officers_df: pl.DataFrame, demo_engine: sa.Engine
) -> None:
    with demo_engine.connect() as conn:
        branches = org.fetch_branches(conn, Scope.bank())
    branch_id, name_en = branches.select("branch_id", "name_en").row(0)
    book = officers_df.filter((pl.col("branch_id") == branch_id) & pl.col("role").is_in(BOOK_ROLES))
    at = app_test("officers", lang="en", branches=str(branch_id))
    assert_renders(at)
    assert metric(at, "Officers") == str(book.height)
    league = table_with(at, "Rank")
    assert set(league["Branch"]) == {name_en}
    assert set(league["Officer"]) == set(book["name"])


def test_a_shorter_period_narrows_the_heatmap(app_test: Callable[..., AppTest]) -> None:
    at = app_test("officers", lang="en")
    at.segmented_control(key="of_period").set_value(4).run()
    assert_renders(at)
    assert heatmap_weeks(at) == 4


def test_a_teller_alone_is_an_empty_selection(
    app_test: Callable[..., AppTest], officers_df: pl.DataFrame
) -> None:
    teller = officers_df.filter(pl.col("role") == "teller")["officer_id"][0]
    at = app_test("officers", lang="en", officers=str(teller))
    assert not at.exception
    assert any("No officer with a customer book" in i.value for i in at.info)
    assert not at.get("plotly_chart")
