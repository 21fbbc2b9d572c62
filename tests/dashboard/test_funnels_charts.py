"""The funnels page's pure chart, table and export builders, called directly."""

from __future__ import annotations

import csv
import io
from datetime import date, datetime

import polars as pl

from dashboard.charts import funnels as charts
from dashboard.export import csv_bytes
from metrics.funnels import breakdown, entry_week_trend, mark_reached, stage_counts

STAGES = ("targeted", "contacted", "interested", "applied", "converted")
LABELS = {"targeted": "目标客户", "contacted": "已触达", "interested": "有意向", "applied": "已申请",
          "converted": "已成交"}  # fmt: skip
PIVOT = pl.DataFrame(
    {
        "customer_id": [1, 2, 3],
        "branch_id": [1, 1, 2],
        "targeted_at": [datetime(2026, 1, 5), datetime(2026, 1, 5), datetime(2026, 1, 12)],
        "contacted_at": [datetime(2026, 1, 6), datetime(2026, 1, 6), None],
        "interested_at": [datetime(2026, 1, 7), None, None],
        "applied_at": [datetime(2026, 1, 8), None, None],
        "converted_at": [datetime(2026, 1, 9), None, None],
    }
)
REACHED = mark_reached(PIVOT, STAGES, 30)


def test_funnel_chart_shows_counts_in_stage_order_with_labels() -> None:
    fig = charts.funnel_chart(stage_counts(REACHED, STAGES), LABELS)
    (trace,) = fig.data
    assert trace.type == "funnel"
    assert list(trace.y) == ["目标客户", "已触达", "有意向", "已申请", "已成交"]
    assert list(trace.x) == [3, 2, 1, 1, 1]
    assert "of previous" in trace.texttemplate
    # one decimal, as the rates table and the cards ("2.8%", not a chart's "3%")
    assert "%{percentInitial:.1%}" in trace.texttemplate
    assert "%{percentPrevious:.1%}" in trace.texttemplate


def test_funnel_chart_names_the_rates_in_the_readers_language() -> None:
    fig = charts.funnel_chart(stage_counts(REACHED, STAGES), LABELS, ("占首步", "占上一步"))
    assert "占首步" in fig.data[0].texttemplate and "of" not in fig.data[0].texttemplate
    # the hover too (plotly's default hover reads 'of initial', 'of previous' in English)
    assert "占首步" in fig.data[0].hovertemplate and "of" not in fig.data[0].hovertemplate


def test_rates_table_in_percent() -> None:
    headers = {"stage": "S", "customers": "N", "rate_vs_first": "F", "rate_vs_previous": "P"}
    table = charts.rates_table(stage_counts(REACHED, STAGES), LABELS, headers)
    assert table.columns == ["S", "N", "F", "P"]
    assert table["S"].to_list()[0] == "目标客户"
    assert table["F"].to_list() == [100.0, 66.7, 33.3, 33.3, 33.3]
    assert table["P"].to_list() == [100.0, 66.7, 50.0, 100.0, 100.0]


def test_breakdown_chart_and_table_label_groups() -> None:
    table = breakdown(REACHED, STAGES, "branch_id")
    fig = charts.breakdown_chart(
        table, {"1": "城关", "2": "新街"}, first="targeted", conversion_title="C", count_title="T"
    )
    (bar,) = fig.data
    assert list(bar.y) == ["新街", "城关"]  # largest group drawn at the top
    assert list(bar.x) == [0.0, 50.0]
    # no conversion is said, beside the bar of no length (inside it, it was not drawn)
    assert (list(bar.text), list(bar.textposition)) == (["0.0%", "50.0%"], ["outside", "auto"])
    assert list(bar.customdata) == [1, 2]
    shown = charts.breakdown_table(table, {"1": "城关"}, STAGES, LABELS, "G", "C")
    assert shown["G"].to_list() == ["城关", "2"]
    assert shown["目标客户"].to_list() == [2, 1]
    assert shown["C"].to_list() == [50.0, 0.0]


