"""Cached loaders of the Weekly KPIs page: weekly KPI figures, targets, officers' weekly aggregates.

One load covers the 104 weeks up to the chosen week (52-week trend plus its prior-year line,
year-over-year, and the flag history), so moving between tabs or KPIs reloads nothing. The KPI
queries read branches and officers but not tiers: the tier list is left out of the cache key.
"""

from __future__ import annotations

from datetime import date, timedelta

import polars as pl
import streamlit as st

from dashboard.db import get_engine
from dashboard.loaders.common import load_standard
from data_access.engine import connect
from data_access.filters import Filters, Scope
from data_access.queries import kpis as q
from metrics.kpis import fill_flow_gaps

TTL = 600
HISTORY_WEEKS = 104


def kpi_period(week: date, branch_ids: tuple[int, ...], officer_ids: tuple[int, ...]) -> Filters:
    """The 104 weeks ending with ``week`` for the chosen branches and officers."""
    return Filters(
        week - timedelta(weeks=HISTORY_WEEKS - 1), week + timedelta(days=6), branch_ids, officer_ids
    )


def league_period(week: date, branch_ids: tuple[int, ...], officer_ids: tuple[int, ...]) -> Filters:
    """The chosen week and the week before it (the league shows last week's conversions too)."""
    return Filters(week - timedelta(weeks=1), week + timedelta(days=6), branch_ids, officer_ids)


@st.cache_data(ttl=TTL, max_entries=32, show_spinner=False)
def load_weekly_kpis(scope: Scope, flt: Filters) -> pl.DataFrame:
    """branch_id, week_start, kpi, value for every KPI over the period (flows without events: 0)."""
    rule = load_standard().effective_customer
    with connect(get_engine()) as conn:
        return fill_flow_gaps(q.fetch_weekly_kpis(conn, scope, flt, rule))


@st.cache_data(ttl=TTL, max_entries=32, show_spinner=False)
def load_targets(scope: Scope, flt: Filters) -> pl.DataFrame:
    """branch_id, week_start, kpi, target over the period."""
    with connect(get_engine()) as conn:
        return q.fetch_targets(conn, scope, flt)


@st.cache_data(ttl=TTL, max_entries=32, show_spinner=False)
def load_officer_weekly(scope: Scope, flt: Filters) -> pl.DataFrame:
    """officer_id, branch_id, week_start, measure, value over the period."""
    with connect(get_engine()) as conn:
        return q.fetch_officer_weekly(conn, scope, flt)
