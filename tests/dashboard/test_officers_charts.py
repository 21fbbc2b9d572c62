"""Chart and table builders of the officer-engagement page, called directly on literal frames."""

from __future__ import annotations

from datetime import date

import polars as pl
import pytest

from dashboard.charts import officers as charts

W1, W2 = date(2026, 11, 9), date(2026, 11, 16)


def test_activity_heatmap_rows_columns_and_values() -> None:
    panel = pl.DataFrame(
        {"officer_id": [1, 1, 2, 2], "week_start": [W1, W2, W1, W2], "value": [3.0, 0.0, 1.0, 5.0]}
    )
    fig = charts.activity_heatmap(panel, {2: "李四", 1: "张三", 9: "无数据"}, "per week")
    heat = fig.data[0]
    assert list(heat.y) == ["李四", "张三"]  # label order; officers without data left out
    assert list(heat.x) == ["2026-11-09", "2026-11-16"]
    assert [list(r) for r in heat.z] == [[1.0, 5.0], [3.0, 0.0]]


def test_activity_heatmap_keeps_its_palest_colour_for_weeks_with_nothing() -> None:
    """The caption reads a pale week as nothing recorded: the scale starts at 0, not at the
    quietest busy week (10 activities were drawn as pale as none)."""
    panel = pl.DataFrame(
        {"officer_id": [1, 1, 2, 2], "week_start": [W1, W2, W1, W2], "value": [10.0, 20.0, 12, 15]}
    )
    heat = charts.activity_heatmap(panel, {1: "张三", 2: "李四"}, "per week").data[0]
    assert (heat.zmin, heat.zmax) == (0, 20)  # the top still follows the busiest week


def test_engagement_bars_add_up_to_the_score() -> None:
    # a component nobody achieved (null) draws nothing
    scores = pl.DataFrame(
        {"officer_id": [7, 8], "c_a": [1.0, 0.5], "c_b": [0.5, None], "score": [80.0, 30.0]}
    )
    fig = charts.engagement_bars(scores, [("a", 0.6, "A"), ("b", 0.4, "B")], {7: "甲"}, "Score")
    assert [t.name for t in fig.data] == ["A", "B"]
    totals = [sum(vals) for vals in zip(*(t.x for t in fig.data), strict=True)]
    assert totals == pytest.approx([80.0, 30.0])
    assert list(fig.data[0].y) == ["甲", "8"]  # an unknown officer keeps its id
    # the legend sits above the bars, not far below a tall chart
    assert (fig.layout.legend.yanchor, fig.layout.legend.y) == ("bottom", 1.0)


def test_completeness_bars_in_percent() -> None:
    frame = pl.DataFrame({"field": ["phone", "town"], "completeness": [0.25, 1.0]})
    fig = charts.completeness_bars(frame, "field", {"phone": "手机号"}, "%")
    assert list(fig.data[0].x) == [25.0, 100.0]
    assert list(fig.data[0].y) == ["手机号", "town"]


def test_did_chart_error_bars_and_pooled_point() -> None:
    est = pl.DataFrame(
        {"training_id": [1, 2], "did": [2.0, None], "ci_low": [0.5, None], "ci_high": [4.0, None]}
    )
    pooled = {"did": 1.5, "ci_low": 1.0, "ci_high": 2.5}
    fig = charts.did_chart(
        [("Visits", est)], {1: "足迹思维"}, [("Visits", pooled)], "All trainings", "Δ/week"
    )
    points = fig.data[0]
    assert list(points.x) == [
        "足迹思维",
        "All trainings",
    ]  # a training without estimate is left out
    assert list(points.y) == [2.0, 1.5]
    assert list(points.error_y.array) == [2.0, 1.0]
    assert list(points.error_y.arrayminus) == [1.5, 0.5]
    assert any(s.y0 == 0 for s in fig.layout.shapes)  # the zero line


@pytest.mark.parametrize(
    ("estimate", "expected"),
    [
        pytest.param({"did": 1.234, "ci_low": 0.41, "ci_high": 2.06},
                     "+1.2 visits/week (95% CI 0.4–2.1)", id="positive"),
        pytest.param({"did": -0.5, "ci_low": -1.25, "ci_high": 0.25},
                     "-0.5 visits/week (95% CI -1.2–0.2)", id="negative"),
        pytest.param({"did": 2.0, "ci_low": None, "ci_high": None},
                     "+2.0 visits/week (95% CI ?–?)", id="no-interval"),
        pytest.param({"did": None}, None, id="no-estimate"),
    ],
)  # fmt: skip
def test_did_sentence(estimate: dict, expected: str | None) -> None:
    template = "{did} visits/week (95% CI {low}–{high})"
    assert charts.did_sentence(estimate, template) == expected


def test_masked_table_masks_names_and_orders_columns() -> None:
    frame = pl.DataFrame({"name": ["张三丰", "李四"], "customer_id": [1, 2], "secret": ["x", "y"]})
    got = charts.masked_table(frame, {"customer_id": "客户号", "name": "姓名"})
    assert got.columns == ["客户号", "姓名"]
    assert got["姓名"].to_list() == ["张**", "李*"]


def test_league_table_ranks_and_scales_components() -> None:
    scores = pl.DataFrame(
        {"officer_id": [5, 6], "branch_id": [1, 2], "name": ["甲", "乙"], "score": [70.0, 20.0],
         "visits": [9.0, 1.0], "c_visits": [1.0, 0.2]}
    )  # fmt: skip
    headers = {"rank": "#", "name": "N", "branch": "B", "score": "S", "visits": "V"}
    got = charts.league_table(scores, ["visits"], {1: "城关"}, headers)
    assert got.rows() == [(1, "甲", "城关", 70.0, 100.0), (2, "乙", None, 20.0, 20.0)]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param("Capturing soft information", "Capturing soft<br>information", id="english"),
        pytest.param("软信息采集实务", "软信息采集实务", id="chinese"),
        pytest.param("Short", "Short", id="short"),
    ],
)
def test_wrap_label(text: str, expected: str) -> None:
    assert charts.wrap_label(text) == expected


def test_levels_chart_draws_each_group_before_and_after_with_intervals() -> None:
    frame = pl.DataFrame(
        {
            "group": ["trained", "trained", "untrained", "untrained"],
            "period": ["after", "before", "before", "after"],  # drawn before → after
            "mean": [6.0, 2.0, 2.5, 2.5],
            "ci_low": [5.0, 2.0, None, 2.0],
            "ci_high": [7.5, 2.0, None, 3.0],
            "n": [2, 2, 1, 2],
        }
    )
    empty = frame.clear()
    fig = charts.levels_chart(
        [("Visits", frame), ("Soft", empty)],
        groups={"trained": "Trained", "untrained": "Not trained"},
        periods={"before": "Before", "after": "After"},
        axis_label="Weekly mean",
    )
    assert [tr.name for tr in fig.data] == ["Trained", "Not trained"]  # the empty measure: no panel
    trained, untrained = fig.data
    assert list(trained.x) == ["Before", "After"] and list(trained.y) == [2.0, 6.0]
    assert list(trained.error_y.array) == [0.0, 1.5]
    assert list(trained.error_y.arrayminus) == [0.0, 1.0]
    assert list(untrained.y) == [2.5, 2.5]
    assert list(untrained.error_y.array) == [0.0, 0.5]  # no interval for one officer: none drawn
    # the legend under the panels, where no panel title is (above, it ran into the first one's)
    assert fig.layout.legend.y < 0
