"""Loyalty: a 0-100 score from visible components, each scaled 0..1 as ``standards.loyalty`` says.

Input (one row per customer, aggregated by the data-access layer; ``loyalty_inputs`` columns):

====================  =======  ====================================================================
column                type     meaning
====================  =======  ====================================================================
customer_id           Int64
product_types         Int64    product types held (open) at ``as_of``
first_opened          Date     first account opened
income_credited       Boolean  salary, pension or subsidy paid in here during the look-back
bills_paid            Boolean  bills paid from here during the look-back
mobile_used           Boolean  mobile banking used during the look-back
tx_recent             Int64    self-initiated transactions in the last 90 days
tx_prior              Int64    self-initiated transactions in the 90 days before those
out_external          Float64  money out to other banks and internet platforms (look-back)
out_total             Float64  all money out (look-back)
p_alive               Float64  BG/NBD P(alive); null when unknown (then 0.5, flagged)
====================  =======  ====================================================================

Other columns (branch_id, officer_id, aum, clv ...) are carried through unchanged.
"""

from __future__ import annotations

from datetime import date

import polars as pl

from metrics.standards import Composite

COMPONENTS = ("product_depth", "tenure", "primary_bank", "activity_trend", "outflow", "p_alive")
INPUT_COLUMNS = {
    "customer_id": pl.Int64,
    "product_types": pl.Int64,
    "first_opened": pl.Date,
    "income_credited": pl.Boolean,
    "bills_paid": pl.Boolean,
    "mobile_used": pl.Boolean,
    "tx_recent": pl.Int64,
    "tx_prior": pl.Int64,
    "out_external": pl.Float64,
    "out_total": pl.Float64,
    "p_alive": pl.Float64,
}
P_ALIVE_UNKNOWN = 0.5  # neutral when the value mart has no BG/NBD estimate for the customer
DAYS_PER_YEAR = 365.25


def _check(standard: Composite, inputs: pl.DataFrame | pl.LazyFrame) -> None:
    unknown = [c.code for c in standard.components if c.code not in COMPONENTS]
    if unknown:
        raise ValueError(f"loyalty.components: no rule to compute {unknown}; known: {COMPONENTS}")
    names = inputs.collect_schema().names()
    missing = [c for c in INPUT_COLUMNS if c not in names]
    if missing:
        raise ValueError(f"loyalty inputs lack columns {missing}")
    for code in ("product_depth", "tenure"):
        comp = next((c for c in standard.components if c.code == code), None)
        if comp is not None and not float(comp.params.get("saturation", 0)) > 0:
            raise ValueError(f"loyalty.components.{code}.saturation must be a positive number")


def _saturation(standard: Composite, code: str) -> float:
    comp = next((c for c in standard.components if c.code == code), None)
    return float(comp.params["saturation"]) if comp is not None else 1.0


def component_exprs(standard: Composite, as_of: date) -> list[pl.Expr]:
    """The six components, each 0..1, as polars expressions over the input columns."""
    depth_sat = _saturation(standard, "product_depth")
    tenure_sat = _saturation(standard, "tenure")
    years = (pl.lit(as_of) - pl.col("first_opened")).dt.total_days() / DAYS_PER_YEAR
    recent = pl.col("tx_recent").fill_null(0).cast(pl.Float64)
    prior = pl.col("tx_prior").fill_null(0).cast(pl.Float64)
    out_total = pl.col("out_total").fill_null(0.0)
    signals = pl.sum_horizontal(
        pl.col(c).fill_null(False).cast(pl.Float64)
        for c in ("income_credited", "bills_paid", "mobile_used")
    )
    return [
        (pl.col("product_types").fill_null(0) / depth_sat).clip(0.0, 1.0).alias("product_depth"),
        (years / tenure_sat).clip(0.0, 1.0).fill_null(0.0).alias("tenure"),
        (signals / 3.0).alias("primary_bank"),
        # ratio recent/prior halved: flat 0.5, doubled 1, stopped 0; new activity from nothing = 1;
        # no activity in either window = 0 (nothing to retain)
        pl.when(prior > 0)
        .then((recent / prior / 2.0).clip(0.0, 1.0))
        .when(recent > 0)
        .then(1.0)
        .otherwise(0.0)
        .alias("activity_trend"),
        # no money out at all means nothing left for another bank: fully retained
        pl.when(out_total > 0)
        .then(1.0 - (pl.col("out_external").fill_null(0.0) / out_total).clip(0.0, 1.0))
        .otherwise(1.0)
        .alias("outflow"),
        pl.col("p_alive").fill_null(P_ALIVE_UNKNOWN).clip(0.0, 1.0).alias("p_alive"),
    ]


def loyalty_scores(inputs: pl.DataFrame, standard: Composite, *, as_of: date) -> pl.DataFrame:
    """Per customer: the six components (0..1), ``loyalty`` (0-100), ``churn_risk`` with its
    ``churn_reason`` (see ``churn_reason``) and ``p_alive_imputed`` (True when P(alive) was unknown
    and 0.5 was used), plus the input columns."""
    _check(standard, inputs)
    weights = standard.weights()
    score = pl.sum_horizontal(pl.col(code) * weight for code, weight in weights.items()) * 100.0
    scored = (
        inputs.with_columns(pl.col("p_alive").is_null().alias("p_alive_imputed"))
        .with_columns(component_exprs(standard, as_of))
        .with_columns(score.clip(0.0, 100.0).alias("loyalty"))
    )
    reason = churn_reason(standard, scored.columns)
    return scored.with_columns(reason.alias("churn_reason")).with_columns(
        pl.col("churn_reason").is_not_null().alias("churn_risk")
    )


