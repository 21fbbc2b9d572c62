"""Weekly KPIs page on the demo bank (AppTest): renders, honours the sidebar, report matches the cards."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from datetime import timedelta

import pytest
import sqlalchemy as sa
import streamlit as st
from streamlit.testing.v1 import AppTest

from dashboard.format import pct
from dashboard.report import KPI_ORDER, build_weekly_report, card_label, card_text, kpi_text
from data_access.engine import create_schema, make_engine
from data_access.schema import bank_meta, branch_weekly_balances, branches, officers
from tests.conftest import sql_one
from tests.dashboard.conftest import open_page, open_tab, rendered

DEPOSIT = card_label("deposit_balance", "en")


def _cards(at: AppTest) -> dict[str, str]:
    return {m.label: m.value for m in at.metric}


def _cny(text: str) -> float:
    """A money card in English ("CNY '000"): '1,759,302' -> 1,759,302,000 (display precision)."""
    assert re.fullmatch(r"-?[\d,]+", text), text
    return float(text.replace(",", "")) * 1_000


def test_renders_in_english(app_test: Callable[..., AppTest]) -> None:
    at = app_test("kpis", lang="en")
    rendered(at)
    cards = _cards(at)
    assert set(cards) == {card_label(k, "en") for k in KPI_ORDER}
    assert DEPOSIT == "Deposit balance (CNY '000)"
    assert all(v != "—" for v in cards.values()), cards
    assert _cny(cards["AUM (CNY '000)"]) > _cny(cards[DEPOSIT]) > 0
    # the trends tab is open; the ranking and league tabs are not drawn until opened
    assert [c.key for c in at.get("plotly_chart")] == ["kpis_trend_chart", "kpis_attainment_chart"]
    # The download builds the report from what the page computed: the cards and the report
    # show the same figures (cards in CNY '000, the report in full).
    report = at.session_state["kpis_report"]
    doc = build_weekly_report(report)
    for row in report.bank.iter_rows(named=True):
        kpi = row["kpi"]
        assert cards[card_label(kpi, "en")] == card_text(kpi, row["value"], "en")
        # the report's table keeps one money unit down each column
        assert f">{kpi_text(kpi, row['value'], 'en', one_unit=True)}<" in doc, kpi
        # attainment as in the report, to one decimal: 99.9% is not shown as a met "100%"
        assert any(f"target {pct(row['attainment'])}" in c.value for c in at.caption), kpi


def test_renders_in_chinese_with_wan(app_test: Callable[..., AppTest]) -> None:
    at = app_test("kpis", lang="zh")
    rendered(at)
    cards = _cards(at)
    assert re.fullmatch(r"[\d,]+\.\d", cards["存款余额(万元)"]), cards
    assert at.title[0].value == "每周经营指标"
    doc = build_weekly_report(at.session_state["kpis_report"])
    assert "万元" in doc and "存款余额" in doc


def test_one_branch_has_less_deposit(
    app_test: Callable[..., AppTest], demo_engine: sa.Engine
) -> None:
    everyone = _cny(_cards(app_test("kpis", lang="en"))[DEPOSIT])
    with demo_engine.connect() as conn:
        first = conn.execute(sa.select(sa.func.min(branches.c.branch_id))).scalar_one()
    at = app_test("kpis", lang="en", branches=str(first))  # as a shared link would carry it
    rendered(at)
    assert at.multiselect(key="w_branches").value == [first]
    one = _cny(_cards(at)[DEPOSIT])
    assert 0 < one < everyone
    assert at.session_state["kpis_report"].selection != "All branches"
    assert at.query_params["branches"] == str(first)
    at.multiselect(key="w_branches").set_value([]).run()  # back to all branches
    assert _cny(_cards(at)[DEPOSIT]) == everyone
    assert "branches" not in at.query_params and "officers" not in at.query_params


def test_officer_filter_narrows_customer_kpis_not_balances(
    app_test: Callable[..., AppTest], demo_engine: sa.Engine
) -> None:
    whole = _cards(app_test("kpis", lang="en"))
    with demo_engine.connect() as conn:
        officer = conn.execute(sa.select(sa.func.min(officers.c.officer_id))).scalar_one()
    at = app_test("kpis", lang="en", officers=str(officer))
    rendered(at)
    mine = _cards(at)
    assert mine[DEPOSIT] == whole[DEPOSIT]  # ledger balances are branch figures
    effective = card_label("effective_customers", "en")
    assert int(mine[effective].replace(",", "")) < int(whole[effective].replace(",", ""))
    assert any("ledger figures" in i.value for i in at.info)


def test_earlier_week_shows_that_week(
    app_test: Callable[..., AppTest], demo_engine: sa.Engine
) -> None:
    latest = app_test("kpis", lang="en").selectbox(key="w_week").value
    earlier = latest - timedelta(weeks=5)
    # A fresh run from the URL: AppTest reruns a page of a pages/ folder without the router, so a
    # sidebar change is tested the way a shared link carries it.
    at = app_test("kpis", lang="en", week=earlier.isoformat())
    rendered(at)
    assert at.selectbox(key="w_week").value == earlier
    assert at.session_state["kpis_report"].week == earlier
    with demo_engine.connect() as conn:
        expected = conn.execute(
            sa.select(sa.func.sum(branch_weekly_balances.c.deposit_balance)).where(
                branch_weekly_balances.c.week_start == earlier
            )
        ).scalar_one()
    assert _cards(at)[DEPOSIT] == card_text("deposit_balance", expected, "en")


def test_no_data_for_the_week_is_a_message(tmp_path, monkeypatch: pytest.MonkeyPatch) -> None:
    engine = make_engine(f"duckdb:///{tmp_path / 'empty.duckdb'}")
    create_schema(engine)
    with engine.begin() as conn:
        conn.execute(sa.insert(bank_meta), [{"key": "data_as_of", "value": "2026-11-22"}])
    engine.dispose()
    monkeypatch.setenv("FOOTPRINT_DATABASE_URL", f"duckdb:///{tmp_path / 'empty.duckdb'}")
    st.cache_data.clear()
    st.cache_resource.clear()
    at = open_page(f"duckdb:///{tmp_path / 'empty.duckdb'}", "kpis", lang="en")
    assert not at.exception
    assert [i.value for i in at.info] == [
        "No KPI data for this week in this selection. Try another week or branch."
    ]
    assert not at.metric
    st.cache_data.clear()
    st.cache_resource.clear()


def _book_officers() -> int:
    """Active customer managers and credit officers of the demo bank (read from its URL)."""
    import os

    engine = sa.create_engine(os.environ["FOOTPRINT_DATABASE_URL"])
    n = sql_one(
        engine,
        "SELECT count(*) FROM officers WHERE active "
        "AND role IN ('customer_manager', 'credit_officer')",
    )
    engine.dispose()
    return int(n)


def test_tabs_draw_when_opened_and_keep_the_trend_choice(app_test: Callable[..., AppTest]) -> None:
    at = app_test("kpis", lang="en")
    at.selectbox(key="kpis_trend_kpi").set_value("loan_balance").run()
    open_tab(at, "kpis", "rank")
    rendered(at)
    assert [c.key for c in at.get("plotly_chart")] == ["kpis_ranking_chart"]
    ranking = next(d.value for d in at.dataframe if "Overall attainment" in d.value.columns)
    assert list(ranking["Rank"]) == sorted(ranking["Rank"])
    open_tab(at, "kpis", "league")
    rendered(at)
    assert not at.get("plotly_chart")
    league = next(d.value for d in at.dataframe if "Officer" in d.value.columns)
    # the officers who keep a book, as the officer page counts them (tellers keep none)
    assert len(league) == _book_officers()
    open_tab(at, "kpis", "trend")
    rendered(at)
    assert at.selectbox(key="kpis_trend_kpi").value == "loan_balance"  # kept while closed
    title = json.loads(at.get("plotly_chart")[0].proto.spec)["layout"]["title"]["text"]
    assert title == "Loan balance"


def test_a_branch_president_sees_the_branch_named(app_test: Callable[..., AppTest]) -> None:
    """The demo president's scope is one branch: the cards and the report name it, not "All
    branches" (which reads as the bank's figures)."""
    at = app_test("kpis", user="president", lang="en")
    rendered(at)
    assert at.session_state["scope"].level == "branch"
    report = at.session_state["kpis_report"]
    (name,) = report.ranking["branch"].to_list()  # the one branch in reach
    header = next(s.value for s in at.subheader if s.value.startswith("This week"))
    assert header == f"This week · {name}"
    assert report.selection == name


def test_a_branch_presidents_sidebar_names_the_branch(app_test: Callable[..., AppTest]) -> None:
    at = app_test("kpis", user="president", lang="en")
    rendered(at)
    (name,) = at.session_state["kpis_report"].ranking["branch"].to_list()
    assert at.multiselect(key="w_branches").proto.placeholder == name
    assert at.multiselect(key="w_tiers").proto.placeholder == "All tiers"  # several: "all"
