"""Charts and tables of the customer page, called directly on literal frames; label completeness."""

from __future__ import annotations

from datetime import date

import polars as pl
import pytest

from dashboard.charts import customer as charts
from dashboard.i18n import catalog
from data_access import schema
from metrics.codes import SOFT_SOURCES
from metrics.footprint_rules import load_rules
from metrics.standards import load_standards

RULES = load_rules().offers

WEEKLY = pl.DataFrame(
    {
        "week_start": [date(2026, 11, 2), date(2026, 11, 2), date(2026, 11, 9), date(2026, 11, 9)],
        "kind": ["deposit", "payment", "deposit", "deposit"],
        "channel": ["counter", "pos", "mobile", "counter"],
        "direction": ["in", "out", "in", "in"],
        "n": [1, 3, 2, 1],
        "amount": [20_000.0, 300.0, 5_000.0, 10_000.0],
    }
)


def test_weekly_by_kind_sums_channels() -> None:
    assert charts.weekly_by_kind(WEEKLY).rows() == [
        (date(2026, 11, 2), "deposit", 20_000.0, 1),
        (date(2026, 11, 2), "payment", 300.0, 3),
        (date(2026, 11, 9), "deposit", 15_000.0, 3),
    ]


def test_channel_mix_shares_sum_to_one() -> None:
    mix = charts.channel_mix(WEEKLY)
    assert mix.select("channel", "n").rows() == [("pos", 3), ("counter", 2), ("mobile", 2)]
    assert mix["share"].sum() == pytest.approx(1.0)


def test_timeline_chart_one_trace_per_kind_in_label_order_and_unit() -> None:
    fig = charts.timeline_chart(
        WEEKLY,
        {"payment": "消费支付", "deposit": "存款"},
        title="T",
        x_title="周",
        y_title="万元",
        unit=10_000,
    )
    assert [tr.name for tr in fig.data] == ["消费支付", "存款"]
    assert list(fig.data[1].y) == [2.0, 1.5]
    assert fig.layout.barmode == "stack"
    assert fig.layout.xaxis.tickformat == "%Y-%m-%d"
    assert (
        fig.layout.legend.yanchor == "top"
    )  # a two-row legend grows down, not over the axis title
    # amounts in 万元 with grouped digits: plotly's default wrote 20,000 万元 as "20k"
    assert fig.layout.yaxis.tickformat == ",~f"


def test_channel_chart_labels() -> None:
    fig = charts.channel_chart(WEEKLY, {"pos": "POS", "counter": "柜面"}, title="C")
    assert list(fig.data[0].labels) == ["POS", "柜面", "mobile"]
    assert list(fig.data[0].values) == [3, 2, 2]
    # labels of small slices stay inside or are hidden, never overlap outside the ring
    assert fig.data[0].textposition == "inside"
    assert fig.layout.uniformtext.mode == "hide"


def test_balance_chart() -> None:
    balances = pl.DataFrame(
        {
            "month": [date(2026, 9, 1), date(2026, 10, 1)],
            "aum": [50_000.0, 60_000.0],
            "loan_avg": [0.0, 10_000.0],
        }
    )
    fig = charts.balance_chart(
        balances,
        title="B",
        series={"aum": "AUM", "loan_avg": "Loans"},
        x_title="m",
        y_title="CNY",
        unit=10_000,
    )
    assert [tr.name for tr in fig.data] == ["AUM", "Loans"]
    assert list(fig.data[0].y) == [5.0, 6.0]
    # numeric month ticks, not plotly's English month names ('Sep 2026') in the Chinese UI
    assert fig.layout.xaxis.tickformat == "%Y-%m"
    assert fig.data[0].hovertemplate.startswith("%{x|%Y-%m}")
    assert fig.layout.yaxis.tickformat == ",~f"  # "20,000" 万元, not "20k"


