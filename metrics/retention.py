"""Retention: monthly cohort retention ("on" and "on or after") and the weekly lifecycle.

Both work from counts that the data-access layer aggregates in SQL; ``cohort_counts`` and
``weekly_activity_counts`` compute the same counts from per-customer activity in polars (small
data, tests, and a check that the SQL agrees).

Definitions
- A customer's **cohort** is the month of the first account opened; **age** k is the number of
  months since the cohort month (k = 0 is the cohort month itself).
- Retention **on** month k: share of the cohort active in month k.
- Retention **on or after** month k: share of the cohort active in month k or any later month
  up to ``as_of`` (equivalently: whose last active month is k or later). Always ≥ "on".
- Lifecycle for week w (weeks start on Monday), among customers active at some time:
  * **new**: first activity ever is in week w;
  * **returning**: active in w and in w − 1;
  * **resurrecting**: active in w, not in w − 1, but in some week before w − 1;
  * **dormant**: active in w − 1, not in w.
  new + returning + resurrecting = active in w; returning + dormant = active in w − 1.
"""

from __future__ import annotations

from datetime import date, timedelta

import polars as pl

COHORT_SIZE_SCHEMA = {"cohort_month": pl.Date, "customers": pl.Int64}
COHORT_ACTIVITY_SCHEMA = {
    "cohort_month": pl.Date,
    "month": pl.Date,
    "active": pl.Int64,
    "last_active": pl.Int64,
}
WEEKLY_COUNT_SCHEMA = {
    "week": pl.Date,
    "prev_gap": pl.Int64,
    "next_consecutive": pl.Boolean,
    "customers": pl.Int64,
}
LIFECYCLE_STATES = ("new", "returning", "resurrecting", "dormant")


def _month(day: date) -> date:
    return day.replace(day=1)


def cohort_counts(activity: pl.DataFrame, *, as_of: date) -> pl.DataFrame:
    """From per-customer active months (customer_id, cohort_month, month; duplicates allowed) to
    cohort_month, month, active (customers active that month), last_active (customers whose last
    active month up to ``as_of`` it is). Months before the cohort month or after ``as_of`` are
    ignored (activity after ``as_of`` must not move anyone's last active month)."""
    act = (
        activity.select("customer_id", "cohort_month", "month")
        .filter(pl.col("month") >= pl.col("cohort_month"), pl.col("month") <= _month(as_of))
        .unique()
    )
    active = act.group_by("cohort_month", "month").agg(pl.len().cast(pl.Int64).alias("active"))
    last = (
        act.group_by("customer_id", "cohort_month")
        .agg(pl.col("month").max())
        .group_by("cohort_month", "month")
        .agg(pl.len().cast(pl.Int64).alias("last_active"))
    )
    return (
        active.join(last, on=["cohort_month", "month"], how="left")
        .with_columns(pl.col("last_active").fill_null(0))
        .select(list(COHORT_ACTIVITY_SCHEMA))
        .sort("cohort_month", "month")
    )


