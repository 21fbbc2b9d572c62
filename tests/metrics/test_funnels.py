"""Funnel metrics on tiny literal stage pivots with exact answers, plus property tests."""

from __future__ import annotations

import itertools
from datetime import date, datetime, timedelta

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from metrics.funnels import (
    breakdown,
    dropped_at,
    entry_week_trend,
    funnel_report,
    mark_reached,
    stage_counts,
    time_to_convert,
    time_to_convert_histogram,
)
from metrics.standards import load_standards

STAGES = ("targeted", "contacted", "interested", "applied", "converted")
TS = pl.Datetime("us")
SCHEMA = {
    "customer_id": pl.Int64,
    "officer_id": pl.Int64,
    "branch_id": pl.Int64,
    "tier": pl.String,
    **{f"{s}_at": TS for s in STAGES},
}


def d(day: int, hour: int = 0) -> datetime:
    """A timestamp in January 2026 (5 January is a Monday)."""
    return datetime(2026, 1, day, hour)


def pivot(rows: list[tuple]) -> pl.DataFrame:
    """Rows of (customer, officer, branch, tier, targeted, contacted, interested, applied, converted)."""
    return pl.DataFrame(rows, schema=SCHEMA, orient="row")


# 1: full path in 4.5 days; 2: stops after contacted; 3: contacted BEFORE being targeted (out of
# order) then interested; 4: converted on day 40, outside a 30-day window; 5: never targeted;
# 6: full path, other branch, 10 days; 7: interested without contacted (skipped a stage).
BOOK = pivot(
    [
        (1, 10, 1, "vip", d(5), d(6), d(7), d(8), d(9, 12)),
        (2, 10, 1, "mass", d(5), d(7), None, None, None),
        (3, 11, 1, None, d(6), d(4), d(8), None, None),
        (4, 11, 1, "mass", d(1), d(2), d(3), d(4), datetime(2026, 2, 10)),
        (5, 12, 2, "mass", None, d(6), d(7), None, None),
        (6, 12, 2, "vip", d(12), d(13), d(14), d(20), d(22)),
        (7, 12, 2, "mass", d(12), None, d(14), None, None),
    ]
)


def test_mark_reached_applies_order_and_window() -> None:
    out = mark_reached(BOOK, STAGES, 30).sort("customer_id")
    assert out["depth"].to_list() == [5, 2, 1, 4, 0, 5, 1]
    assert out["reached_contacted"].to_list() == [True, True, False, True, False, True, False]
    assert out["days_to_convert"].to_list() == [4.5, None, None, None, None, 10.0, None]


@pytest.mark.parametrize(
    ("window", "expected"),
    [
        pytest.param(30, [6, 4, 3, 3, 2], id="30-days"),
        pytest.param(
            3, [6, 4, 3, 2, 0], id="3-days"
        ),  # 1 converts after 4.5 d; 6 applies after 8 d
        pytest.param(0, [6, 0, 0, 0, 0], id="same-instant-only"),
        pytest.param(60, [6, 4, 3, 3, 3], id="60-days-catches-late-convert"),
    ],
)
def test_stage_counts_by_window(window: int, expected: list[int]) -> None:
    counts = stage_counts(mark_reached(BOOK, STAGES, window), STAGES)
    assert counts["stage"].to_list() == list(STAGES)
    assert counts["step"].to_list() == [0, 1, 2, 3, 4]
    assert counts["customers"].to_list() == expected


def test_stage_counts_rates() -> None:
    counts = stage_counts(mark_reached(BOOK, STAGES, 30), STAGES)
    assert counts["rate_vs_first"].to_list() == pytest.approx([1.0, 4 / 6, 3 / 6, 3 / 6, 2 / 6])
    assert counts["rate_vs_previous"].to_list() == pytest.approx([1.0, 4 / 6, 3 / 4, 1.0, 2 / 3])


def test_stage_counts_by_group_and_zero_base() -> None:
    counts = stage_counts(mark_reached(BOOK, STAGES, 30), STAGES, by=["branch_id"])
    b1 = counts.filter(pl.col("branch_id") == 1)
    b2 = counts.filter(pl.col("branch_id") == 2)
    assert b1["customers"].to_list() == [4, 3, 2, 2, 1]
    assert b2["customers"].to_list() == [2, 1, 1, 1, 1]
    assert b2["rate_vs_previous"].to_list() == pytest.approx([1.0, 0.5, 1.0, 1.0, 1.0])
    empty = stage_counts(mark_reached(BOOK.filter(pl.col("customer_id") == 5), STAGES, 30), STAGES)
    assert empty["customers"].to_list() == [0] * 5
    assert empty["rate_vs_first"].to_list() == [None] * 5
    assert empty["rate_vs_previous"].to_list() == [None] * 5


