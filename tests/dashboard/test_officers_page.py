"""App tests of the officer-engagement page on the demo bank (AppTest)."""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterator
from datetime import date
from pathlib import Path

import pandas as pd
import polars as pl
import pytest
import sqlalchemy as sa
import streamlit as st
from streamlit.testing.v1 import AppTest

from data_access import schema
from data_access.engine import create_schema, make_engine
from data_access.filters import Scope
from data_access.queries import org
from tests.dashboard.conftest import assert_says_empty, open_page, open_tab, rendered, sign_in_as
from tests.data_access.test_officers_queries import _seed as seed_officers_bank
from tests.rows import insert_staff

BOOK_ROLES = ("customer_manager", "credit_officer")
APP = str(Path(__file__).parents[2] / "dashboard" / "app.py")


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


def chart_keys(at: AppTest) -> list[str]:
    return [c.key for c in at.get("plotly_chart")]


def test_renders_on_the_demo_bank(app_test: Callable[..., AppTest]) -> None:
    at = app_test("officers", lang="en")
    rendered(at)
    assert at.title[0].value == "Officer engagement"
    # only the open tab runs: the activity heatmap, nothing of the other three tabs
    assert chart_keys(at) == ["of_chart_heatmap"]
    assert heatmap_weeks(at) == 12
    assert not any("Rank" in d.value.columns for d in at.dataframe)

    open_tab(at, "officers", "league")
    rendered(at)
    assert chart_keys(at) == ["of_chart_league"]
    league = table_with(at, "Rank")
    assert league["Score"].between(0, 100).all()
    assert list(league["Score"]) == sorted(league["Score"], reverse=True)

    open_tab(at, "officers", "quality")
    rendered(at)
    assert chart_keys(at) == ["of_chart_books", "of_chart_fields"]
    names = table_with(at, "Declared income (CNY)")["Name"].dropna()
    assert len(names) > 0 and names.str.fullmatch(r".\*+").all()  # masked 张*

    open_tab(at, "officers", "training")
    rendered(at)
    assert chart_keys(at) == ["of_chart_did", "of_chart_levels"]
    sentences = [m.value for m in at.markdown if "visits/week (95% CI" in m.value]
    assert len(sentences) == 1 and sentences[0].startswith("**+")  # the planted uplift
    assert "excludes 0" in sentences[0]


def test_the_open_tab_survives_a_language_switch_and_lives_in_the_url(
    app_test: Callable[..., AppTest],
) -> None:
    at = app_test("officers", lang="en")
    assert "tab" not in at.query_params  # the first tab keeps the URL short
    open_tab(at, "officers", "training")
    assert at.query_params["tab"] == "training"
    assert at.session_state["w_tab_officers"] == "Training and coaching"
    at.segmented_control(key="w_lang").set_value("zh").run()
    rendered(at)
    assert at.session_state["w_tab_officers"] == "培训与辅导"
    assert chart_keys(at) == [
        "of_chart_did",
        "of_chart_levels",
    ]  # still the training tab, in Chinese


def test_a_link_with_a_tab_opens_that_tab(app_test: Callable[..., AppTest]) -> None:
    at = app_test("officers", lang="en", tab="quality")
    rendered(at)
    assert chart_keys(at) == ["of_chart_books", "of_chart_fields"]
    bad = app_test("officers", lang="en", tab="nonsense")
    rendered(bad)
    assert chart_keys(bad) == ["of_chart_heatmap"]  # an unknown tab falls back to the first


def test_the_contradicted_declarations_link_their_customers(
    app_test: Callable[..., AppTest],
) -> None:
    """The information-quality tab lists customers whose declared income the footprints
    contradict: each customer number opens that customer, as on every list that names one."""
    at = app_test("officers", lang="en", tab="quality")
    assert not at.exception
    listed = next(d.value for d in at.dataframe if "Declared ÷ received" in d.value.columns)
    assert len(listed) and listed["Customer"].str.startswith("/customer?customer=").all()


def test_chinese_labels(app_test: Callable[..., AppTest]) -> None:
    at = app_test("officers", lang="zh", tiers="vip", tab="training")
    rendered(at)
    assert at.title[0].value == "客户经理足迹运用"
    assert any("95% 置信区间" in m.value for m in at.markdown)
    assert any("不按客户层级筛选" in c.value for c in at.caption)  # says the tier filter is moot


def test_one_branch_shows_only_its_officers(
    app_test: Callable[..., AppTest], officers_df: pl.DataFrame, demo_branches: pl.DataFrame
) -> None:
    branch_id, name_en = demo_branches.select("branch_id", "name_en").row(0)
    book = officers_df.filter((pl.col("branch_id") == branch_id) & pl.col("role").is_in(BOOK_ROLES))
    at = app_test("officers", lang="en", branches=str(branch_id), tab="league")
    rendered(at)
    assert metric(at, "Officers") == str(book.height)
    league = table_with(at, "Rank")
    assert set(league["Branch"]) == {name_en}
    assert set(league["Officer"]) == set(book["name"])


def test_a_shorter_period_narrows_the_heatmap(app_test: Callable[..., AppTest]) -> None:
    at = app_test("officers", lang="en")
    at.segmented_control(key="of_period").set_value(4).run()
    rendered(at)
    assert heatmap_weeks(at) == 4


