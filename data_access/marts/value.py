"""Refresher of the value mart (run by data_access.refresh in the order of data_access.marts).

``customer_tier_months``: tier after hysteresis per customer and month (the last
``HISTORY_MONTHS`` full months); ``customer_value``: one row per customer open on the load's end
(closed customers belong in no tier count, segment, quintile, list or export) with the last full
month's AUM, the tier in force on that day, effective flag, RFM scores and segment, P(alive),
expected transactions and CLV.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import polars as pl
import sqlalchemy as sa

from data_access.engine import connect
from data_access.filters import Scope
from data_access.marts._bulk import replace_rows
from data_access.queries.value import (
    fetch_clv_summary,
    fetch_customer_owners,
    fetch_month_activity,
    fetch_monthly_balances,
    fetch_open_products,
    fetch_rfm_aggregates,
)
from data_access.refresh import Progress
from data_access.schema import customer_tier_months, customer_value
from metrics.clv import (
    DAYS_PER,
    DAYS_PER_MONTH,
    bank_clv,
    expected_transactions,
    fit_bgnbd,
    p_alive,
)
from metrics.rfm import rfm_scores
from metrics.standards import Standards
from metrics.value import (
    assign_tiers,
    effective_customers,
    last_full_month,
    month_aum,
    tiers_in_force,
)

# Months of history the tier walk starts from: longer than the slowest downgrade rule (6).
HISTORY_MONTHS = 13


def tier_customers(tiers: tuple[str, ...]) -> sa.Select:
    """Select of customer ids whose current tier (value mart) is one of ``tiers``."""
    return sa.select(customer_value.c.customer_id).where(customer_value.c.tier.in_(tiers))


def _month_back(month: date, n: int) -> date:
    k = month.year * 12 + month.month - 1 - n
    return date(k // 12, k % 12 + 1, 1)


@dataclass(frozen=True)
class ValueInputs:
    """What the value mart is computed from (all aggregated in SQL)."""

    owners: pl.DataFrame
    balances: pl.DataFrame
    rfm: pl.DataFrame
    summary: pl.DataFrame
    activity: pl.DataFrame
    products: pl.DataFrame  # customer_id, product held open on as_of (for fee income)


def fetch_value_inputs(conn: sa.Connection, standards: Standards, as_of: date) -> ValueInputs:
    """Everything the mart needs for the whole bank as of ``as_of``."""
    month = last_full_month(as_of)
    bank = Scope.bank()
    return ValueInputs(
        owners=fetch_customer_owners(conn, bank, open_on=as_of),
        balances=fetch_monthly_balances(conn, bank, _month_back(month, HISTORY_MONTHS - 1), month),
        rfm=fetch_rfm_aggregates(conn, bank, as_of, standards.rfm.lookback_days),
        summary=fetch_clv_summary(conn, bank, as_of, standards.clv.time_unit),
        activity=fetch_month_activity(conn, bank, month),
        products=fetch_open_products(conn, bank, as_of),
    )


def _activity_scores(summary: pl.DataFrame, standards: Standards) -> pl.DataFrame:
    """customer_id, p_alive, expected_transactions from BG/NBD (nulls when it cannot be fitted)."""
    empty = pl.DataFrame(
        schema={"customer_id": pl.Int64, "p_alive": pl.Float64, "expected_transactions": pl.Float64}
    )
    if summary.height < 20:  # too few customers for a maximum-likelihood fit
        return empty
    cfg = standards.clv
    try:
        bg = fit_bgnbd(summary)
    except ValueError:
        return empty
    unit_months = DAYS_PER_MONTH / DAYS_PER[cfg.time_unit]
    try:
        expected = expected_transactions(summary, bg, cfg.horizon_months * unit_months)
    except ValueError:  # a = 1: P(alive) is still meaningful, the horizon count is not
        expected = pl.Series("expected_transactions", [None] * summary.height, pl.Float64)
    return summary.select("customer_id").with_columns(
        p_alive(summary, bg), expected.alias("expected_transactions")
    )


def _bank_clv(
    balances: pl.DataFrame,
    products: pl.DataFrame,
    activity: pl.DataFrame,
    standards: Standards,
    month: date,
) -> pl.DataFrame:
    """customer_id, clv: the bank's expected margin on balances and fees (metrics.clv.bank_clv)."""
    fees = standards.clv.annual_fees
    fee_rows = products.group_by("customer_id").agg(
        pl.col("product")
        .replace_strict(fees, default=0.0, return_dtype=pl.Float64)
        .sum()
        .alias("annual_fees")
    )
    last = balances.filter(pl.col("month") == month).select(
        "customer_id", "demand_avg", "time_avg", "wealth_avg", "loan_avg"
    )
    frame = (
        activity.select("customer_id")
        .join(last, on="customer_id", how="left")
        .join(fee_rows, on="customer_id", how="left")
        .join(activity, on="customer_id", how="left")
    )
    return bank_clv(frame, standards.clv).select("customer_id", "clv")