def test_breakdown_by_tier_puts_missing_under_unknown() -> None:
    out = breakdown(mark_reached(BOOK, STAGES, 30), STAGES, "tier")
    assert out["group"].to_list() == ["mass", "vip", "unknown"]
    assert out["targeted"].to_list() == [3, 2, 1]
    assert out["converted"].to_list() == [0, 2, 0]
    assert out["conversion"].to_list() == pytest.approx([0.0, 1.0, 0.0])


@pytest.mark.parametrize(
    ("step", "customers", "last_stage"),
    [
        pytest.param(1, [3, 7], "targeted", id="not-contacted"),
        pytest.param(2, [2], "contacted", id="contacted-not-interested"),
        pytest.param(4, [4], "applied", id="applied-not-converted-in-window"),
    ],
)
def test_dropped_at(step: int, customers: list[int], last_stage: str) -> None:
    out = dropped_at(mark_reached(BOOK, STAGES, 30), STAGES, step)
    assert out["customer_id"].to_list() == customers
    assert set(out["last_stage"].to_list()) == {last_stage}


def test_dropped_at_is_sorted_by_officer_and_rejects_bad_steps() -> None:
    out = dropped_at(mark_reached(BOOK, STAGES, 30), STAGES, 1)
    assert out["officer_id"].to_list() == [11, 12]
    assert out["last_stage_at"].to_list() == [d(6), d(12)]
    for bad in (0, 5):
        with pytest.raises(ValueError, match="step must be between 1 and 4"):
            dropped_at(mark_reached(BOOK, STAGES, 30), STAGES, bad)


def test_time_to_convert_summary_and_histogram() -> None:
    reached = mark_reached(BOOK, STAGES, 60)  # converts: 4.5, 10.0 and 40.0 days
    summary = time_to_convert(reached, quantiles=(0.25, 0.5))
    assert summary.row(0, named=True) == pytest.approx(
        {"converted": 3, "mean": 54.5 / 3, "median": 10.0, "q25": 7.25, "q50": 10.0}
    )
    hist = time_to_convert_histogram(reached, bin_days=7)
    assert hist["bin_start"].to_list() == [0, 7, 14, 21, 28, 35]
    assert hist["bin_end"].to_list() == [7, 14, 21, 28, 35, 42]
    assert hist["customers"].to_list() == [1, 1, 0, 0, 0, 1]


def test_time_to_convert_with_nobody_converted() -> None:
    reached = mark_reached(BOOK, STAGES, 0)
    assert time_to_convert(reached).row(0, named=True)["median"] is None
    assert time_to_convert(reached)["converted"].to_list() == [0]
    assert time_to_convert_histogram(reached).height == 0


def test_entry_week_trend_and_completeness() -> None:
    trend = entry_week_trend(mark_reached(BOOK, STAGES, 30), STAGES, 30, as_of=date(2026, 2, 10))
    assert trend["entry_week"].to_list() == [
        date(2025, 12, 29),
        date(2026, 1, 5),
        date(2026, 1, 12),
    ]
    assert trend["targeted"].to_list() == [1, 3, 2]
    assert trend["converted"].to_list() == [0, 1, 1]
    assert trend["conversion"].to_list() == pytest.approx([0.0, 1 / 3, 0.5])
    # week of 12 January: its entrants (12 January) have windows ending 11 February, after as_of
    assert trend["complete"].to_list() == [True, True, False]


def test_rejects_malformed_input() -> None:
    with pytest.raises(ValueError, match="lacks columns"):
        mark_reached(BOOK.drop("applied_at"), STAGES, 30)
    with pytest.raises(ValueError, match="non-negative"):
        mark_reached(BOOK, STAGES, -1)
    with pytest.raises(ValueError, match="at least two stages"):
        mark_reached(BOOK, STAGES[:1], 30)


def test_stages_come_from_the_standard() -> None:
    funnel = load_standards().funnel
    assert funnel.codes == STAGES
    assert funnel.default_window_days == 30


# --- properties ------------------------------------------------------------------------------

offsets = st.one_of(st.none(), st.integers(min_value=-5 * 24, max_value=60 * 24))


