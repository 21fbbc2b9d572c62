"""Weekly KPI charts: pure figure builders called directly."""

from __future__ import annotations

from datetime import date, timedelta

import polars as pl
import pytest

from dashboard.charts import kpis as charts
from dashboard.i18n import catalog

W = date(2026, 11, 16)
NAMES = {"value": "This year", "prior_year": "Prior year", "target": "Target"}


@pytest.mark.parametrize(
    ("kpi", "lang", "divisor", "tickformat", "from_zero"),
    [
        pytest.param("deposit_balance", "zh", 10_000.0, ",.1f", False, id="balance-zh-wan"),
        pytest.param("deposit_balance", "en", 1_000.0, ",.0f", False, id="balance-en-thousands"),
        pytest.param("outflow_other_banks", "zh", 10_000.0, ",.1f", True, id="outflow-money-flow"),
        pytest.param("new_customers", "zh", 1.0, ",.0f", True, id="count-flow"),
        pytest.param("effective_customers", "en", 1.0, ",.0f", False, id="count-stock"),
    ],
)
def test_axis_for(kpi: str, lang: str, divisor: float, tickformat: str, from_zero: bool) -> None:
    axis = charts.axis_for(kpi, lang, "万元", "个")
    assert (axis.divisor, axis.tickformat, axis.from_zero) == (divisor, tickformat, from_zero)


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_the_axis_of_a_count_reads_as_a_word(lang: str) -> None:
    """Plotly turns a y-axis title on its side: the Chinese unit 个, one character, read as an
    arrow (←) beside the counts of the page and the weekly report; the title is a word."""
    title = catalog()["kpis.unit_count"][lang]
    assert len(title) >= 2 and charts.axis_for("new_customers", lang, "万元", title).title == title


def test_select_all_means_only_the_dropdowns_select_all() -> None:
    """全选 is the dropdowns' "Select all": the attainment chart's "(selection)" read
    目标完成率(全选范围), "the select-all range", where 所选范围 (the range selected) was meant."""
    uses = sorted(k for k, text in catalog().items() if "全选" in text["zh"])
    assert uses == ["frontend.select_all"], uses


def test_trend_figure_scales_and_skips_empty_lines() -> None:
    trend = pl.DataFrame(
        {
            "week_start": [W - timedelta(weeks=1), W],
            "value": [20_000.0, 30_000.0],
            "prior_year": [10_000.0, None],
            "target": [None, None],
        },
        schema={
            "week_start": pl.Date,
            "value": pl.Float64,
            "prior_year": pl.Float64,
            "target": pl.Float64,
        },
    )
    fig = charts.trend_figure(
        trend, title="存款余额", axis=charts.Axis(10_000.0, "万元", ",.1f"), names=NAMES
    )
    assert [tr.name for tr in fig.data] == ["This year", "Prior year"]  # no target line
    assert list(fig.data[0].y) == [2.0, 3.0]
    assert list(fig.data[1].y) == [1.0, None]
    assert fig.data[1].line.dash == "dash"
    assert fig.layout.yaxis.title.text == "万元"
    assert fig.layout.title.text == "存款余额"
    assert fig.layout.yaxis.rangemode == "tozero"  # Axis defaults to a flow
    # numeric dates in ticks and in the unified hover header (plotly's default is English)
    assert (fig.layout.xaxis.tickformat, fig.layout.xaxis.hoverformat) == ("%Y-%m", "%Y-%m-%d")


def test_ranking_figure_best_on_top_and_colours() -> None:
    ranking = pl.DataFrame(
        {"rank": [1, 2, None], "branch_id": [2, 1, 3], "score": [1.2, 0.8, None]},
        schema={"rank": pl.Int64, "branch_id": pl.Int64, "score": pl.Float64},
    )
    fig = charts.ranking_figure(
        ranking, title="t", names={1: "城关", 2: "东关"}, score_label="完成率"
    )
    bar = fig.data[0]
    # plotly draws the first category at the bottom: the best branch comes last
    assert list(bar.y) == ["城关", "东关"]
    assert list(bar.x) == [0.8, 1.2]
    assert list(bar.marker.color) == [charts.COLORS["bad"], charts.COLORS["value"]]
    assert list(bar.text) == ["80.0%", "120.0%"]


def test_attainment_figure_reads_the_same_way_for_every_kpi() -> None:
    """Outflows' attainment is target ÷ actual (metrics.kpis): 2.0 = half the allowed outflow."""
    bank = pl.DataFrame(
        {
            "kpi": ["deposit_balance", "outflow_other_banks", "aum", "new_customers"],
            "attainment": [0.996, 2.0, None, 0.0],
        }
    )
    fig = charts.attainment_figure(
        bank,
        title="t",
        labels={"deposit_balance": "存款", "outflow_other_banks": "流出", "new_customers": "新增"},
        target_label="目标",
    )
    bar = fig.data[0]
    assert list(bar.x) == ["存款", "流出", "新增"]
    assert list(bar.marker.color) == [charts.COLORS[c] for c in ("bad", "value", "bad")]
    # just below the target reads below it: a red bar labelled "100%" said the opposite
    assert list(bar.text) == ["99.6%", "200.0%", "0.0%"]
    assert list(bar.textposition) == ["auto", "auto", "outside"]  # no bar: the 0.0% above it
    # the KPI names under the bars make room for themselves: in the English weekly report,
    # turned on their side under narrow bars, they were cut to "Dep…", "Lo…" by a 10 px margin
    assert fig.layout.xaxis.automargin is True