def test_time_to_convert_chart_marks_the_median() -> None:
    hist = pl.DataFrame({"bin_start": [0, 2, 4], "bin_end": [2, 4, 6], "customers": [1, 0, 3]})
    fig = charts.time_to_convert_chart(hist, 4.5, days_title="D", count_title="N", median_label="M")
    assert list(fig.data[0].x) == [1.0, 3.0, 5.0]
    assert list(fig.data[0].y) == [1, 0, 3]
    (line,) = fig.layout.shapes
    assert (line.x0, line.x1) == (4.5, 4.5)
    assert fig.layout.annotations[0].text == "M 4.5"
    assert not charts.time_to_convert_chart(
        hist, None, days_title="D", count_title="N", median_label="M"
    ).layout.shapes
    # whole customers: two at most read as ticks 0, 0.5, 1, 1.5, 2 (seen on one branch's campaign)
    y = fig.layout.yaxis
    assert y.tick0 == 0 and y.dtick >= 1 and float(y.dtick).is_integer()
    many = hist.with_columns(pl.col("customers") * 40)  # 120 at most: ticks every 24, not every 1
    big = charts.time_to_convert_chart(
        many, None, days_title="D", count_title="N", median_label="M"
    )
    assert big.layout.yaxis.dtick == 24


def test_trend_chart_separates_open_weeks() -> None:
    trend = entry_week_trend(REACHED, STAGES, 30, as_of=date(2026, 2, 10))
    fig = charts.trend_chart(trend, targeted_title="T", conversion_title="C", incomplete_label="O")
    bars, closed, open_ = fig.data
    assert list(bars.x) == ["2026-01-05", "2026-01-12"]
    assert list(bars.y) == [2, 1]
    assert list(closed.y) == [50.0, None]
    assert list(open_.y) == [None, 0.0]
    assert open_.name == "O"
    assert fig.layout.xaxis.type == "category"
    # the conversion points lie on the overlaying axis, drawn above the bars (not hidden behind)
    assert (closed.yaxis, open_.yaxis, bars.yaxis) == ("y2", "y2", None)
    assert fig.layout.yaxis2.overlaying == "y"
    assert fig.layout.yaxis2.tickmode == "auto"
    complete = entry_week_trend(REACHED, STAGES, 30)
    assert len(charts.trend_chart(complete, targeted_title="T", conversion_title="C",
                                  incomplete_label="O").data) == 2  # fmt: skip


DROPPED = pl.DataFrame(
    {
        "customer_id": [7, 8, 9],
        "name": ["张三", "=SUM(A1)", "欧阳娜娜"],
        "phone": ["13812341234", "+8613812341234", None],
        "officer_id": [10, 10, None],
        "officer_name": ["李娜", "李娜", None],
        "branch_id": [1, 1, 2],
        "last_stage": ["targeted", "targeted", "targeted"],
        "last_stage_at": [datetime(2026, 1, 5, 9), datetime(2026, 1, 6), datetime(2026, 1, 7)],
        "targeted_at": [datetime(2026, 1, 5, 9), datetime(2026, 1, 6), datetime(2026, 1, 7)],
    }
)
HEADERS = {"officer_name": "客户经理", "customer_id": "客户号", "name": "姓名", "phone": "电话",
           "last_stage": "最后到达步骤", "last_stage_at": "到达日期"}  # fmt: skip


def test_call_list_masks_personal_data() -> None:
    calls = charts.call_list(DROPPED, HEADERS, LABELS)
    assert calls.columns == list(HEADERS.values())
    assert calls["姓名"].to_list() == ["张*", "=*******", "欧***"]
    assert calls["电话"].to_list() == ["138****1234", "+86*******1234", None]
    assert calls["最后到达步骤"].to_list() == ["目标客户"] * 3
    assert calls["到达日期"].to_list() == ["2026-01-05", "2026-01-06", "2026-01-07"]
    assert calls["客户经理"].to_list() == ["李娜", "李娜", "—"]
    assert charts.per_officer(DROPPED).rows() == [(10, "李娜", 2), (None, None, 1)]


def test_csv_of_the_call_list_is_masked_and_opens_in_excel() -> None:
    data = csv_bytes(charts.call_list(DROPPED, HEADERS, LABELS)).decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(data)))
    assert rows[0] == list(HEADERS.values())
    assert rows[1] == ["李娜", "7", "张*", "138****1234", "目标客户", "2026-01-05"]
    assert rows[2][2:4] == ["'=*******", "'+86*******1234"]
    assert rows[3][3] == ""
    assert "13812341234" not in data


def test_call_list_across_campaigns_names_the_campaign() -> None:
    two = DROPPED.with_columns(campaign_id=pl.Series([1, 2, 3]))
    calls = charts.call_list(two, {**HEADERS, "campaign": "活动"}, LABELS, {1: "信用卡", 2: "理财"})
    assert calls.columns[:2] == ["客户经理", "活动"]
    assert calls["活动"].to_list() == ["信用卡", "理财", "3"]
