"""Cached loaders of the loyalty and retention page.

Each takes the Selection (scope, branches, officers, tiers) and the as-of day, no Period: a
loader reloads only when what it reads changes, not when another week is picked.
Loyalty comes from the mart when the as-of day is the mart's; for an earlier week it is computed
from the SQL aggregates with the same metric.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import polars as pl
import streamlit as st

from dashboard.db import get_engine
from dashboard.loaders.common import cached_fetch, load_standard
from data_access.engine import connect
from data_access.queries import loyalty as q
from data_access.selection import Selection
from metrics.loyalty import (
    churn_risk_list,
    complete_bands,
    component_means,
    loyalty_histogram,
    loyalty_scores,
)
from metrics.standards import Composite
from metrics.value import tier_migration

TTL = 600


@dataclass(frozen=True)
class Overview:
    """What the top of the page shows, small whatever the bank's size."""

    source: str  # "mart" or "live"
    customers: int
    average: float | None
    means: dict[str, float | None]  # component -> mean (0..1)
    at_risk: int
    value_at_stake: float
    bands: pl.DataFrame  # band_start, band_end, customers
    churn: pl.DataFrame  # top of the churn list: CHURN_SCHEMA (name, phone unmasked)


def overview_from_scores(
    scores: pl.DataFrame, contacts: pl.DataFrame, standard: Composite, limit: int
) -> Overview:
    """The overview of scored customers (the live path; the mart path aggregates in SQL)."""
    churn = churn_risk_list(scores, value_col="aum")
    top = churn.head(limit).join(
        contacts.select("customer_id", "name", "phone"), on="customer_id", how="left"
    )
    return Overview(
        source="live",
        customers=scores.height,
        average=float(scores["loyalty"].mean()) if scores.height else None,
        means=component_means(scores, standard),
        at_risk=churn.height,
        value_at_stake=float(churn["value_at_stake"].sum()),
        bands=loyalty_histogram(scores),
        churn=top.select(list(q.CHURN_SCHEMA)),
    )


@st.cache_data(ttl=TTL, max_entries=16, show_spinner=False)
def load_overview(selection: Selection, as_of: date, limit: int = 200) -> Overview:
    """Loyalty of the customers in view: from the mart (aggregated in SQL) when it was computed
    for ``as_of``, else computed live from the SQL aggregates with the same metric."""
    standard = load_standard().loyalty
    with connect(get_engine()) as conn:
        if q.fetch_mart_as_of(conn) == as_of:
            summary = q.fetch_mart_summary(conn, selection).row(0, named=True)
            return Overview(
                source="mart",
                customers=summary["customers"],
                average=summary["average"],
                means={c: summary[c] for c in q.COMPONENT_COLUMNS},
                at_risk=summary["at_risk"] or 0,
                value_at_stake=summary["value_at_stake"] or 0.0,
                bands=complete_bands(q.fetch_mart_bands(conn, selection)),
                churn=q.fetch_mart_churn(conn, selection, limit),
            )
        lookback = int(standard.params.get("lookback_days", 180))
        inputs = q.fetch_loyalty_inputs(conn, selection, as_of, lookback_days=lookback)
        scores = loyalty_scores(inputs, standard, as_of=as_of)
        ids = churn_risk_list(scores, value_col="aum", limit=limit)["customer_id"]
        contacts = q.fetch_contacts(conn, selection.scope, tuple(ids.to_list()))
    return overview_from_scores(scores, contacts, standard, limit)


@st.cache_data(ttl=TTL, max_entries=16, show_spinner=False)
def load_cohorts(
    selection: Selection, since: date, as_of: date
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """(cohort sizes, cohort activity counts) for cohorts from ``since``."""
    with connect(get_engine()) as conn:
        return (
            q.fetch_cohort_sizes(conn, selection, since, as_of),
            q.fetch_cohort_activity(conn, selection, since, as_of),
        )


load_weekly_activity = cached_fetch(q.fetch_weekly_activity, module=__name__, max_entries=16)


@st.cache_data(ttl=TTL, max_entries=16, show_spinner=False)
def load_tier_migration(
    selection: Selection, as_of: date, order: tuple[str, ...]
) -> tuple[date, date, pl.DataFrame] | None:
    """(from month, to month, migration matrix) for the last two months up to ``as_of``; the tiers
    filter keeps customers by their tier in the from month. The matrix, not the two rows per
    customer it comes from, is what the cache holds (a cache hit copies what it returns)."""
    with connect(get_engine()) as conn:
        months = q.fetch_latest_tier_months(conn, as_of)
        if months is None:
            return None
        tiers = q.fetch_tier_months(conn, selection, months)
    if selection.tiers:
        start = tiers.filter(pl.col("month") == months[0], pl.col("tier").is_in(selection.tiers))
        tiers = tiers.filter(pl.col("customer_id").is_in(start["customer_id"].implode()))
    return months[0], months[1], tier_migration(tiers, months[0], months[1], order)
