"""Weekly KPIs: tiny literal frames with exact answers, and invariants by property tests."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.stats import norm, poisson

from metrics import kpis as k
from metrics.standards import load_standards

W = date(2026, 11, 16)  # a Monday
W1 = W - timedelta(weeks=1)
# Flag thresholds: 8 weeks of history, |z| >= 2, a count's tails at 0.1% and at least 3 away from
# its usual level, a balance's move of any size.
FLAGS = replace(
    load_standards().alerts,
    kpi_history_weeks=8,
    kpi_z_score=2.0,
    kpi_count_p_value=0.001,
    kpi_count_min_change=3,
    kpi_min_change_share=0.0,
)
Y = W - timedelta(weeks=52)


def _per_branch_week(rows: list[tuple], figure: str) -> pl.DataFrame:
    """(branch_id, week_start, kpi, ``figure``) rows as a frame."""
    keys = {"branch_id": pl.Int64, "week_start": pl.Date, "kpi": pl.String}
    return pl.DataFrame(rows, schema={**keys, figure: pl.Float64}, orient="row")


def weekly(rows: list[tuple]) -> pl.DataFrame:
    return _per_branch_week(rows, "value")


def targets(rows: list[tuple]) -> pl.DataFrame:
    return _per_branch_week(rows, "target")


WEEKLY = weekly(
    [
        (1, W, "deposit_balance", 1200.0),
        (1, W1, "deposit_balance", 1000.0),
        (1, Y, "deposit_balance", 800.0),
        (2, W, "deposit_balance", 500.0),
        (2, W1, "deposit_balance", 600.0),
        (1, W, "new_customers", 3.0),
        (1, W1, "new_customers", 0.0),
    ]
)
TARGETS = targets(
    [
        (1, W, "deposit_balance", 1000.0),
        (2, W, "deposit_balance", 1000.0),
        (1, W, "new_customers", 4.0),
        (1, W1, "new_customers", 4.0),
    ]
)


def test_branch_kpis_exact() -> None:
    out = k.branch_kpis(WEEKLY, TARGETS, week=W)
    assert out.columns == [
        "branch_id",
        "kpi",
        "value",
        "prev_value",
        "wow_abs",
        "wow_pct",
        "yoy_value",
        "yoy_abs",
        "yoy_pct",
        "target",
        "attainment",
    ]
    rows = {(r["branch_id"], r["kpi"]): r for r in out.to_dicts()}
    b1 = rows[(1, "deposit_balance")]
    assert (b1["value"], b1["prev_value"], b1["wow_abs"]) == (1200.0, 1000.0, 200.0)
    assert b1["wow_pct"] == pytest.approx(0.2)
    assert (b1["yoy_value"], b1["yoy_abs"]) == (800.0, 400.0)
    assert b1["yoy_pct"] == pytest.approx(0.5)
    assert b1["attainment"] == pytest.approx(1.2)
    b2 = rows[(2, "deposit_balance")]
    assert b2["wow_pct"] == pytest.approx(-1 / 6)
    assert b2["yoy_value"] is None and b2["yoy_pct"] is None
    assert b2["attainment"] == pytest.approx(0.5)
    nc = rows[(1, "new_customers")]
    # The previous week had 0: the change is +3 but no percentage exists.
    assert (nc["wow_abs"], nc["wow_pct"]) == (3.0, None)
    assert nc["attainment"] == pytest.approx(0.75)


def test_bank_kpis_sum_branches() -> None:
    out = k.bank_kpis(WEEKLY, TARGETS, week=W).filter(pl.col("kpi") == "deposit_balance")
    row = out.to_dicts()[0]
    assert (row["value"], row["prev_value"], row["target"]) == (1700.0, 1600.0, 2000.0)
    assert row["attainment"] == pytest.approx(0.85)
    assert row["wow_pct"] == pytest.approx(100 / 1600)


@pytest.mark.parametrize(
    ("target", "expected"),
    [
        pytest.param(0.0, None, id="zero-target"),
        pytest.param(-5.0, None, id="negative-target"),
        pytest.param(600.0, 2.0, id="above-target"),
    ],
)
def test_attainment_needs_positive_target(target: float, expected: float | None) -> None:
    out = k.branch_kpis(weekly([(1, W, "aum", 1200.0)]), targets([(1, W, "aum", target)]), week=W)
    assert out["attainment"].to_list() == [expected]


def test_week_must_be_monday() -> None:
    with pytest.raises(ValueError, match="Monday"):
        k.branch_kpis(WEEKLY, TARGETS, week=W + timedelta(days=1))


def test_missing_columns_named() -> None:
    with pytest.raises(ValueError, match=r"weekly lacks columns \['value'\]"):
        k.branch_kpis(WEEKLY.drop("value"), TARGETS, week=W)


def test_kpi_trend_prior_year_and_target() -> None:
    out = k.kpi_trend(WEEKLY, TARGETS, kpi="deposit_balance", week=W, weeks=3)
    assert out["week_start"].to_list() == [W - timedelta(weeks=2), W1, W]
    assert out["value"].to_list() == [None, 1600.0, 1700.0]
    assert out["prior_year"].to_list() == [None, None, 800.0]
    assert out["target"].to_list() == [None, None, 2000.0]


def _history(changes: list[float], branch: int = 1, kpi: str = "deposit_balance") -> list[tuple]:
    """Weekly levels ending at W whose consecutive differences are ``changes``."""
    level, rows = 1000.0, []
    start = W - timedelta(weeks=len(changes))
    rows.append((branch, start, kpi, level))
    for i, change in enumerate(changes, start=1):
        level += change
        rows.append((branch, start + timedelta(weeks=i), kpi, level))
    return rows


@pytest.mark.parametrize(
    ("kpi", "last", "reason", "adverse", "z"),
    [
        # history changes 9, 11, 9, 11, 10, 10, 9, 11: median 10, MAD 1 -> scale 1.4826
        pytest.param("deposit_balance", -20.0, "deposit_drop", True, -30 / 1.4826, id="drop"),
        pytest.param("deposit_balance", 40.0, "deposit_spike", False, 30 / 1.4826, id="spike"),
        pytest.param("loan_balance", 40.0, "loan_spike", False, 30 / 1.4826, id="loan"),
    ],
)
def test_flags_robust_z(kpi: str, last: float, reason: str, adverse: bool, z: float) -> None:
    frame = weekly(_history([9, 11, 9, 11, 10, 10, 9, 11, last], kpi=kpi))
    out = k.week_flags(frame, W, FLAGS)
    assert out.height == 1
    row = out.to_dicts()[0]
    assert (row["kpi"], row["reason"], row["adverse"]) == (kpi, reason, adverse)
    assert row["typical_change"] == 10.0
    assert row["z"] == pytest.approx(z)


def _levels(values: list[float], kpi: str, branch: int = 1) -> list[tuple]:
    """Weekly levels ending at W."""
    start = W - timedelta(weeks=len(values) - 1)
    return [(branch, start + timedelta(weeks=i), kpi, v) for i, v in enumerate(values)]


def test_a_figure_that_rose_is_never_an_unusual_drop() -> None:
    """AUM rose by 2 where it usually rises by 10: the old z (-5.4) called it 'unusual AUM drop'."""
    frame = weekly(_history([9, 11, 9, 11, 10, 10, 9, 11, 2], kpi="aum"))
    assert k.week_flags(frame, W, FLAGS).height == 0


def test_one_conversion_to_none_is_not_news() -> None:
    """0, 1, 1, … then 0: the old robust z was -6.4 (adverse); a Poisson count is not unusual."""
    frame = weekly(_levels([0, 1, 1, 1, 1, 1, 1, 1, 1, 0], "conversions"))
    assert k.week_flags(frame, W, FLAGS).height == 0


def test_counts_are_tested_as_counts() -> None:
    # usual 2 a week; 12 has P(X >= 12 | 2) ~ 1e-6: flagged, z is its normal score
    frame = weekly(_levels([2, 1, 3, 2, 2, 1, 3, 2, 2, 12], "new_customers"))
    out = k.week_flags(frame, W, FLAGS)
    assert out["reason"].to_list() == ["new_customers_spike"]
    assert out["adverse"].to_list() == [False]
    assert out["z"].item() == pytest.approx(norm.isf(poisson.sf(11, 2.0)))
    # 6 is unusual for a Poisson(2) at p = 0.05 but the minimum absolute change of 5 is not met
    five = weekly(_levels([2, 1, 3, 2, 2, 1, 3, 2, 2, 6], "new_customers"))
    assert (
        k.week_flags(five, W, replace(FLAGS, kpi_count_p_value=0.05, kpi_count_min_change=5)).height
        == 0
    )
    # a drop from a usual 20 to 3 is an adverse 'fewer than usual'
    drop = weekly(_levels([20, 19, 22, 18, 21, 20, 20, 19, 21, 3], "mobile_signups"))
    out = k.week_flags(drop, W, FLAGS)
    assert out.select("reason", "adverse").rows() == [("mobile_signups_drop", True)]


def test_outflows_are_judged_on_their_level() -> None:
    usual = [100.0, 120.0, 90.0, 110.0, 100.0, 95.0, 105.0, 115.0, 100.0]
    spike = weekly(_levels([*usual, 5_000.0], "outflow_other_banks"))
    out = k.week_flags(spike, W, FLAGS)
    assert out.select("reason", "adverse").rows() == [("outflow_spike", True)]
    ordinary = weekly(_levels([*usual, 125.0], "outflow_other_banks"))
    assert k.week_flags(ordinary, W, FLAGS).height == 0


def test_a_monthly_measure_is_not_flagged_for_a_month_change() -> None:
    """Effective customers move only when the month changes: 29 of 30 branches were flagged."""
    values = [480.0] * 5 + [500.0] * 4 + [430.0]  # September's, October's, November's count
    frame = weekly(_levels(values, "effective_customers"))
    assert k.week_flags(frame, W, FLAGS).height == 0


def test_flags_ignore_ordinary_moves_and_old_history() -> None:
    # 12 is within 2 robust sigmas (z = 2 / 1.4826 = 1.35); the old -500 lies outside 8 weeks.
    frame = weekly(_history([-500, 9, 11, 9, 11, 10, 10, 9, 11, 12]))
    assert k.week_flags(frame, W, FLAGS).height == 0


def test_flags_mean_ad_fallback_and_flat_history() -> None:
    # changes 0,0,0,0,0,4 -> MAD 0, mean AD about the median 0 = 4/6 -> scale 0.8355
    frame = weekly(_history([0, 0, 0, 0, 0, 4, 3], kpi="loan_balance"))
    out = k.week_flags(frame, W, replace(FLAGS, kpi_history_weeks=6))
    assert out["z"].to_list() == pytest.approx([3 / (4 / 6 * 1.2533)])
    assert out["reason"].to_list() == ["loan_spike"]
    flat = weekly(_history([0, 0, 0, 0, 0, 0, 3], kpi="loan_balance"))
    assert k.week_flags(flat, W, replace(FLAGS, kpi_history_weeks=6)).height == 0


def test_flags_need_history_and_consecutive_weeks() -> None:
    short = weekly(_history([10, 10, 11, -50]))  # 3 past changes < 4
    assert k.week_flags(short, W, FLAGS).height == 0
    gap = weekly([r for r in _history([9, 11, 9, 11, 10, 10, -50]) if r[1] != W1])
    assert k.week_flags(gap, W, FLAGS).height == 0


def test_branch_ranking_caps_and_inverts_outflow() -> None:
    kpis = k.branch_kpis(
        weekly(
            [
                (1, W, "deposit_balance", 3000.0),  # 3.0 capped to 1.5
                (1, W, "outflow_other_banks", 200.0),  # target 100 / 200 = 0.5
                (2, W, "deposit_balance", 1100.0),  # 1.1
                (2, W, "outflow_other_banks", 50.0),  # 100 / 50 = 2 -> 1.5
                (3, W, "deposit_balance", 10.0),  # no target
            ]
        ),
        targets(
            [
                (1, W, "deposit_balance", 1000.0),
                (1, W, "outflow_other_banks", 100.0),
                (2, W, "deposit_balance", 1000.0),
                (2, W, "outflow_other_banks", 100.0),
            ]
        ),
        week=W,
    )
    out = k.branch_ranking(kpis)
    assert out["branch_id"].to_list() == [2, 1, 3]
    assert out["rank"].to_list() == [1, 2, None]
    assert out["score"].to_list()[:2] == pytest.approx([1.3, 1.0])
    assert out["on_target"].to_list() == [2, 1, 0]
    assert out["with_target"].to_list() == [2, 2, 0]


def test_officer_league() -> None:
    rows = pl.DataFrame(
        [
            (10, 1, W, "conversions", 2),
            (10, 1, W, "activities", 6),
            (11, 1, W, "conversions", 2),
            (11, 1, W, "new_customers", 1),
            (11, 1, W, "activities", 8),
            (11, 1, W1, "conversions", 3),
            (12, 2, W, "activities", 1),
        ],
        schema=list(k.OFFICER_COLUMNS),
        orient="row",
    )
    officers = pl.DataFrame({"officer_id": [10, 11, 12, 13], "branch_id": [1, 1, 2, 2]})
    out = k.officer_league(rows, week=W, officers=officers)
    assert out["officer_id"].to_list() == [11, 10, 12, 13]
    assert out["rank"].to_list() == [1, 2, 3, 4]
    assert out["conversions_prev"].to_list() == [3, 0, 0, 0]
    # median activities 3.5: under 1.75 lags
    assert out["lagging"].to_list() == [False, False, True, True]


def test_officer_league_rejects_unknown_measure() -> None:
    rows = pl.DataFrame([(10, 1, W, "visits", 1)], schema=list(k.OFFICER_COLUMNS), orient="row")
    with pytest.raises(ValueError, match="unknown measures"):
        k.officer_league(rows, week=W)


KPI = st.sampled_from(k.STOCK_KPIS + k.FLOW_KPIS)


@settings(max_examples=40, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.integers(1, 4),
            st.integers(0, 2),
            KPI,
            st.floats(0, 1e9, allow_nan=False),
            st.floats(0.01, 1e9, allow_nan=False),
        ),
        min_size=1,
        max_size=20,
        unique_by=lambda r: (r[0], r[1], r[2]),
    )
)
def test_properties(rows: list[tuple]) -> None:
    frame = weekly([(b, W - timedelta(weeks=w), kpi, v) for b, w, kpi, v, _ in rows])
    tgt = targets([(b, W - timedelta(weeks=w), kpi, t) for b, w, kpi, _, t in rows])
    branches = k.branch_kpis(frame, tgt, week=W)
    assert (branches["attainment"].drop_nulls() >= 0).all()
    bank = k.bank_kpis(frame, tgt, week=W)
    sums = branches.group_by("kpi").agg(pl.col("value").sum()).sort("kpi")
    assert bank.select("kpi", "value").sort("kpi")["value"].to_list() == pytest.approx(
        sums["value"].to_list()
    )
    ranking = k.branch_ranking(branches)
    assert (ranking["score"].drop_nulls() <= 1.5).all()
    assert set(ranking["branch_id"].to_list()) == set(branches["branch_id"].to_list())


def test_fill_flow_gaps() -> None:
    frame = weekly(
        [(1, W, "deposit_balance", 5.0), (1, W, "conversions", 2.0), (2, W1, "aum", 1.0)]
    )
    out = k.fill_flow_gaps(frame)
    got = {(r["branch_id"], r["week_start"], r["kpi"]): r["value"] for r in out.to_dicts()}
    assert got == {
        (1, W, "deposit_balance"): 5.0,
        (1, W, "conversions"): 2.0,
        (1, W, "new_customers"): 0.0,
        (1, W, "mobile_signups"): 0.0,
        (1, W, "outflow_other_banks"): 0.0,
        (2, W1, "aum"): 1.0,
        (2, W1, "new_customers"): 0.0,
        (2, W1, "mobile_signups"): 0.0,
        (2, W1, "conversions"): 0.0,
        (2, W1, "outflow_other_banks"): 0.0,
    }
    assert out.schema == frame.schema


def _monthly_weeks(values: dict[date, float], first: date, last: date) -> list[tuple]:
    """Effective-customer rows of branch 1 for every Monday in [first, last]: its month's value."""
    out, d = [], first
    while d <= last:
        out.append((1, d, "effective_customers", values[d.replace(day=1)]))
        d += timedelta(weeks=1)
    return out


