"""Refresher of the signals mart (run by data_access.refresh in the order of data_access.marts).

``customer_signals``: one row per customer, one Boolean per signal of the rules file (beside the
standard), computed in the database by the SQL the rules compile to, written in bulk.
"""

from __future__ import annotations

from datetime import date

import polars as pl
import sqlalchemy as sa

from data_access.engine import connect
from data_access.marts._bulk import replace_rows
from data_access.queries.signals import SignalQuery, fetch_signal_flags
from data_access.refresh import Progress
from data_access.schema import customer_signals
from data_access.selection import Selection
from metrics.footprint_rules import rules_for
from metrics.standards import Standards


def signals_frame(engine: sa.Engine, standards: Standards, as_of: date) -> pl.DataFrame:
    """The mart's rows for every customer: customer_id, branch_id, officer_id and the mart's flags."""
    with connect(engine) as conn:
        flags = fetch_signal_flags(
            conn, standards, SignalQuery(Selection(), as_of, rules=rules_for(standards))
        )
    mart_cols = [c.name for c in customer_signals.columns]
    # A bank may drop a signal from its standard: the mart column then stays False.
    missing = [c for c in mart_cols if c not in flags.columns]
    return flags.with_columns([pl.lit(False).alias(c) for c in missing]).select(mart_cols)


def refresh_signals(
    engine: sa.Engine, standards: Standards, as_of: date, progress: Progress
) -> int:
    """Recompute customer_signals for all customers; returns rows written."""
    progress("signals: features", 0.0)
    df = signals_frame(engine, standards, as_of)
    progress("signals: write", 0.5)
    return replace_rows(engine, customer_signals, df)