def cohort_retention(sizes: pl.DataFrame, activity: pl.DataFrame, *, as_of: date) -> pl.DataFrame:
    """Long table, one row per cohort and age up to ``as_of``'s month: cohort_month, age, month,
    customers (cohort size), active_on, active_on_or_after, retention_on, retention_on_or_after.

    ``sizes``: cohort_month, customers; ``activity``: cohort_month, month, active, last_active,
    counted up to ``as_of`` (a later month is refused: it would hide who stopped). Empty cohorts
    are dropped."""
    end = _month(as_of)
    if activity.height and activity["month"].max() > end:
        raise ValueError(f"cohort activity runs past as_of ({as_of}); count it up to as_of")
    sizes = sizes.filter((pl.col("customers") > 0) & (pl.col("cohort_month") <= end))
    if sizes.is_empty():
        return pl.DataFrame(
            schema={
                "cohort_month": pl.Date,
                "age": pl.Int64,
                "month": pl.Date,
                "customers": pl.Int64,
                "active_on": pl.Int64,
                "active_on_or_after": pl.Int64,
                "retention_on": pl.Float64,
                "retention_on_or_after": pl.Float64,
            }
        )
    grid = (
        sizes.with_columns(
            pl.date_ranges(pl.col("cohort_month"), pl.lit(end), interval="1mo").alias("month")
        )
        .explode("month")
        .with_columns(
            (
                (pl.col("month").dt.year() - pl.col("cohort_month").dt.year()) * 12
                + pl.col("month").dt.month().cast(pl.Int64)
                - pl.col("cohort_month").dt.month().cast(pl.Int64)
            )
            .cast(pl.Int64)
            .alias("age")
        )
    )
    acts = activity.select(list(COHORT_ACTIVITY_SCHEMA))
    return (
        grid.join(acts, on=["cohort_month", "month"], how="left")
        .with_columns(pl.col("active").fill_null(0), pl.col("last_active").fill_null(0))
        .sort("cohort_month", "month")
        .with_columns(
            # active on or after month k = customers whose last active month is k or later
            pl.col("last_active")
            .reverse()
            .cum_sum()
            .reverse()
            .over("cohort_month")
            .alias("active_on_or_after")
        )
        .select(
            "cohort_month",
            "age",
            "month",
            pl.col("customers").cast(pl.Int64),
            pl.col("active").cast(pl.Int64).alias("active_on"),
            pl.col("active_on_or_after").cast(pl.Int64),
            (pl.col("active") / pl.col("customers")).alias("retention_on"),
            (pl.col("active_on_or_after") / pl.col("customers")).alias("retention_on_or_after"),
        )
    )


def weekly_activity_counts(activity: pl.DataFrame) -> pl.DataFrame:
    """From per-customer active weeks (customer_id, week = Monday; duplicates allowed) to
    week, prev_gap (0 first activity, 1 active the week before, 2 active earlier but not the week
    before), next_consecutive (active the following week too), customers."""
    act = activity.select("customer_id", "week").unique().sort("customer_id", "week")
    gap_before = (pl.col("week") - pl.col("week").shift(1).over("customer_id")).dt.total_days()
    gap_after = (pl.col("week").shift(-1).over("customer_id") - pl.col("week")).dt.total_days()
    return (
        act.with_columns(
            pl.when(gap_before.is_null())
            .then(0)
            .when(gap_before == 7)
            .then(1)
            .otherwise(2)
            .cast(pl.Int64)
            .alias("prev_gap"),
            (gap_after == 7).fill_null(False).alias("next_consecutive"),
        )
        .group_by("week", "prev_gap", "next_consecutive")
        .agg(pl.len().cast(pl.Int64).alias("customers"))
        .select(list(WEEKLY_COUNT_SCHEMA))
        .sort("week", "prev_gap", "next_consecutive")
    )


def lifecycle(counts: pl.DataFrame, *, start_week: date, end_week: date) -> pl.DataFrame:
    """Per week from ``start_week`` to ``end_week`` (Mondays, inclusive): new, returning,
    resurrecting, dormant counts (see the module docstring). ``counts`` as from
    ``weekly_activity_counts``; it must cover ``start_week`` − 1 week to see who went dormant."""
    if start_week.weekday() or end_week.weekday():
        raise ValueError("lifecycle weeks must start on a Monday")
    if end_week < start_week:
        raise ValueError("lifecycle: end_week is before start_week")
    weeks = pl.DataFrame({"week": pl.date_range(start_week, end_week, interval="1w", eager=True)})
    c = counts.select(list(WEEKLY_COUNT_SCHEMA))
    by_week = c.group_by("week").agg(
        pl.col("customers").filter(pl.col("prev_gap") == 0).sum().alias("new"),
        pl.col("customers").filter(pl.col("prev_gap") == 1).sum().alias("returning"),
        pl.col("customers").filter(pl.col("prev_gap") == 2).sum().alias("resurrecting"),
    )
    dormant = (
        c.filter(~pl.col("next_consecutive"))
        .group_by("week")
        .agg(pl.col("customers").sum().alias("dormant"))
        .with_columns((pl.col("week") + timedelta(days=7)).alias("week"))
    )
    return (
        weeks.join(by_week, on="week", how="left")
        .join(dormant, on="week", how="left")
        .with_columns(pl.col(s).fill_null(0).cast(pl.Int64) for s in LIFECYCLE_STATES)
        .select("week", *LIFECYCLE_STATES)
        .sort("week")
    )
