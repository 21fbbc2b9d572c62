"""One customer's profile: how complete it is against the standard's fields, and a fallback tier."""

from __future__ import annotations

import numpy as np
import polars as pl

from metrics.standards import Tiers
from metrics.value import qualifying_tier_index


def profile_completeness(profile: pl.DataFrame, fields: tuple[str, ...]) -> pl.DataFrame:
    """Share of the standard's profile fields filled, per customer.

    In: customer_id plus the ``fields`` columns (blank strings count as missing).
    Out: customer_id, filled, total, completeness (0..1), missing (list of field names, in order).
    """
    absent = [f for f in ("customer_id", *fields) if f not in profile.columns]
    if absent:
        raise ValueError(f"profile lacks columns {absent}")
    if not fields:
        raise ValueError("the standard lists no profile fields")

    def filled(f: str) -> pl.Expr:
        col = pl.col(f)
        if profile.schema[f] == pl.String:
            return col.is_not_null() & (col.str.strip_chars() != "")
        return col.is_not_null()

    flags = [filled(f).alias(f) for f in fields]
    return profile.select("customer_id", *flags).select(
        "customer_id",
        pl.sum_horizontal(*[pl.col(f).cast(pl.Int32) for f in fields]).alias("filled"),
        pl.lit(len(fields), pl.Int32).alias("total"),
        (pl.sum_horizontal(*[pl.col(f).cast(pl.Int32) for f in fields]) / len(fields)).alias(
            "completeness"
        ),
        pl.concat_list([pl.when(~pl.col(f)).then(pl.lit(f)) for f in fields])
        .list.drop_nulls()
        .alias("missing"),
    )


def tier_for_aum(aum: float | None, tiers: Tiers) -> str | None:
    """The tier whose bar a month-average AUM reaches (no hysteresis: a fallback when the value
    mart is not computed yet); None when the AUM is unknown."""
    if aum is None:
        return None
    idx = int(qualifying_tier_index(np.array([aum], dtype=np.float64), tiers)[0])
    return None if idx < 0 else tiers.codes[idx]