def test_a_teller_alone_is_an_empty_selection(
    app_test: Callable[..., AppTest], officers_df: pl.DataFrame
) -> None:
    teller = officers_df.filter(pl.col("role") == "teller")["officer_id"][0]
    at = app_test("officers", lang="en", officers=str(teller))
    assert_says_empty(at, "No officer with a customer book")


# --- a tiny seeded bank: exact numbers and an empty period --------------------------------------


def _bank(tmp_path_factory: pytest.TempPathFactory, name: str, with_work: bool) -> str:
    url = f"duckdb:///{tmp_path_factory.mktemp(name) / 'bank.duckdb'}"
    engine = make_engine(url)
    create_schema(engine)
    if with_work:
        seed_officers_bank(engine)
    else:
        with engine.begin() as conn:
            insert_staff(
                conn, (10,), ((1, 10),), officer_name="李{}", hired=date(2020, 1, 1),
                name="支行{}", name_en="B{}",
            )  # fmt: skip
    with engine.begin() as conn:
        conn.execute(sa.insert(schema.bank_meta), [{"key": "data_as_of", "value": "2026-11-22"}])
    engine.dispose()
    return url


@pytest.fixture
def seeded_app(
    tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Callable[..., AppTest]]:
    """Factory: ``seeded_app(with_work=True, lang="en", branches="20")``."""

    def run(with_work: bool, **query: str) -> AppTest:
        monkeypatch.setenv("FOOTPRINT_DATABASE_URL", _bank(tmp_path_factory, "of", with_work))
        st.cache_data.clear()
        st.cache_resource.clear()
        return open_page(os.environ["FOOTPRINT_DATABASE_URL"], "officers", **query)

    yield run
    os.environ.pop("FOOTPRINT_DATABASE_URL", None)


@pytest.mark.parametrize(
    ("query", "officers", "visits"),
    [
        # 12 weeks to 2026-11-22: officer 1 visited twice, 2 once, 3 once (on 11-08)
        pytest.param({}, "3", f"{4 / 3 / 12:.1f}", id="bank"),
        pytest.param({"branches": "10"}, "2", f"{3 / 2 / 12:.1f}", id="branch-10"),
        pytest.param({"branches": "20"}, "1", f"{1 / 12:.1f}", id="branch-20"),
    ],
)
def test_seeded_bank_exact_numbers(
    seeded_app: Callable[..., AppTest], query: dict, officers: str, visits: str
) -> None:
    at = seeded_app(True, lang="en", **query)
    rendered(at)
    assert metric(at, "Officers") == officers
    assert metric(at, "Visits per officer-week") == visits


def test_seeded_bank_without_any_work_says_so(seeded_app: Callable[..., AppTest]) -> None:
    at = seeded_app(False, lang="en")
    assert_says_empty(at, "No data for this selection")


def test_a_branch_scope_is_still_measured_against_the_bank(
    app_test: Callable[..., AppTest], demo_branches: pl.DataFrame, demo_app_url: str
) -> None:
    branch_id = int(demo_branches["branch_id"][1])
    filtered = app_test("officers", lang="en", branches=str(branch_id), tab="league")
    rendered(filtered)
    scoped = AppTest.from_file(APP, default_timeout=120)
    sign_in_as(scoped, demo_app_url, "president", branch_id=branch_id)
    scoped.query_params["lang"] = "en"
    scoped.query_params["tab"] = "league"
    scoped.run()
    scoped.switch_page("pages/officers.py").run()
    rendered(scoped)
    # the same officers with the same scores: the benchmark is the bank's 90th percentile
    cols = ["Officer", "Score"]
    pd.testing.assert_frame_equal(
        table_with(scoped, "Rank")[cols], table_with(filtered, "Rank")[cols]
    )


@pytest.mark.parametrize("rows", [60, 6])
def test_charts_draw_at_most_so_many_officers_and_say_so(
    app_test: Callable[..., AppTest], monkeypatch: pytest.MonkeyPatch, rows: int
) -> None:
    from dashboard.charts import officers as charts

    monkeypatch.setattr(charts, "CHART_ROWS", rows)  # 6: the demo's officers overflow it
    at = app_test("officers", lang="en")
    rendered(at)
    shown = int(metric(at, "Officers").replace(",", ""))
    for tab, phrase in (
        ("activity", "highest and lowest engagement"),
        ("league", "highest and lowest engagement"),
        ("quality", "least and most complete books"),
    ):
        open_tab(at, "officers", tab)
        traces = json.loads(at.get("plotly_chart")[0].proto.spec)["data"]
        drawn = len({label for trace in traces for label in trace["y"]})
        capped = [c.value for c in at.caption if phrase in c.value]
        if shown > rows:
            assert drawn == rows and len(capped) == 1, tab
        else:
            assert drawn == shown and capped == [], tab
    if rows == 6:
        assert shown > rows  # the capped branch really ran
        league = table_with(open_tab(at, "officers", "league"), "Rank")
        assert len(league) == shown  # the table still lists every officer


def test_a_choice_inside_a_tab_is_kept_while_the_tab_is_closed(
    app_test: Callable[..., AppTest],
) -> None:
    at = app_test("officers", lang="en")
    at.segmented_control(key="of_kind").set_value("soft").run()
    open_tab(at, "officers", "league")
    open_tab(at, "officers", "activity")
    rendered(at)
    assert at.segmented_control(key="of_kind").value == "soft"
    assert any("Soft footprints" in s.value for s in at.subheader)
