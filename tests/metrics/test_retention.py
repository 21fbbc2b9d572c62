"""Retention: cohort retention on / on-or-after, and the weekly lifecycle, on tiny literal data."""

from __future__ import annotations

from datetime import date, timedelta

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from metrics.retention import (
    COHORT_SIZE_SCHEMA,
    cohort_counts,
    cohort_retention,
    lifecycle,
    weekly_activity_counts,
)

J, F, M, A = date(2026, 1, 1), date(2026, 2, 1), date(2026, 3, 1), date(2026, 4, 1)


def _activity(rows: list[tuple[int, date, date]]) -> pl.DataFrame:
    return pl.DataFrame(
        rows,
        schema={"customer_id": pl.Int64, "cohort_month": pl.Date, "month": pl.Date},
        orient="row",
    )


def test_cohort_counts_and_retention_exact() -> None:
    # January cohort of 4: c1 active Jan+Mar, c2 Jan, c3 Feb, c4 never. February cohort: c5 Feb+Mar.
    act = _activity(
        [(1, J, J), (1, J, M), (1, J, M), (2, J, J), (3, J, F), (5, F, F), (5, F, M), (5, F, J)]
    )
    counts = cohort_counts(act, as_of=date(2026, 3, 15))
    assert counts.rows() == [
        (J, J, 2, 1),  # active c1, c2; last active c2
        (J, F, 1, 1),
        (J, M, 1, 1),
        (F, F, 1, 0),
        (F, M, 1, 1),
    ]
    sizes = pl.DataFrame({"cohort_month": [J, F], "customers": [4, 1]}, schema=COHORT_SIZE_SCHEMA)
    ret = cohort_retention(sizes, counts, as_of=date(2026, 3, 15))
    jan = ret.filter(pl.col("cohort_month") == J)
    assert jan["age"].to_list() == [0, 1, 2]
    assert jan["retention_on"].to_list() == [0.5, 0.25, 0.25]
    assert jan["retention_on_or_after"].to_list() == [0.75, 0.5, 0.25]
    feb = ret.filter(pl.col("cohort_month") == F)
    assert feb["retention_on"].to_list() == [1.0, 1.0]
    assert feb["retention_on_or_after"].to_list() == [1.0, 1.0]
    # April is after as_of: no cell; a cohort after as_of is dropped
    later = pl.DataFrame({"cohort_month": [A], "customers": [3]}, schema=COHORT_SIZE_SCHEMA)
    assert cohort_retention(later, counts, as_of=date(2026, 3, 15)).is_empty()


def test_activity_after_as_of_does_not_count_and_is_refused_in_counts() -> None:
    act = _activity([(1, J, J), (1, J, A)])
    sizes = pl.DataFrame({"cohort_month": [J], "customers": [1]}, schema=COHORT_SIZE_SCHEMA)
    ret = cohort_retention(
        sizes, cohort_counts(act, as_of=date(2026, 2, 28)), as_of=date(2026, 2, 28)
    )
    assert ret["month"].to_list() == [J, F]
    assert ret["retention_on"].to_list() == [1.0, 0.0]
    assert ret["retention_on_or_after"].to_list() == [1.0, 0.0]
    with pytest.raises(ValueError, match="past as_of"):
        cohort_retention(sizes, cohort_counts(act, as_of=A), as_of=date(2026, 2, 28))


W = [date(2026, 1, 5) + timedelta(weeks=i) for i in range(6)]  # Mondays


def _weeks(rows: list[tuple[int, date]]) -> pl.DataFrame:
    return pl.DataFrame(rows, schema={"customer_id": pl.Int64, "week": pl.Date}, orient="row")


def test_lifecycle_exact() -> None:
    # c1: W0 W1 W3 ; c2: W1 W2 ; c3: W2 W2(dup)
    act = _weeks([(1, W[0]), (1, W[1]), (1, W[3]), (2, W[1]), (2, W[2]), (3, W[2]), (3, W[2])])
    counts = weekly_activity_counts(act)
    assert counts.filter(pl.col("week") == W[2]).rows() == [
        (W[2], 0, False, 1),  # c3 new, not next week
        (W[2], 1, False, 1),  # c2 returning, not next week
    ]
    lc = lifecycle(counts, start_week=W[0], end_week=W[4])
    assert lc.rows() == [
        (W[0], 1, 0, 0, 0),
        (W[1], 1, 1, 0, 0),  # c2 new, c1 returning
        (W[2], 1, 1, 0, 1),  # c3 new, c2 returning, c1 dormant
        (W[3], 0, 0, 1, 2),  # c1 resurrecting, c2 c3 dormant
        (W[4], 0, 0, 0, 1),  # c1 dormant
    ]


@pytest.mark.parametrize(
    ("start", "end"),
    [
        pytest.param(date(2026, 1, 6), date(2026, 1, 12), id="start-not-monday"),
        pytest.param(W[2], W[1], id="end-before-start"),
    ],
)
def test_lifecycle_refuses_bad_weeks(start: date, end: date) -> None:
    with pytest.raises(ValueError):
        lifecycle(weekly_activity_counts(_weeks([(1, W[0])])), start_week=start, end_week=end)


activity_rows = st.lists(
    st.tuples(st.integers(1, 8), st.integers(0, 5), st.integers(0, 8)), min_size=1, max_size=40
)


@settings(max_examples=60, deadline=None)
@given(activity_rows, st.integers(0, 9))
def test_retention_bounds_and_on_or_after_at_least_on(rows, as_of_month: int) -> None:
    months = [date(2026, m, 1) for m in range(1, 13)]
    cohort_of = {}
    act = []
    for cust, cohort, offset in rows:
        cohort_of.setdefault(cust, cohort)
        c = cohort_of[cust]
        act.append((cust, months[c], months[min(c + offset, 11)]))
    frame = _activity(act)
    sizes = (
        frame.group_by("cohort_month")
        .agg(pl.col("customer_id").n_unique().cast(pl.Int64).alias("customers"))
        .with_columns(pl.col("customers") + 1)  # one never-active customer per cohort
    )
    ret = cohort_retention(
        sizes, cohort_counts(frame, as_of=months[as_of_month]), as_of=months[as_of_month]
    )
    assert ret["retention_on"].is_between(0, 1).all()
    assert ret["retention_on_or_after"].is_between(0, 1).all()
    assert (ret["retention_on_or_after"] >= ret["retention_on"]).all()
    # on-or-after never rises with age
    for _, g in ret.group_by("cohort_month"):
        vals = g.sort("age")["retention_on_or_after"].to_list()
        assert vals == sorted(vals, reverse=True)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.integers(1, 6), st.integers(0, 9)), min_size=1, max_size=40))
def test_lifecycle_balances(rows) -> None:
    weeks = [date(2026, 1, 5) + timedelta(weeks=i) for i in range(10)]
    act = _weeks([(c, weeks[w]) for c, w in rows])
    lc = lifecycle(weekly_activity_counts(act), start_week=weeks[1], end_week=weeks[9])
    active = act.unique().group_by("week").len()
    per_week = dict(zip(active["week"].to_list(), active["len"].to_list(), strict=True))
    for row in lc.iter_rows(named=True):
        this = per_week.get(row["week"], 0)
        prev = per_week.get(row["week"] - timedelta(weeks=1), 0)
        assert row["new"] + row["returning"] + row["resurrecting"] == this
        assert row["returning"] + row["dormant"] == prev
