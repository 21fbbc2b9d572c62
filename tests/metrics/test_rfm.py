"""RFM scores (quintiles, ties, nulls) and the segment rule table."""

from __future__ import annotations

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from metrics.rfm import band_score, rfm_scores, segment_counts
from metrics.standards import load_standards

RFM = load_standards().rfm


def test_band_score_quintiles_and_ties() -> None:
    df = pl.DataFrame({"v": [10.0, 20.0, 30.0, 40.0, 50.0, 50.0, None, 5.0, 5.0, 1.0]})
    out = df.select(band_score(pl.col("v"), 5).alias("s"))["s"].to_list()
    # min ranks over None,1,5,5,10,20,30,40,50,50 -> 1 + (rank - 1) * 5 // 10
    assert out == [3, 3, 4, 4, 5, 5, 1, 2, 2, 1]


def test_rfm_scores_and_segments() -> None:
    df = pl.DataFrame(
        {
            "customer_id": [1, 2, 3, 4, 5],
            "recency_days": [1, 10, 100, 200, None],
            "frequency": [50, 40, 30, 20, 0],
            "monetary": [5e4, 1e3, 3e4, 2e4, 0.0],
        }
    )
    out = rfm_scores(df, RFM)
    assert out["r_score"].to_list() == [5, 4, 3, 2, 1]
    assert out["f_score"].to_list() == [5, 4, 3, 2, 1]
    assert out["m_score"].to_list() == [5, 2, 4, 3, 1]
    assert out["fm_score"].to_list() == [5, 3, 4, 3, 1]
    assert out["rfm_segment"].to_list() == [
        "champions",
        "potential_loyalists",
        "loyal",
        "at_risk",
        "lost",
    ]


def test_first_rule_wins() -> None:
    # r=4, fm=1 matches "promising" (4th rule) only; r=5, fm=1 matches "new" before anything else
    df = pl.DataFrame(
        {
            "customer_id": [1, 2, 3, 4, 5],
            "recency_days": [0, 1, 2, 3, 4],
            "frequency": [0, 0, 0, 0, 0],
            "monetary": [0.0] * 5,
        }
    )
    out = rfm_scores(df, RFM)
    assert out["rfm_segment"].to_list() == [
        "new",
        "promising",
        "about_to_sleep",
        "hibernating",
        "lost",
    ]


def test_segment_counts_in_rule_order() -> None:
    scored = pl.DataFrame({"rfm_segment": ["lost", "champions", "lost", "loyal"]})
    out = segment_counts(scored, RFM)
    assert out.to_dict(as_series=False) == {
        "rfm_segment": ["champions", "loyal", "lost"],
        "customers": [1, 1, 2],
        "share": [0.25, 0.25, 0.5],
    }


@settings(max_examples=80, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.one_of(st.none(), st.integers(0, 400)),
            st.integers(0, 50),
            st.floats(0, 1e6, allow_nan=False),
        ),
        min_size=1,
        max_size=60,
    )
)
def test_scores_in_bounds_and_order_free(rows: list[tuple]) -> None:
    df = pl.DataFrame(
        {
            "customer_id": list(range(len(rows))),
            "recency_days": [r[0] for r in rows],
            "frequency": [r[1] for r in rows],
            "monetary": [r[2] for r in rows],
        },
        schema={
            "customer_id": pl.Int64,
            "recency_days": pl.Int64,
            "frequency": pl.Int64,
            "monetary": pl.Float64,
        },
    )
    out = rfm_scores(df, RFM)
    for col in ("r_score", "f_score", "m_score", "fm_score"):
        assert out[col].is_between(1, 5).all()
    assert set(out["rfm_segment"]) <= {s.code for s in RFM.segments}
    # row order does not change anyone's scores
    rev = rfm_scores(df.reverse(), RFM).sort("customer_id")
    assert rev.select("r_score", "f_score", "m_score").equals(
        out.select("r_score", "f_score", "m_score")
    )
    # more frequent never scores lower
    pairs = out.sort("frequency")["f_score"].to_list()
    assert pairs == sorted(pairs)


@pytest.mark.parametrize("n", [pytest.param(1, id="one"), pytest.param(7, id="seven")])
def test_all_equal_values_share_one_score(n: int) -> None:
    df = pl.DataFrame({"v": [3.0] * n})
    assert df.select(band_score(pl.col("v"), 5).alias("s"))["s"].to_list() == [1] * n
