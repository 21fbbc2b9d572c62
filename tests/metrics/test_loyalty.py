"""Loyalty score: each component scaled as the standard says, weights applied, churn list ordered."""

from __future__ import annotations

from datetime import date

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from metrics.loyalty import (
    COMPONENTS,
    INPUT_COLUMNS,
    churn_risk_list,
    component_contributions,
    loyalty_histogram,
    loyalty_scores,
)
from metrics.standards import load_standards

AS_OF = date(2026, 11, 22)
STD = load_standards().loyalty


def _inputs(rows: list[dict]) -> pl.DataFrame:
    base = {
        "customer_id": 1,
        "product_types": 0,
        "first_opened": AS_OF,
        "income_credited": False,
        "bills_paid": False,
        "mobile_used": False,
        "tx_recent": 0,
        "tx_prior": 0,
        "out_external": 0.0,
        "out_total": 0.0,
        "p_alive": 0.0,
    }
    return pl.DataFrame([{**base, **r} for r in rows], schema={**INPUT_COLUMNS, "aum": pl.Float64})


def _one(**kw) -> dict:
    out = loyalty_scores(_inputs([{"aum": 0.0, **kw}]), STD, as_of=AS_OF)
    return out.row(0, named=True)


@pytest.mark.parametrize(
    ("kw", "component", "expected"),
    [
        pytest.param({"product_types": 2}, "product_depth", 0.4, id="depth-2-of-5"),
        pytest.param({"product_types": 9}, "product_depth", 1.0, id="depth-saturates"),
        pytest.param(
            {"first_opened": date(2021, 11, 22)}, "tenure", 1826 / 365.25 / 10, id="tenure-5y"
        ),
        pytest.param({"first_opened": date(2001, 1, 1)}, "tenure", 1.0, id="tenure-saturates"),
        pytest.param({"income_credited": True}, "primary_bank", 1 / 3, id="one-signal"),
        pytest.param(
            {"income_credited": True, "bills_paid": True, "mobile_used": True},
            "primary_bank",
            1.0,
            id="all-signals",
        ),
        pytest.param({"tx_recent": 10, "tx_prior": 10}, "activity_trend", 0.5, id="trend-flat"),
        pytest.param({"tx_recent": 20, "tx_prior": 10}, "activity_trend", 1.0, id="trend-doubled"),
        pytest.param({"tx_recent": 30, "tx_prior": 10}, "activity_trend", 1.0, id="trend-tripled"),
        pytest.param({"tx_recent": 5, "tx_prior": 10}, "activity_trend", 0.25, id="trend-halved"),
        pytest.param({"tx_recent": 0, "tx_prior": 10}, "activity_trend", 0.0, id="trend-stopped"),
        pytest.param({"tx_recent": 3, "tx_prior": 0}, "activity_trend", 1.0, id="trend-from-none"),
        pytest.param({}, "activity_trend", 0.0, id="trend-never-active"),
        pytest.param(
            {"out_external": 300.0, "out_total": 1000.0}, "outflow", 0.7, id="outflow-30pc"
        ),
        pytest.param({}, "outflow", 1.0, id="no-money-out"),
        pytest.param({"p_alive": 0.8}, "p_alive", 0.8, id="p-alive-given"),
        pytest.param({"p_alive": None}, "p_alive", 0.5, id="p-alive-unknown"),
    ],
)
def test_each_component_scales_as_the_standard_says(
    kw: dict, component: str, expected: float
) -> None:
    assert _one(**kw)[component] == pytest.approx(expected)


def test_score_is_the_weighted_sum_times_100() -> None:
    row = _one(
        product_types=5,  # 1.0 × 0.20
        first_opened=date(2021, 11, 22),  # 0.49993 × 0.10
        income_credited=True,  # 1/3 × 0.25
        tx_recent=10,
        tx_prior=10,  # 0.5 × 0.15
        out_external=500.0,
        out_total=1000.0,  # 0.5 × 0.15
        p_alive=None,  # 0.5 × 0.15, imputed
    )
    tenure = 1826 / 365.25 / 10
    expected = 100 * (0.20 + 0.10 * tenure + 0.25 / 3 + 0.15 * 0.5 * 3)
    assert row["loyalty"] == pytest.approx(expected)
    assert row["loyalty"] == pytest.approx(55.8326, abs=1e-3)
    assert row["p_alive_imputed"] is True
    assert row["churn_risk"] is False