# Reasons a customer is on the churn-risk (retention) list, in the order they are given.
CHURN_REASONS = ("rfm_cant_lose", "rfm_at_risk", "low_loyalty")


def churn_reason(standard: Composite, columns: list[str]) -> pl.Expr:
    """Why a customer is on the churn-risk list (null when not), from the standard's rule.

    On the list: an open customer with at least ``churn_min_aum`` of AUM (the value worth a call)
    whom RFM places in "Can't lose them" or "At risk" (transacted well, not lately), or whose
    loyalty is below ``churn_risk_below``. The first reason that holds is given.
    """
    below = float(standard.params.get("churn_risk_below", 0))
    min_aum = float(standard.params.get("churn_min_aum", 0))
    worth = pl.col("aum").fill_null(0.0) >= min_aum if "aum" in columns else pl.lit(True)
    segment = pl.col("rfm_segment") if "rfm_segment" in columns else pl.lit(None, pl.String)
    return (
        pl.when(~worth)
        .then(None)
        .when(segment == "cant_lose")
        .then(pl.lit("rfm_cant_lose"))
        .when(segment == "at_risk")
        .then(pl.lit("rfm_at_risk"))
        .when(pl.col("loyalty") < below)
        .then(pl.lit("low_loyalty"))
        .otherwise(None)
    )


def component_means(scores: pl.DataFrame, standard: Composite) -> dict[str, float | None]:
    """Mean of each component (0..1) over the customers; None when there are none."""
    if scores.is_empty():
        return dict.fromkeys(standard.codes)
    return {c.code: float(scores[c.code].mean()) for c in standard.components}


def contributions_from_means(means: dict[str, float | None], standard: Composite) -> pl.DataFrame:
    """What drives the average: per component its weight, mean (0..1), points earned towards the
    average score (100 × weight × mean) and points missed (100 × weight × (1 − mean))."""
    comps = standard.components
    return pl.DataFrame(
        {
            "component": [c.code for c in comps],
            "weight": [c.weight for c in comps],
            "mean": [means.get(c.code) for c in comps],
        },
        schema={"component": pl.String, "weight": pl.Float64, "mean": pl.Float64},
    ).with_columns(
        # a component nobody has a mean for earns and misses nothing (null)
        (100.0 * pl.col("weight") * pl.col("mean")).alias("points"),
        (100.0 * pl.col("weight") * (1.0 - pl.col("mean"))).alias("points_missed"),
    )


def component_contributions(scores: pl.DataFrame, standard: Composite) -> pl.DataFrame:
    """``contributions_from_means`` of the scored customers (columns as there)."""
    return contributions_from_means(component_means(scores, standard), standard)


def churn_risk_list(
    scores: pl.DataFrame, *, value_col: str = "aum", limit: int | None = None
) -> pl.DataFrame:
    """Customers flagged ``churn_risk``, most value at stake first (ties: lowest loyalty first);
    the value at stake is ``value_col`` (AUM by default), copied into ``value_at_stake``."""
    if value_col not in scores.columns:
        raise ValueError(f"churn list needs the value column {value_col!r}")
    out = (
        scores.filter(pl.col("churn_risk"))
        .with_columns(pl.col(value_col).fill_null(0.0).alias("value_at_stake"))
        .sort(["value_at_stake", "loyalty", "customer_id"], descending=[True, False, False])
    )
    return out.head(limit) if limit is not None else out


def complete_bands(counts: pl.DataFrame, *, bin_width: int = 10) -> pl.DataFrame:
    """band_start, band_end, customers for every band [0, w) … [100 − w, 100] from counts per
    ``band_start`` (bands absent from ``counts`` get 0)."""
    if bin_width <= 0 or 100 % bin_width:
        raise ValueError("bin_width must divide 100")
    bands = pl.DataFrame(
        {"band_start": list(range(0, 100, bin_width))}, schema={"band_start": pl.Int64}
    )
    counts = counts.select(pl.col("band_start").cast(pl.Int64), pl.col("customers").cast(pl.Int64))
    return (
        bands.join(counts, on="band_start", how="left")
        .with_columns(
            pl.col("customers").fill_null(0), (pl.col("band_start") + bin_width).alias("band_end")
        )
        .select("band_start", "band_end", "customers")
        .sort("band_start")
    )


def loyalty_histogram(scores: pl.DataFrame, *, bin_width: int = 10) -> pl.DataFrame:
    """Customers per loyalty band [0, w), [w, 2w) … with 100 in the top band; every band present."""
    if bin_width <= 0 or 100 % bin_width:
        raise ValueError("bin_width must divide 100")
    counts = (
        scores.select(
            ((pl.col("loyalty") // bin_width) * bin_width)
            .cast(pl.Int64)
            .clip(0, 100 - bin_width)
            .alias("band_start")
        )
        .group_by("band_start")
        .agg(pl.len().cast(pl.Int64).alias("customers"))
    )
    return complete_bands(counts, bin_width=bin_width)
