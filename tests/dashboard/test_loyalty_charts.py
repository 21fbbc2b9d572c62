"""Pure chart and table builders of the loyalty page, called directly."""

from __future__ import annotations

from datetime import date

import polars as pl
import pytest

from dashboard.charts import loyalty as charts
from metrics.loyalty import component_contributions, loyalty_histogram
from metrics.retention import COHORT_SIZE_SCHEMA, cohort_counts, cohort_retention, lifecycle
from metrics.standards import load_standards
from metrics.value import tier_migration

STD = load_standards().loyalty
LABELS = {c.code: c.info.label_en for c in STD.components}


def test_distribution_marks_bands_below_the_threshold() -> None:
    hist = loyalty_histogram(pl.DataFrame({"loyalty": [5.0, 35.0, 45.0, 99.0]}))
    fig = charts.distribution_chart(hist, threshold=40, x_title="x", y_title="y", risk_label="r")
    bar = fig.data[0]
    assert list(bar.y) == [1, 0, 0, 1, 1, 0, 0, 0, 0, 1]
    assert list(bar.marker.color[:5]) == [charts.ALERT] * 4 + [charts.PRIMARY]


def test_components_chart_earned_plus_missed_is_weight_times_100() -> None:
    scores = pl.DataFrame({c: [0.5, 1.0] for c in LABELS})
    fig = charts.components_chart(
        component_contributions(scores, STD), LABELS, earned="e", missed="m", x_title="x"
    )
    earned, missed = fig.data
    assert list(earned.y) == list(LABELS.values())
    totals = [a + b for a, b in zip(earned.x, missed.x, strict=True)]
    assert totals == pytest.approx([100 * c.weight for c in STD.components])
    assert earned.x[0] == pytest.approx(100 * 0.2 * 0.75)


def test_cohort_heatmap_cells_and_toggle() -> None:
    j, f = date(2026, 1, 1), date(2026, 2, 1)
    act = pl.DataFrame({"customer_id": [1, 1, 2], "cohort_month": [j, j, j], "month": [j, f, j]})
    sizes = pl.DataFrame({"cohort_month": [j], "customers": [2]}, schema=COHORT_SIZE_SCHEMA)
    ret = cohort_retention(sizes, cohort_counts(act, as_of=f), as_of=f)
    on = charts.cohort_heatmap(ret, value_col="retention_on", x_title="", y_title="", hover_size="")
    after = charts.cohort_heatmap(
        ret, value_col="retention_on_or_after", x_title="", y_title="", hover_size=""
    )
    assert [list(r) for r in on.data[0].z] == [[1.0, 0.5]]
    assert [list(r) for r in after.data[0].z] == [[1.0, 0.5]]
    assert list(on.data[0].y) == ["2026-01"]
    with pytest.raises(ValueError):
        charts.cohort_heatmap(ret, value_col="loyalty", x_title="", y_title="", hover_size="")


def test_lifecycle_chart_puts_dormant_below_zero() -> None:
    weeks = [date(2026, 1, 5), date(2026, 1, 12)]
    counts = pl.DataFrame(
        {
            "week": [weeks[0], weeks[1]],
            "prev_gap": [0, 1],
            "next_consecutive": [True, False],
            "customers": [3, 3],
        }
    )
    lc = lifecycle(counts, start_week=weeks[0], end_week=date(2026, 1, 19))
    fig = charts.lifecycle_chart(lc, {}, y_title="y")
    by_name = {tr.name: list(tr.y) for tr in fig.data}
    assert by_name["new"] == [3, 0, 0]
    assert by_name["returning"] == [0, 3, 0]
    assert by_name["dormant"] == [0, 0, -3]
    # numeric dates, not plotly's English month names ('Jan 2026') in the Chinese UI
    assert fig.layout.xaxis.tickformat == "%Y-%m-%d"
    dormant = next(tr for tr in fig.data if tr.name == "dormant")
    assert list(dormant.customdata) == [0, 0, 3]  # the hover shows the count, not -3


def test_migration_heatmap_rows_are_from_tiers() -> None:
    m1, m2 = date(2026, 9, 1), date(2026, 10, 1)
    months = pl.DataFrame(
        {
            "customer_id": [1, 1, 2, 2, 3, 3],
            "month": [m1, m2] * 3,
            "tier": ["mass", "affluent", "mass", "mass", "vip", "affluent"],
        }
    )
    order = ("mass", "affluent", "vip", "private")
    fig = charts.migration_heatmap(
        tier_migration(months, m1, m2, order), order, {}, from_title="f", to_title="t"
    )
    z = fig.data[0].z
    assert list(z[0]) == [0.5, 0.5, None, None]
    assert list(z[2]) == [None, 1.0, None, None]
    assert fig.data[0].text[2][1] == "100.0%<br>1"


def test_churn_rows_mask_personal_data_and_keep_order() -> None:
    churn = pl.DataFrame(
        {
            "customer_id": [7, 3, 9],
            "branch_id": [1, 2, 1],
            "loyalty": [12.34, 30.0, 39.0],
            "value_at_stake": [250_000.0, 10_000.0, 0.0],
            **{c: [0.5, 0.5, 0.5] for c in LABELS},
            "name": ["张三", "李四", "王五"],
            "phone": ["13812341234", "13900001111", None],
        }
    ).with_columns(pl.lit(0.1).alias("outflow"))
    headers = {k: k for k in ("name", "phone", "branch", "loyalty", "value_at_stake", "weakest")}
    rows = charts.churn_rows(churn, LABELS, {1: "城关"}, headers, value_scale=10_000)
    assert rows.rows() == [
        ("张*", "138****1234", "城关", 12.3, 25.0, "Funds retained"),
        ("李*", "139****1111", "2", 30.0, 1.0, "Funds retained"),
        ("王*", None, "城关", 39.0, 0.0, "Funds retained"),
    ]