def test_a_monthly_measure_compares_the_same_calendar_month_a_year_earlier() -> None:
    """Monday 30 Nov 2026 minus 52 weeks is 1 Dec 2025: the month to compare is November 2025."""
    values = {date(2025, 11, 1): 100.0, date(2025, 12, 1): 120.0, date(2026, 11, 1): 130.0}
    values |= {date(2026, m, 1): 110.0 for m in range(1, 11)}
    values |= {date(2026, 12, 1): 0.0}
    rows = _monthly_weeks(values, date(2025, 11, 3), date(2026, 11, 30))
    out = k.branch_kpis(
        weekly(rows), weekly([]).rename({"value": "target"}), week=date(2026, 11, 30)
    )
    row = out.filter(pl.col("kpi") == "effective_customers").row(0, named=True)
    assert (row["value"], row["yoy_value"]) == (130.0, 100.0)
    assert row["yoy_pct"] == pytest.approx(0.3)


def test_a_running_month_is_compared_with_the_same_days() -> None:
    """Data to 22 Nov: November so far against 1-22 October and 1-22 November 2025."""
    values = {date(2025, 11, 1): 450.0, date(2026, 10, 1): 500.0, date(2026, 11, 1): 430.0}
    values |= {date(2025, 12, 1): 1.0} | {date(2026, m, 1): 1.0 for m in range(1, 10)}
    rows = _monthly_weeks(values, date(2025, 11, 3), date(2026, 11, 16))
    same_days = pl.DataFrame(
        {
            "branch_id": [1, 1],
            "month": [date(2026, 10, 1), date(2025, 11, 1)],
            "value": [400.0, 410.0],
        }
    )
    targets = weekly([]).rename({"value": "target"})
    week = date(2026, 11, 2)  # the month changed this week
    out = k.branch_kpis(weekly(rows), targets, week=week, same_days=same_days)
    row = out.filter(pl.col("kpi") == "effective_customers").row(0, named=True)
    assert (row["value"], row["prev_value"], row["yoy_value"]) == (430.0, 400.0, 410.0)
    bank = k.bank_kpis(weekly(rows), targets, week=week, same_days=same_days)
    assert bank.filter(pl.col("kpi") == "effective_customers")["yoy_value"].item() == 410.0
    # a later week of the month: last week had the same month's figure (no change)
    later = k.branch_kpis(weekly(rows), targets, week=date(2026, 11, 16), same_days=same_days)
    row = later.filter(pl.col("kpi") == "effective_customers").row(0, named=True)
    assert (row["prev_value"], row["yoy_value"]) == (430.0, 410.0)


