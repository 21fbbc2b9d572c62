"""Refresher of the loyalty mart (run by data_access.refresh in the order of data_access.marts).

``customer_loyalty``: one row per open customer as of the end date — the six components (0..1),
the 0-100 score and the churn-risk flag — from the inputs ``data_access.queries.loyalty``
aggregates in SQL and P(alive) from the value mart (refreshed before this one). A customer with
no P(alive) there gets 0.5; the progress message says how many.
"""

from __future__ import annotations

from datetime import date

import polars as pl
import sqlalchemy as sa

from data_access.engine import connect
from data_access.marts._bulk import replace_rows
from data_access.queries.loyalty import fetch_loyalty_inputs
from data_access.refresh import Progress
from data_access.schema import customer_loyalty
from data_access.selection import Selection
from metrics.loyalty import loyalty_scores
from metrics.standards import Standards


def _quiet(_: str, __: float) -> None:
    return None


def loyalty_frame(
    engine: sa.Engine, standards: Standards, as_of: date, progress: Progress = _quiet
) -> pl.DataFrame:
    """The mart's rows for every open customer on ``as_of`` (columns as customer_loyalty)."""
    lookback = int(standards.loyalty.params.get("lookback_days", 180))
    with connect(engine) as conn:
        inputs = fetch_loyalty_inputs(conn, Selection(), as_of, lookback_days=lookback)
    scores = loyalty_scores(inputs, standards.loyalty, as_of=as_of)
    imputed = int(scores["p_alive_imputed"].sum()) if scores.height else 0
    if imputed:
        progress(f"loyalty: P(alive) unknown for {imputed:,} customers, 0.5 used", 0.5)
    mart_cols = [c.name for c in customer_loyalty.columns]
    # A bank may drop a component from its standard: it then counts 0 in the mart column.
    missing = [c for c in mart_cols if c not in scores.columns and c != "as_of"]
    return scores.with_columns(
        pl.lit(as_of).alias("as_of"), *(pl.lit(0.0).alias(c) for c in missing)
    ).select(mart_cols)


def refresh_loyalty(
    engine: sa.Engine, standards: Standards, as_of: date, progress: Progress
) -> int:
    """Recompute customer_loyalty for all customers; returns rows written."""
    progress("loyalty: inputs", 0.0)
    df = loyalty_frame(engine, standards, as_of, progress)
    progress("loyalty: write", 0.6)
    return replace_rows(engine, customer_loyalty, df)
