"""Value tiers with hysteresis, migration, shares and effective customers on literal frames."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from metrics.standards import load_standards
from metrics.value import (
    assign_tiers,
    effective_customers,
    last_full_month,
    month_aum,
    tier_migration,
    tier_shares,
)

STD = load_standards()
TIERS = STD.tiers
BAR = {lv.code: lv.min_aum for lv in TIERS.levels}
DOWN = {lv.code: lv.downgrade_after_months for lv in TIERS.levels}
ORDER = TIERS.codes


def _months(n: int, start: date = date(2025, 1, 1)) -> list[date]:
    return [
        date(start.year + (start.month - 1 + i) // 12, (start.month - 1 + i) % 12 + 1, 1)
        for i in range(n)
    ]


def _tiers_of(aums: list[float]) -> list[str]:
    df = pl.DataFrame({"customer_id": [1] * len(aums), "month": _months(len(aums)), "aum": aums})
    return assign_tiers(df, TIERS)["tier"].to_list()


def test_month_aum_sums_deposits_and_wealth() -> None:
    df = pl.DataFrame(
        {
            "customer_id": [2, 1],
            "month": [date(2026, 1, 1), date(2026, 1, 1)],
            "demand_avg": [100.0, 1.0],
            "time_avg": [None, 2.0],
            "wealth_avg": [5.0, 3.0],
        }
    )
    assert month_aum(df).to_dict(as_series=False) == {
        "customer_id": [1, 2],
        "month": [date(2026, 1, 1)] * 2,
        "aum": [6.0, 105.0],
    }


@pytest.mark.parametrize(
    ("aums", "expected"),
    [
        pytest.param(
            [10_000, 60_000, 60_000], ["mass", "mass", "affluent"], id="upgrade-month-after"
        ),
        pytest.param(
            [60_000, 10_000, 10_000, 10_000, 10_000], ["affluent"] * 4 + ["mass"], id="down-after-3"
        ),
        pytest.param(
            [60_000, 10_000, 10_000, 60_000, 10_000, 10_000], ["affluent"] * 6, id="recovery-resets"
        ),
        pytest.param(
            [7e6] + [600_000] * 6 + [600_000], ["private"] * 7 + ["vip"], id="private-after-6"
        ),
        pytest.param(
            [10_000, 600_000, 10_000], ["mass", "mass", "vip"], id="upgrade-even-if-fallen"
        ),
        pytest.param(
            [600_000, 20_000, 20_000, 20_000, 70_000],
            ["vip"] * 4 + ["mass"],
            id="down-to-last-month",
        ),
        pytest.param([-5.0], ["mass"], id="overdrawn-is-mass"),
    ],
)
def test_hysteresis(aums: list[float], expected: list[str]) -> None:
    assert _tiers_of(aums) == expected


def test_missing_month_counts_as_zero() -> None:
    months = _months(5)
    df = pl.DataFrame(
        {"customer_id": [1, 1], "month": [months[0], months[4]], "aum": [60_000.0, 60_000.0]}
    )
    # months 2-4 absent (AUM 0): three months below, so month 5 is mass despite its own AUM
    out = assign_tiers(df, TIERS)
    assert out["tier"].to_list() == ["affluent", "mass"]
    assert out["qualifying_tier"].to_list() == ["affluent", "affluent"]


def test_assign_tiers_rejects_duplicates() -> None:
    df = pl.DataFrame({"customer_id": [1, 1], "month": [date(2026, 1, 1)] * 2, "aum": [1.0, 2.0]})
    with pytest.raises(ValueError, match="more than one row"):
        assign_tiers(df, TIERS)


@settings(max_examples=60, deadline=None)
@given(
    st.lists(
        st.lists(st.sampled_from([0.0, 10_000, 60_000, 600_000, 7e6]), min_size=1, max_size=14),
        min_size=1,
        max_size=6,
    )
)
def test_hysteresis_never_early(series: list[list[float]]) -> None:
    rows = [
        {"customer_id": c, "month": m, "aum": a}
        for c, aums in enumerate(series)
        for m, a in zip(_months(len(aums)), aums, strict=True)
    ]
    out = assign_tiers(pl.DataFrame(rows), TIERS)
    rank = {code: i for i, code in enumerate(ORDER)}
    for (_cid,), g in out.group_by(["customer_id"]):
        g = g.sort("month")
        tiers, aums, quals = g["tier"].to_list(), g["aum"].to_list(), g["qualifying_tier"].to_list()
        assert tiers[0] == quals[0]
        for j in range(1, len(tiers)):
            before, now = tiers[j - 1], tiers[j]
            if rank[now] < rank[before]:  # a downgrade: the last N months were all below the bar
                n = DOWN[before]
                assert j >= n
                assert all(a < BAR[before] for a in aums[j - n : j])
            if rank[now] > rank[before]:  # an upgrade: qualified the month before
                assert rank[quals[j - 1]] >= rank[now]
    shares = tier_shares(out)
    assert shares.group_by("month").agg(pl.col("share").sum())["share"].to_list() == pytest.approx(
        [1.0] * shares["month"].n_unique()
    )


TIER_MONTHS = pl.DataFrame(
    {
        "customer_id": [1, 2, 3, 4, 1, 2, 3, 5],
        "month": [date(2026, 1, 1)] * 4 + [date(2026, 2, 1)] * 4,
        "aum": [1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0],
        "tier": ["mass", "mass", "vip", "mass", "affluent", "mass", "vip", "mass"],
    }
)


def test_tier_migration() -> None:
    out = tier_migration(TIER_MONTHS, date(2026, 1, 1), date(2026, 2, 1), order=ORDER)
    assert out.to_dict(as_series=False) == {
        "from_tier": ["mass", "mass", "vip"],
        "to_tier": ["mass", "affluent", "vip"],
        "customers": [1, 1, 1],
        "share_of_from": [0.5, 0.5, 1.0],
    }


def test_tier_shares() -> None:
    out = tier_shares(TIER_MONTHS, order=ORDER).filter(pl.col("month") == date(2026, 1, 1))
    assert out.to_dict(as_series=False) == {
        "month": [date(2026, 1, 1)] * 2,
        "tier": ["mass", "vip"],
        "customers": [3, 1],
        "aum": [7.0, 3.0],
        "share": [0.75, 0.25],
    }


ACTIVITY = pl.DataFrame(
    {
        "customer_id": [1, 2, 3, 4],
        "month": [date(2026, 1, 1)] * 4,
        "aum": [5_000.0, 4_999.0, 0.0, 100.0],
        "loan_balance": [0.0, 0.0, 10.0, None],
        "self_initiated_transactions": [0, 2, 0, 3],
    }
)


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        pytest.param({}, [True, False, True, True], id="default-any-of-three"),
        pytest.param({"counts_loan_holders": False}, [True, False, False, True], id="no-loans"),
        pytest.param(
            {"min_self_initiated_transactions": None}, [True, False, True, False], id="no-tx"
        ),
        pytest.param(
            {
                "min_month_avg_aum": None,
                "counts_loan_holders": False,
                "min_self_initiated_transactions": 2,
            },
            [False, True, False, True],
            id="two-transactions-only",
        ),
    ],
)
def test_effective_customers(changes: dict, expected: list[bool]) -> None:
    rule = replace(STD.effective_customer, **changes)
    assert effective_customers(ACTIVITY, rule)["effective"].to_list() == expected


@pytest.mark.parametrize(
    ("as_of", "expected"),
    [
        pytest.param(date(2026, 11, 30), date(2026, 11, 1), id="month-end"),
        pytest.param(date(2026, 11, 29), date(2026, 10, 1), id="mid-month"),
        pytest.param(date(2026, 1, 15), date(2025, 12, 1), id="january"),
        pytest.param(date(2026, 12, 31), date(2026, 12, 1), id="year-end"),
    ],
)
def test_last_full_month(as_of: date, expected: date) -> None:
    assert last_full_month(as_of) == expected


@pytest.mark.parametrize(
    ("delay", "aums", "expected"),
    [
        pytest.param(0, [10_000, 60_000], ["mass", "affluent"], id="same-month"),
        pytest.param(
            2, [10_000, 60_000, 10_000, 10_000], ["mass", "mass", "mass", "affluent"], id="two"
        ),
    ],
)
def test_upgrade_delay_is_configurable(delay: int, aums: list[float], expected: list[str]) -> None:
    tiers = replace(TIERS, upgrade_delay_months=delay)
    df = pl.DataFrame({"customer_id": [1] * len(aums), "month": _months(len(aums)), "aum": aums})
    assert assign_tiers(df, tiers)["tier"].to_list() == expected


def test_unsorted_input_comes_back_sorted() -> None:
    df = pl.DataFrame(
        {
            "customer_id": [2, 1, 2, 1],
            "month": [date(2026, 2, 1), date(2026, 2, 1), date(2026, 1, 1), date(2026, 1, 1)],
            "aum": [1.0, 60_000.0, 2.0, 70_000.0],
        }
    )
    out = assign_tiers(df, TIERS)
    assert out["customer_id"].to_list() == [1, 1, 2, 2]
    assert out["aum"].to_list() == [70_000.0, 60_000.0, 2.0, 1.0]
    assert out["tier"].to_list() == ["affluent", "affluent", "mass", "mass"]