def test_outflow_attainment_is_target_over_actual() -> None:
    """286% of the target out is not over-achievement: attainment reads 35% (target ÷ actual)."""
    rows = weekly([(1, W, "outflow_other_banks", 286.0), (1, W, "deposit_balance", 50.0)])
    targets = weekly([(1, W, "outflow_other_banks", 100.0), (1, W, "deposit_balance", 100.0)])
    out = k.branch_kpis(rows, targets.rename({"value": "target"}), week=W)
    got = dict(zip(out["kpi"].to_list(), out["attainment"].to_list(), strict=True))
    assert got["outflow_other_banks"] == pytest.approx(100 / 286)
    assert got["deposit_balance"] == pytest.approx(0.5)


def test_week_flags_take_the_standards_thresholds() -> None:
    """6 new customers where 2 is usual: flagged when the standard asks for a change of 3, not 5."""
    frame = weekly(_levels([2, 1, 3, 2, 2, 1, 3, 2, 2, 6], "new_customers"))
    base = replace(FLAGS, kpi_count_p_value=0.05)
    loose = k.week_flags(frame, W, replace(base, kpi_count_min_change=3))
    assert loose.select("kpi", "reason").rows() == [("new_customers", "new_customers_spike")]
    assert k.week_flags(frame, W, replace(base, kpi_count_min_change=5)).height == 0
