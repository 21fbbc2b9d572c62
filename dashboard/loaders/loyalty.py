"""Cached loaders of the loyalty and retention page.

Each takes the scope, a ``Filters`` holding only branches / officers / tiers (period pinned to the
as-of day, see ``view``) and the as-of day, so a loader reloads only when what it reads changes.
Loyalty comes from the mart when the as-of day is the mart's; for an earlier week it is computed
from the SQL aggregates with the same metric.
"""

from __future__ import annotations

from datetime import date

import polars as pl
import streamlit as st

from dashboard.db import get_engine
from dashboard.loaders.common import load_standard
from data_access.engine import connect
from data_access.filters import Filters, Scope
from data_access.queries import loyalty as q
from metrics.loyalty import loyalty_scores

TTL = 600


def view(as_of: date, flt: Filters) -> Filters:
    """The sidebar's branches, officers and tiers with the period pinned to ``as_of``."""
    return Filters(as_of, as_of, flt.branch_ids, flt.officer_ids, flt.tiers)


@st.cache_data(ttl=TTL, max_entries=16, show_spinner=False)
def load_scores(scope: Scope, flt: Filters, as_of: date) -> tuple[pl.DataFrame, str]:
    """(scores in MART_SCHEMA columns, "mart" or "live"): loyalty of the customers in view."""
    standard = load_standard()
    with connect(get_engine()) as conn:
        mart_as_of = q.fetch_mart_as_of(conn)
        if mart_as_of is not None and mart_as_of == as_of:
            return q.fetch_loyalty_mart(conn, scope, flt), "mart"
        lookback = int(standard.loyalty.params.get("lookback_days", 180))
        inputs = q.fetch_loyalty_inputs(conn, scope, flt, as_of, lookback_days=lookback)
    scores = loyalty_scores(inputs, standard.loyalty, as_of=as_of)
    return scores.select(list(q.MART_SCHEMA)), "live"


@st.cache_data(ttl=TTL, max_entries=16, show_spinner=False)
def load_cohorts(
    scope: Scope, flt: Filters, since: date, as_of: date
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """(cohort sizes, cohort activity counts) for cohorts from ``since``."""
    with connect(get_engine()) as conn:
        return (
            q.fetch_cohort_sizes(conn, scope, flt, since, as_of),
            q.fetch_cohort_activity(conn, scope, flt, since, as_of),
        )


@st.cache_data(ttl=TTL, max_entries=16, show_spinner=False)
def load_weekly_activity(scope: Scope, flt: Filters, since: date, as_of: date) -> pl.DataFrame:
    """Weekly activity counts (for the lifecycle) from the week before ``since``."""
    with connect(get_engine()) as conn:
        return q.fetch_weekly_activity(conn, scope, flt, since, as_of)


@st.cache_data(ttl=TTL, max_entries=16, show_spinner=False)
def load_tier_months(
    scope: Scope, flt: Filters, as_of: date
) -> tuple[date, date, pl.DataFrame] | None:
    """(from month, to month, customer tiers in both) for the last two months up to ``as_of``;
    the tiers filter keeps customers by their tier in the from month."""
    with connect(get_engine()) as conn:
        months = q.fetch_latest_tier_months(conn, as_of)
        if months is None:
            return None
        tiers = q.fetch_tier_months(conn, scope, flt, months)
    if flt.tiers:
        start = tiers.filter(pl.col("month") == months[0], pl.col("tier").is_in(flt.tiers))
        tiers = tiers.filter(pl.col("customer_id").is_in(start["customer_id"].implode()))
    return months[0], months[1], tiers


@st.cache_data(ttl=TTL, max_entries=32, show_spinner=False)
def load_contacts(scope: Scope, customer_ids: tuple[int, ...]) -> pl.DataFrame:
    """Name and phone of the listed customers (unmasked: mask before showing)."""
    with connect(get_engine()) as conn:
        return q.fetch_contacts(conn, scope, customer_ids)
