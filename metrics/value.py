"""Customer value: month-average AUM, tiers with hysteresis, tier migration and shares, effective customers.

Pure polars (numpy for the month-by-month tier walk); the clock is always a parameter.
"""

from __future__ import annotations

from datetime import date

import numpy as np
import polars as pl

from metrics.standards import EffectiveCustomer, Tiers

TIER_MONTHS_SCHEMA = {
    "customer_id": pl.Int64,
    "month": pl.Date,
    "aum": pl.Float64,
    "qualifying_tier": pl.String,
    "tier": pl.String,
}


def month_aum(balances: pl.DataFrame | pl.LazyFrame) -> pl.DataFrame:
    """(customer_id, month, demand_avg, time_avg, wealth_avg) -> (customer_id, month, aum)."""
    return (
        balances.lazy()
        .select(
            pl.col("customer_id").cast(pl.Int64),
            pl.col("month").cast(pl.Date),
            (
                pl.col("demand_avg").fill_null(0.0)
                + pl.col("time_avg").fill_null(0.0)
                + pl.col("wealth_avg").fill_null(0.0)
            )
            .cast(pl.Float64)
            .alias("aum"),
        )
        .sort("customer_id", "month")
        .collect()
    )


def qualifying_tier_index(aum: np.ndarray, tiers: Tiers) -> np.ndarray:
    """Index (0 = lowest) of the highest tier whose bar the AUM reaches; -1 for NaN."""
    bars = np.array([level.min_aum for level in tiers.levels], dtype=np.float64)
    idx = np.searchsorted(bars, aum, side="right") - 1
    idx = np.maximum(idx, 0)  # negative AUM (overdrawn) still counts as the lowest tier
    return np.where(np.isnan(aum), -1, idx)


def _walk(q: np.ndarray, tiers: Tiers) -> np.ndarray:
    """Tier index per (month, customer) from the qualifying matrix; -1 where the month is absent.

    The first month a customer appears takes its qualifying tier. Afterwards, month ``j`` moves
    up to the tier qualified for in month ``j - upgrade_delay_months`` when that is higher, and
    moves down to the tier qualified for in month ``j - 1`` only when the last
    ``downgrade_after_months`` (of the current tier) months were all below the current bar.
    """
    months, n = q.shape  # months first: each month's row is contiguous in memory
    delay = tiers.upgrade_delay_months
    down_after = np.array([lv.downgrade_after_months for lv in tiers.levels], dtype=np.int16)
    absent = np.full(n, -1, dtype=np.int8)
    out = np.full((months, n), -1, dtype=np.int8)
    cur = np.full(n, -1, dtype=np.int8)
    below = np.zeros(n, dtype=np.int16)  # consecutive months (to j-1) below the current bar
    for j in range(months):
        qj = q[j]
        present = qj >= 0
        first = present & (cur < 0)
        new = np.where(first, qj, cur)
        known = present & ~first
        up_from = q[j - delay] if j - delay >= 0 else absent  # delay 0: the month itself
        up = known & (up_from > cur)
        new = np.where(up, up_from, new)
        prev_q = q[j - 1] if j > 0 else absent
        down = known & ~up & (below >= down_after[np.maximum(cur, 0)]) & (prev_q >= 0)
        new = np.where(down, prev_q, new)
        base = np.where(new != cur, 0, below)
        below = np.where(present, np.where(qj < new, base + 1, 0), below).astype(np.int16)
        cur = np.where(present, new, cur)
        out[j] = np.where(present, new, -1)
    return out


def assign_tiers(monthly_aum: pl.DataFrame, tiers: Tiers) -> pl.DataFrame:
    """(customer_id, month, aum) -> (customer_id, month, aum, qualifying_tier, tier).

    Months must be first-of-month dates; a month missing between a customer's first and last
    month counts as AUM 0 for the rule and produces no row.
    """
    if monthly_aum.is_empty():
        return pl.DataFrame(schema=TIER_MONTHS_SCHEMA)
    df = monthly_aum.select(
        pl.col("customer_id").cast(pl.Int64),
        pl.col("month").cast(pl.Date),
        pl.col("aum").cast(pl.Float64),
    ).with_columns(
        (pl.col("month").dt.year().cast(pl.Int64) * 12 + pl.col("month").dt.month() - 1).alias(
            "_m"
        ),
    )
    ids = df.get_column("customer_id").unique().sort()
    df = df.with_columns(ids.search_sorted(df.get_column("customer_id"), side="left").alias("_c"))
    m0 = int(df["_m"].min())
    months = int(df["_m"].max()) - m0 + 1
    n = ids.len()
    ci = df["_c"].to_numpy()
    mi = (df["_m"].to_numpy() - m0).astype(np.int64)
    cell = mi * n + ci  # position in the (months, customers) matrix
    if np.bincount(cell, minlength=n * months).max() > 1:
        raise ValueError("monthly_aum holds more than one row for a customer and month")
    aum = np.full(months * n, np.nan)
    aum[cell] = df["aum"].to_numpy()
    aum = aum.reshape(months, n)
    # months after a customer's first month with no row count as AUM 0 (closed or emptied)
    present = ~np.isnan(aum)
    after_start = np.arange(months)[:, None] >= present.argmax(axis=0)[None, :]
    aum[~present & after_start] = 0.0
    q = qualifying_tier_index(aum, tiers).astype(np.int8)
    tier_idx = _walk(q, tiers)
    codes = pl.Series(list(tiers.codes), dtype=pl.String)
    out = df.select(
        "customer_id",
        "month",
        "aum",
        codes.gather(q.ravel()[cell]).alias("qualifying_tier"),
        codes.gather(tier_idx.ravel()[cell]).alias("tier"),
    )
    key = ci * months + mi
    already_sorted = key.size < 2 or bool(np.all(key[1:] > key[:-1]))  # SQL fetches are ordered
    return out if already_sorted else out.sort("customer_id", "month")