def test_churn_risk_is_below_the_threshold() -> None:
    out = loyalty_scores(
        _inputs(
            [
                {"customer_id": 1, "aum": 100_000.0, "product_types": 5, "p_alive": 1.0},  # 50
                {"customer_id": 2, "aum": 900_000.0, "product_types": 1},  # 4 + 15 = 19
                {"customer_id": 3, "aum": 900_000.0},  # 15 (outflow only)
                {"customer_id": 4, "aum": 5e6, "out_external": 1.0, "out_total": 1.0},  # 0
            ]
        ),
        STD,
        as_of=AS_OF,
    )
    assert out["loyalty"].to_list() == pytest.approx([50.0, 19.0, 15.0, 0.0])
    assert out["churn_risk"].to_list() == [False, True, True, True]
    assert out["churn_reason"].to_list() == [None, "low_loyalty", "low_loyalty", "low_loyalty"]
    listed = churn_risk_list(out)
    # most value at stake first; equal value → lower loyalty first
    assert listed["customer_id"].to_list() == [4, 3, 2]
    assert listed["value_at_stake"].to_list() == [5e6, 900_000.0, 900_000.0]
    assert churn_risk_list(out, limit=1)["customer_id"].to_list() == [4]


def test_churn_list_agrees_with_rfm_and_says_why() -> None:
    """RFM "Can't lose" and "At risk" customers worth a call are on the list, with the reason;
    a customer below the AUM bar is not called from it, whatever RFM or loyalty say."""
    rows = [
        {"customer_id": 1, "aum": 80_000.0, "product_types": 5, "p_alive": 1.0},  # loyal
        {"customer_id": 2, "aum": 80_000.0, "product_types": 5, "p_alive": 1.0},
        {"customer_id": 3, "aum": 80_000.0, "product_types": 5, "p_alive": 1.0},
        {"customer_id": 4, "aum": 20_000.0},  # low loyalty, below the bar
    ]
    frame = _inputs(rows).with_columns(
        pl.Series("rfm_segment", ["champions", "cant_lose", "at_risk", "at_risk"])
    )
    out = loyalty_scores(frame, STD, as_of=AS_OF)
    assert out["churn_reason"].to_list() == [None, "rfm_cant_lose", "rfm_at_risk", None]
    assert out["churn_risk"].to_list() == [False, True, True, False]


def test_contributions_add_up_to_the_average_score() -> None:
    out = loyalty_scores(
        _inputs([{"customer_id": 1, "product_types": 5}, {"customer_id": 2, "p_alive": 1.0}]),
        STD,
        as_of=AS_OF,
    )
    contrib = component_contributions(out, STD)
    assert contrib["component"].to_list() == list(COMPONENTS)
    assert contrib["points"].sum() == pytest.approx(out["loyalty"].mean())
    depth = contrib.filter(pl.col("component") == "product_depth").row(0, named=True)
    assert depth["mean"] == 0.5 and depth["points"] == pytest.approx(10.0)
    assert depth["points_missed"] == pytest.approx(10.0)


def test_histogram_bands_cover_0_to_100() -> None:
    scores = pl.DataFrame({"loyalty": [0.0, 9.99, 10.0, 55.0, 100.0]})
    hist = loyalty_histogram(scores, bin_width=10)
    assert hist.height == 10
    assert hist["customers"].to_list() == [2, 1, 0, 0, 0, 1, 0, 0, 0, 1]
    assert hist["band_end"][-1] == 100


@pytest.mark.parametrize(
    "bad",
    [
        pytest.param(lambda df: df.drop("tx_prior"), id="missing-column"),
    ],
)
def test_bad_inputs_are_refused(bad) -> None:
    with pytest.raises(ValueError, match="tx_prior"):
        loyalty_scores(bad(_inputs([{}])), STD, as_of=AS_OF)


@settings(max_examples=60, deadline=None)
@given(
    st.lists(
        st.fixed_dictionaries(
            {
                "product_types": st.integers(0, 20),
                "first_opened": st.dates(date(1990, 1, 1), date(2030, 1, 1)),
                "income_credited": st.booleans(),
                "bills_paid": st.booleans(),
                "mobile_used": st.booleans(),
                "tx_recent": st.integers(0, 500),
                "tx_prior": st.integers(0, 500),
                "out_external": st.floats(0, 1e7),
                "out_total": st.floats(0, 1e7),
                "p_alive": st.one_of(st.none(), st.floats(0, 1)),
            }
        ),
        min_size=1,
        max_size=20,
    )
)
def test_score_and_components_stay_in_bounds(rows: list[dict]) -> None:
    out = loyalty_scores(_inputs([{"aum": 1.0, **r} for r in rows]), STD, as_of=AS_OF)
    assert out["loyalty"].is_between(0, 100).all()
    for code in COMPONENTS:
        assert out[code].is_between(0, 1).all(), code
