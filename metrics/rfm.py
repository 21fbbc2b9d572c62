"""RFM: quintile scores (5 best) and named segments from the standard's rule table."""

from __future__ import annotations

import polars as pl

from metrics.standards import Rfm

OTHER_SEGMENT = "other"


def band_score(goodness: pl.Expr, bands: int) -> pl.Expr:
    """Score 1..bands by rank of ``goodness`` (higher is better); ties share the lower score.

    score = 1 + floor((min_rank - 1) * bands / n): equal values always get the same score,
    so the result does not depend on row order; nulls count as the worst value.
    """
    filled = goodness.fill_null(-float("inf")).fill_nan(-float("inf"))
    rank = filled.rank("min").cast(pl.Int64)
    n = pl.len().cast(pl.Int64)
    return (1 + ((rank - 1) * bands) // n).cast(pl.Int32)


def rfm_scores(aggregates: pl.DataFrame | pl.LazyFrame, rfm: Rfm) -> pl.DataFrame:
    """(customer_id, recency_days, frequency, monetary) -> + (r_score, f_score, m_score, fm_score, rfm_segment).

    R: fewer days since the last transaction is better (null = never, the worst); F and M:
    more is better. FM = (F + M + 1) // 2; the first rule of the table that matches names the
    segment ("other" when none does).
    """
    bands = rfm.bands
    segment = pl.lit(OTHER_SEGMENT)
    for rule in reversed(rfm.segments):  # build so that the first rule is tested first
        segment = (
            pl.when(
                pl.col("r_score").is_between(rule.r[0], rule.r[1])
                & pl.col("fm_score").is_between(rule.fm[0], rule.fm[1])
            )
            .then(pl.lit(rule.code))
            .otherwise(segment)
        )
    return (
        aggregates.lazy()
        .with_columns(
            band_score(-pl.col("recency_days").cast(pl.Float64), bands).alias("r_score"),
            band_score(pl.col("frequency").cast(pl.Float64), bands).alias("f_score"),
            band_score(pl.col("monetary").cast(pl.Float64), bands).alias("m_score"),
        )
        .with_columns(((pl.col("f_score") + pl.col("m_score") + 1) // 2).alias("fm_score"))
        .with_columns(segment.alias("rfm_segment"))
        .collect()
    )


def segment_counts(scored: pl.DataFrame, rfm: Rfm) -> pl.DataFrame:
    """(rfm_segment) -> (rfm_segment, customers, share) in rule-table order."""
    order = {s.code: i for i, s in enumerate(rfm.segments)}
    return (
        scored.group_by("rfm_segment")
        .agg(pl.len().cast(pl.Int64).alias("customers"))
        .with_columns((pl.col("customers") / pl.col("customers").sum()).alias("share"))
        .sort(pl.col("rfm_segment").replace_strict(order, default=len(order)))
    )