def tiers_in_force(monthly_aum: pl.DataFrame, tiers: Tiers, as_of: date) -> pl.DataFrame:
    """(customer_id, month, aum) of full months -> (customer_id, tier) in force on ``as_of``.

    The tier in force on a day is the walked tier of that day's calendar month, which rests on
    earlier months' balances (``upgrade_delay_months``): on 22 November it rests on October. When
    ``as_of`` is inside a month that has no balances yet, that month is walked from the months
    before it (its own AUM cannot move the tier: with a delay of 0 it repeats the last month's).
    """
    if monthly_aum.is_empty():
        return pl.DataFrame(schema={"customer_id": pl.Int64, "tier": pl.String})
    month = as_of.replace(day=1)
    df = monthly_aum.select(
        pl.col("customer_id").cast(pl.Int64),
        pl.col("month").cast(pl.Date),
        pl.col("aum").cast(pl.Float64),
    ).filter(pl.col("month") <= month)
    if as_of != last_day_of_month(as_of):
        last = df.sort("month").group_by("customer_id").agg(pl.col("aum").last())
        df = pl.concat(
            [
                df.filter(pl.col("month") < month),
                last.select("customer_id", pl.lit(month).alias("month"), "aum"),
            ]
        ).sort("customer_id", "month")
    walked = assign_tiers(df, tiers)
    return walked.filter(pl.col("month") == month).select("customer_id", "tier")


def last_day_of_month(day: date) -> date:
    """The last day of ``day``'s month."""
    nxt = date(day.year + (day.month == 12), day.month % 12 + 1, 1)
    return date.fromordinal(nxt.toordinal() - 1)


def tier_migration(
    tier_months: pl.DataFrame,
    from_month: date,
    to_month: date,
    order: tuple[str, ...] | None = None,
) -> pl.DataFrame:
    """(customer_id, month, tier) -> (from_tier, to_tier, customers, share_of_from).

    Customers present in both months; ``share_of_from`` sums to 1 within each from_tier.
    """
    a = tier_months.filter(pl.col("month") == from_month).select(
        "customer_id", pl.col("tier").alias("from_tier")
    )
    b = tier_months.filter(pl.col("month") == to_month).select(
        "customer_id", pl.col("tier").alias("to_tier")
    )
    out = (
        a.join(b, on="customer_id", how="inner")
        .group_by("from_tier", "to_tier")
        .agg(pl.len().cast(pl.Int64).alias("customers"))
        .with_columns(
            (pl.col("customers") / pl.col("customers").sum().over("from_tier")).alias(
                "share_of_from"
            )
        )
    )
    return _order(out, order, "from_tier", "to_tier")


def tier_shares(tier_months: pl.DataFrame, order: tuple[str, ...] | None = None) -> pl.DataFrame:
    """(customer_id, month, tier, aum) -> (month, tier, customers, aum, share): shares sum to 1 per month."""
    out = (
        tier_months.group_by("month", "tier")
        .agg(
            pl.len().cast(pl.Int64).alias("customers"),
            pl.col("aum").sum().cast(pl.Float64).alias("aum"),
        )
        .with_columns(
            (pl.col("customers") / pl.col("customers").sum().over("month")).alias("share")
        )
    )
    return _order(out, order, "month", "tier")


def _order(df: pl.DataFrame, order: tuple[str, ...] | None, *cols: str) -> pl.DataFrame:
    """Sort by the given columns, tier columns in ladder order when ``order`` is given."""
    if order is None:
        return df.sort(*cols)
    rank = {code: i for i, code in enumerate(order)}
    keys = [
        pl.col(c).replace_strict(rank, default=len(rank)) if c.endswith("tier") else pl.col(c)
        for c in cols
    ]
    return df.sort(keys)


def effective_customers(activity: pl.DataFrame, rule: EffectiveCustomer) -> pl.DataFrame:
    """(customer_id, month, aum, loan_balance, self_initiated_transactions) -> (customer_id, month, effective).

    Effective when any enabled condition holds: AUM at least the bar, has a loan balance (month-average > 0; an undrawn line does not count),
    or at least the stated number of self-initiated transactions in the month.
    """
    cond = pl.lit(False)
    if rule.min_month_avg_aum is not None:
        cond = cond | (pl.col("aum").fill_null(0.0) >= rule.min_month_avg_aum)
    if rule.counts_loan_holders:
        cond = cond | (pl.col("loan_balance").fill_null(0.0) > 0)
    if rule.min_self_initiated_transactions is not None:
        cond = cond | (
            pl.col("self_initiated_transactions").fill_null(0)
            >= rule.min_self_initiated_transactions
        )
    return activity.select(
        pl.col("customer_id").cast(pl.Int64),
        pl.col("month").cast(pl.Date),
        cond.alias("effective"),
    )


def last_full_month(as_of: date) -> date:
    """First day of the last month that ends on or before ``as_of``."""
    nxt = date(as_of.year + (as_of.month == 12), as_of.month % 12 + 1, 1)
    if (nxt - as_of).days == 1:  # as_of is the last day of its month
        return date(as_of.year, as_of.month, 1)
    return date(as_of.year - (as_of.month == 1), (as_of.month - 2) % 12 + 1, 1)