def test_profile_table_masks_and_translates() -> None:
    profile = {
        "name": "张三丰",
        "phone": "13812341234",
        "id_number": "430723197001011234",
        "occupation": "farmer",
        "declared_income": 60000.0,
        "village": None,
    }
    out = charts.profile_table(
        profile,
        ("name", "phone", "id_number", "occupation", "declared_income", "village"),
        {"name": "Name", "occupation": "Occupation"},
        {"occupation:farmer": "Farmer"},
        ("Field", "Value"),
    )
    assert out.rows() == [
        ("Name", "张**"),
        ("phone", "138****1234"),
        ("id_number", "4307**********1234"),
        ("Occupation", "Farmer"),
        ("declared_income", "60,000"),
        ("village", "—"),
    ]


def test_coded_table_translates_and_renames() -> None:
    df = pl.DataFrame({"kind": ["vehicle", "odd"], "source": ["visit", "call"], "x": [1, 2]})
    out = charts.coded_table(
        df,
        {"kind": {"vehicle": "车辆"}, "source": {"visit": "走访"}},
        {"kind": "类型", "source": "来源"},
    )
    assert out.columns == ["类型", "来源"]
    assert out.rows() == [("车辆", "走访"), ("odd", "call")]


@pytest.mark.parametrize(
    ("prefix", "codes"),
    [
        pytest.param("kind", schema.FOOTPRINT_KINDS, id="kinds"),
        pytest.param("channel", schema.CHANNELS, id="channels"),
        pytest.param("product", (*schema.PRODUCTS, *(r.product for r in RULES)), id="products"),
        pytest.param("soft", schema.SOFT_KINDS, id="soft-kinds"),
        pytest.param("src", SOFT_SOURCES, id="sources"),
        pytest.param("platform", schema.PLATFORMS, id="platforms"),
        pytest.param("cp", schema.COUNTERPARTY_TYPES, id="counterparties"),
        pytest.param("f", load_standards().profile_fields, id="profile-fields"),
    ],
)
def test_every_code_has_a_label(prefix: str, codes: tuple[str, ...]) -> None:
    keys = catalog()
    # products are labelled once for every page (codes.product_*); the page's own suggestion
    # codes such as retention_call stay in customer.toml
    missing = [
        c
        for c in codes
        if f"customer.{prefix}_{c}" not in keys and f"codes.{prefix}_{c}" not in keys
    ]
    assert not missing


def test_signal_counts_chart_skips_the_total_row() -> None:
    counts = pl.DataFrame({"code": ["", "car_owner", "pensioner"], "customers": [10, 3, 5]})
    fig = charts.signal_counts_chart(counts, {"car_owner": "Car owner"}, title="S")
    assert list(fig.data[0].y) == ["Car owner", "pensioner"]
    assert list(fig.data[0].x) == [3, 5]
    assert fig.data[0].texttemplate == "%{x:,}"  # counts with thousands separators


def test_application_table_marks_contradictions() -> None:
    checks = pl.DataFrame(
        {
            "application_id": [1, 2],
            "customer_id": [7, 7],
            "applied_on": [date(2026, 4, 1), date(2025, 4, 1)],
            "product": ["loan_business", "loan_agri"],
            "declared_income": [120_000.0, 30_000.0],
            "declared_place": ["城关镇", "青石镇"],
            "observed_inflow": [15_000.0, 40_000.0],
            "declared_place_seen": [0, 3],
        }
    )
    places = pl.DataFrame({"customer_id": [7, 7], "place": ["青石镇", "城关镇"], "n": [3, 0]})
    out = charts.application_table(
        checks,
        places.filter(pl.col("n") > 0),
        2.0,
        {"product": {"loan_business": "经营贷"}},
        {"product": "产品", "income_flag": "收入", "place_flag": "地点", "places_seen": "足迹"},
    )
    assert out.rows() == [("经营贷", "⚠️", "⚠️", "青石镇 ×3"), ("loan_agri", "", "", "青石镇 ×3")]


def test_coded_table_writes_dates_without_midnight() -> None:
    from datetime import datetime

    df = pl.DataFrame({"d": [date(2026, 7, 2)], "ts": [datetime(2026, 7, 2, 9, 5, 30)]})
    out = charts.coded_table(df, {}, {"d": "D", "ts": "TS"})
    assert out.row(0) == ("2026-07-02", "2026-07-02 09:05")
