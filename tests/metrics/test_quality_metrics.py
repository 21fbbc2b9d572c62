"""Information-quality metrics on tiny literal frames with exact answers."""

from __future__ import annotations

from datetime import date

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from metrics import quality as m

FILL = pl.DataFrame(
    {
        "officer_id": [1, 1, 2, 2, None, None],
        "branch_id": [10, 10, 10, 10, 20, 20],
        "field": ["town", "phone"] * 3,
        "customers": [4, 4, 2, 2, 1, 1],
        "filled": [4, 1, 1, 2, 0, 0],
    }
)


def test_field_completeness() -> None:
    got = m.field_completeness(FILL)
    # phone: (1 + 2 + 0) / 7; town: (4 + 1 + 0) / 7 — least complete first
    assert got.rows() == [("phone", 7, 3, 3 / 7), ("town", 7, 5, 5 / 7)]


def test_overall_completeness() -> None:
    assert m.overall_completeness(FILL) == pytest.approx(8 / 14)
    assert m.overall_completeness(FILL.head(0)) is None


def test_officer_completeness_and_weakest_field() -> None:
    got = m.officer_completeness(FILL)
    assert got.rows() == [
        (1, 10, 4, 5 / 8, "phone", 0.25),
        (2, 10, 2, 3 / 4, "town", 0.5),
    ]  # the unassigned book is not an officer's


def test_completeness_needs_its_columns() -> None:
    with pytest.raises(ValueError, match="filled"):
        m.field_completeness(FILL.drop("filled"))


@settings(max_examples=50, deadline=None)
@given(
    st.lists(
        st.tuples(st.integers(1, 5), st.sampled_from(["town", "phone", "occupation"]),
                  st.integers(1, 1000), st.floats(0, 1)),
        min_size=1, max_size=30, unique_by=lambda r: (r[0], r[1]),
    )
)  # fmt: skip
def test_completeness_stays_within_0_and_1(rows: list[tuple[int, str, int, float]]) -> None:
    fill = pl.DataFrame(
        [(o, 1, f, n, int(n * share)) for o, f, n, share in rows],
        schema=list(m.FILL_COLUMNS),
        orient="row",
    )
    assert m.field_completeness(fill)["completeness"].is_between(0, 1).all()
    per = m.officer_completeness(fill)
    assert per["completeness"].is_between(0, 1).all()
    assert (per["weakest_completeness"] <= per["completeness"] + 1e-12).all()


@pytest.mark.parametrize(
    ("as_of", "days", "expected"),
    [
        pytest.param(date(2026, 11, 22), 730, date(2024, 11, 22), id="two-years"),
        pytest.param(date(2026, 3, 1), 1, date(2026, 2, 28), id="one-day"),
    ],
)
def test_stale_cutoff(as_of: date, days: int, expected: date) -> None:
    assert m.stale_cutoff(as_of, days) == expected


def test_stale_cutoff_refuses_zero_days() -> None:
    with pytest.raises(ValueError):
        m.stale_cutoff(date(2026, 1, 1), 0)


def test_staleness_by_officer() -> None:
    counts = pl.DataFrame(
        {"officer_id": [1, 2, 3], "branch_id": [10, 10, 20], "customers": [4, 10, 0],
         "never_updated": [1, 0, 0], "stale": [1, 9, 0]}
    )  # fmt: skip
    got = m.staleness_by_officer(counts)
    assert got.select("officer_id", "outdated", "outdated_share").rows() == [
        (2, 9, 0.9),
        (1, 2, 0.5),
    ]  # an empty book is not listed


def test_income_contradictions() -> None:
    evidence = pl.DataFrame(
        {"customer_id": [1, 2, 3, 4, 5],
         "declared_income": [100_000.0, 100_000.0, 60_000.0, None, 5_000.0],
         "observed_inflow": [50_000.0, 50_001.0, 0.0, 0.0, 1_000.0]}
    )  # fmt: skip
    got = m.income_contradictions(evidence, ratio=2.0)
    # 1: exactly 2× (contradicts); 2: just under; 3: nothing seen; 4: nothing declared; 5: 5×
    assert got.select("customer_id", "income_ratio").rows() == [(3, None), (5, 5.0), (1, 2.0)]


def test_income_is_judged_only_with_enough_credits_seen() -> None:
    evidence = pl.DataFrame(
        {"customer_id": [1, 2, 3, 4],
         "declared_income": [100_000.0, 100_000.0, 100_000.0, 100_000.0],
         "observed_inflow": [0.0, 20_000.0, 20_000.0, 60_000.0],
         "inflow_count": [0, 2, 3, 40]}
    )  # fmt: skip
    # 1: new to the bank, nothing seen; 2: two credits only; 3: three credits, 5×; 4: 1.7×
    got = m.income_contradictions(evidence, ratio=2.0, min_inflows=3)
    assert got.select("customer_id", "income_ratio").rows() == [(3, 5.0)]
    everything = m.income_contradictions(evidence, ratio=2.0)  # no minimum: nothing seen flags
    assert everything["customer_id"].to_list() == [1, 2, 3]
    with pytest.raises(ValueError, match="inflow_count"):
        m.income_contradictions(evidence.drop("inflow_count"), ratio=2.0, min_inflows=3)
    with pytest.raises(ValueError, match="at least 0"):
        m.income_contradictions(evidence, ratio=2.0, min_inflows=-1)


def test_no_footprints_contradict_no_application() -> None:
    apps = pl.DataFrame(
        {"application_id": [1, 2, 3], "customer_id": [10, 20, 30],
         "declared_income": [90_000.0, 90_000.0, 90_000.0],
         "observed_inflow": [0.0, 30_000.0, 20_000.0],
         "inflow_count": [0, 2, 12],
         "declared_place": ["青石镇", "青石镇", "青石镇"],
         "declared_place_seen": [0, 0, 0]}
    )  # fmt: skip
    # customer 10 is new: no credits, no place seen anywhere; 20 was seen in 城关镇 (2 credits)
    places = pl.DataFrame({"customer_id": [20, 30], "place": ["城关镇", "白沙镇"], "n": [2, 7]})
    got = m.application_contradictions(apps, places, ratio=2.0, min_inflows=3)
    assert got.select("application_id", "income_flag", "place_flag", "income_ratio").rows() == [
        (3, True, True, 4.5),
        (2, False, True, 3.0),
    ]


def test_application_contradictions_with_evidence() -> None:
    apps = pl.DataFrame(
        {"application_id": [1, 2, 3, 4], "customer_id": [10, 20, 30, 40],
         "declared_income": [90_000.0, 30_000.0, 30_000.0, None],
         "observed_inflow": [30_000.0, 30_000.0, 30_000.0, 0.0],
         "declared_place": ["青石镇", "白沙镇", "城关镇", None],
         "declared_place_seen": [0, 0, 5, 0]}
    )  # fmt: skip
    places = pl.DataFrame(
        {"customer_id": [10, 10, 10, 10, 20], "place": ["城关镇", "河口镇", "白沙镇", "枫林镇", "城关镇"],
         "n": [5, 9, 1, 2, 3]}
    )  # fmt: skip
    got = m.application_contradictions(apps, places, ratio=2.0)
    assert got.select(
        "application_id", "income_flag", "place_flag", "income_ratio", "places_seen", "place_count"
    ).rows() == [
        (1, True, True, 3.0, "河口镇 ×9, 城关镇 ×5, 枫林镇 ×2", 4),
        (2, False, True, 1.0, "城关镇 ×3", 1),
    ]