def compute_value_mart(
    inputs: ValueInputs, standards: Standards, as_of: date
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """(customer_value rows, customer_tier_months rows) from the inputs; pure."""
    month = last_full_month(as_of)
    tiers = standards.tiers
    branch_of = inputs.balances.select("customer_id", "month", "branch_id")
    tier_months = (
        assign_tiers(month_aum(inputs.balances), tiers)
        .join(branch_of, on=["customer_id", "month"], how="left")
        .select("customer_id", "month", "branch_id", "aum", "tier")
    )
    # the AUM of the last full month, and the tier in force on as_of (which rests on earlier months)
    current = (
        tier_months.filter(pl.col("month") == month)
        .select("customer_id", "aum")
        .join(
            tiers_in_force(tier_months.select("customer_id", "month", "aum"), tiers, as_of),
            on="customer_id",
            how="full",
            coalesce=True,
        )
    )
    loans = inputs.balances.filter(pl.col("month") == month).select(
        "customer_id", pl.col("loan_avg").alias("loan_balance")
    )
    activity = (
        inputs.owners.select("customer_id")
        .join(current, on="customer_id", how="left")
        .join(loans, on="customer_id", how="left")
        .join(inputs.activity, on="customer_id", how="left")
        .with_columns(pl.lit(month).alias("month"))
    )
    effective = effective_customers(activity, standards.effective_customer).select(
        "customer_id", "effective"
    )
    # quintiles among the open customers only: a closed customer belongs in no segment
    open_rfm = inputs.rfm.join(inputs.owners.select("customer_id"), on="customer_id", how="semi")
    scored = rfm_scores(open_rfm, standards.rfm).select(
        "customer_id",
        pl.col("recency_days").cast(pl.Int32),
        pl.col("frequency").cast(pl.Int32).alias("frequency_count"),
        pl.col("monetary").alias("monetary_amount"),
        "r_score",
        "f_score",
        "m_score",
        "rfm_segment",
    )
    lowest = tiers.codes[0]
    scores = _activity_scores(inputs.summary, standards)
    scores_all = inputs.owners.select("customer_id").join(scores, on="customer_id", how="left")
    value = (
        inputs.owners.join(current, on="customer_id", how="left")
        .join(effective, on="customer_id", how="left")
        .join(scored, on="customer_id", how="left")
        .join(scores, on="customer_id", how="left")
        .join(
            _bank_clv(inputs.balances, inputs.products, scores_all, standards, month),
            on="customer_id",
            how="left",
        )
        .with_columns(
            pl.lit(as_of).alias("as_of"),
            pl.col("aum").fill_null(0.0),
            pl.col("tier").fill_null(lowest),
            pl.col("effective").fill_null(False),
        )
        .select([c.name for c in customer_value.columns])
        .sort("customer_id")
    )
    return value, tier_months.sort("customer_id", "month")


def refresh_value(engine: sa.Engine, standards: Standards, as_of: date, progress: Progress) -> int:
    """Recompute customer_value and customer_tier_months for every customer; rows written."""
    progress("value: reading balances and footprints", 0.0)
    with connect(engine) as conn:
        inputs = fetch_value_inputs(conn, standards, as_of)
    progress("value: tiers, RFM and CLV", 0.0)
    value, tier_months = compute_value_mart(inputs, standards, as_of)
    progress("value: writing", 0.0)
    replace_rows(engine, customer_tier_months, tier_months)
    return replace_rows(engine, customer_value, value)