@st.composite
def random_pivot(draw: st.DrawFn) -> pl.DataFrame:
    """A random pivot: per customer, each stage missing or at some hour around the target day."""
    n = draw(st.integers(min_value=0, max_value=25))
    rows = []
    for i in range(n):
        base = datetime(2026, 3, 1) + timedelta(days=draw(st.integers(0, 40)))
        targeted = draw(st.one_of(st.none(), st.just(base)))
        later = [draw(offsets) for _ in STAGES[1:]]
        stamps = [None if h is None else base + timedelta(hours=h) for h in later]
        rows.append((i, i % 3, i % 2, "mass", targeted, *stamps))
    return pivot(rows)


@settings(max_examples=60, deadline=None)
@given(
    random_pivot(), st.integers(min_value=0, max_value=60), st.integers(min_value=0, max_value=30)
)
def test_properties_counts_never_rise_rates_bounded_window_monotone(
    data: pl.DataFrame, window: int, extra: int
) -> None:
    counts = stage_counts(mark_reached(data, STAGES, window), STAGES)["customers"].to_list()
    assert all(a >= b for a, b in itertools.pairwise(counts))
    rates = stage_counts(mark_reached(data, STAGES, window), STAGES)
    for col in ("rate_vs_first", "rate_vs_previous"):
        assert all(0.0 <= r <= 1.0 for r in rates[col].drop_nulls().to_list())
    longer = stage_counts(mark_reached(data, STAGES, window + extra), STAGES)["customers"]
    assert all(b >= a for a, b in zip(counts, longer.to_list(), strict=True))
    # the drop lists partition everyone who was targeted but did not convert
    reached = mark_reached(data, STAGES, window)
    dropped = sum(dropped_at(reached, STAGES, k).height for k in range(1, len(STAGES)))
    assert dropped == counts[0] - counts[-1]


def test_funnel_report_bundles_the_page() -> None:
    report = funnel_report(BOOK, STAGES, 30, as_of=date(2026, 2, 14), bin_days=7)
    assert report.counts["customers"].to_list() == [6, 4, 3, 3, 2]
    assert set(report.breakdowns) == {"branch_id", "officer_id", "tier"}  # columns present
    officers = report.breakdowns["officer_id"]  # two targeted each: ties go by group
    assert officers["group"].to_list() == ["10", "11", "12"]
    assert officers["conversion"].to_list() == pytest.approx([0.5, 0.0, 0.5])
    assert report.time_to_convert["median"] == pytest.approx(7.25)
    assert report.histogram["customers"].to_list() == [1, 1]
    assert report.trend["complete"].to_list() == [True, True, True]  # last window ends 11 Feb


def test_each_campaign_keeps_its_own_window_and_says_how_many_are_still_inside() -> None:
    """A 45-day campaign is not cut to 30 days when campaigns are viewed together."""
    t0 = datetime(2026, 9, 1, 9)
    rows = [
        # campaign 1 (45 days): converted on day 40 -> inside its window
        (1, 1, 45, t0, t0 + timedelta(days=40)),
        # campaign 2 (30 days): converted on day 40 -> outside its window
        (2, 2, 30, t0, t0 + timedelta(days=40)),
        # campaign 1, targeted late: its window is still open on 10 October
        (3, 1, 45, datetime(2026, 10, 1, 9), None),
        (4, 2, 30, datetime(2026, 9, 5, 9), datetime(2026, 9, 6, 9)),
    ]
    frame = pl.DataFrame(
        [
            {
                "campaign_id": c,
                "customer_id": cid,
                "window_days": w,
                "targeted_at": at,
                "contacted_at": at,
                "interested_at": at,
                "applied_at": at if conv else None,
                "converted_at": conv,
            }
            for cid, c, w, at, conv in rows
        ]
    )
    own = mark_reached(frame, STAGES, None).sort("customer_id")
    assert own["reached_converted"].to_list() == [True, False, False, True]
    assert mark_reached(frame, STAGES, 30).sort("customer_id")["reached_converted"].to_list() == [
        False,
        False,
        False,
        True,
    ]
    report = funnel_report(frame, STAGES, None, as_of=date(2026, 10, 20))
    # windows end 16 Oct (1), 1 Oct (2), 15 Nov (3), 5 Oct (4): one is still open on 20 Oct
    assert report.maturity == {
        "targeted": 4,
        "in_window": 1,
        "matured_targeted": 3,
        "matured_converted": 2,
        "matured_conversion": pytest.approx(2 / 3),
    }
    assert report.counts["customers"].to_list()[-1] == 2  # running: 2 of 4
