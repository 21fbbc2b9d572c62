"""Cached loaders of the Weekly KPIs page: weekly KPI figures, targets, officers' weekly aggregates.

One load covers the 104 weeks up to the chosen week (52-week trend plus its prior-year line,
year-over-year, and the flag history), so moving between tabs or KPIs reloads nothing. The KPI
queries read branches and officers but not tiers: the page leaves the tier list out of the
Selection it passes, and so out of the cache key.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, timedelta

import polars as pl
import streamlit as st

from dashboard.db import get_engine
from dashboard.loaders.common import cached_fetch, load_data_as_of, load_standard
from data_access.engine import connect
from data_access.queries import kpis as q
from data_access.selection import Period, Selection
from metrics import kpis as km
from metrics.kpis import fill_flow_gaps

TTL = 600
HISTORY_WEEKS = 104


def kpi_period(week: date) -> Period:
    """The 104 weeks ending with ``week``."""
    return Period(week - timedelta(weeks=HISTORY_WEEKS - 1), week + timedelta(days=6))


def league_period(week: date) -> Period:
    """The chosen week and the week before it (the league shows last week's conversions too)."""
    return Period(week - timedelta(weeks=1), week + timedelta(days=6))


@st.cache_data(ttl=TTL, max_entries=32, show_spinner=False)
def load_weekly_kpis(period: Period, selection: Selection) -> pl.DataFrame:
    """branch_id, week_start, kpi, value for every KPI over the period (flows without events: 0)."""
    rule = load_standard().effective_customer
    with connect(get_engine()) as conn:
        return fill_flow_gaps(q.fetch_weekly_kpis(conn, period, selection, rule))


load_targets = cached_fetch(q.fetch_targets, module=__name__)
load_officer_weekly = cached_fetch(q.fetch_officer_weekly, module=__name__)


def running_month(week: date, as_of: date | None) -> date | None:
    """First of the week's month when the data ends inside it before its last day, else None."""
    month = week.replace(day=1)
    if as_of is None or as_of.replace(day=1) != month:
        return None
    return None if (as_of + timedelta(days=1)).day == 1 else month


@st.cache_data(ttl=TTL, max_entries=32, show_spinner=False)
def load_same_days(week: date, selection: Selection) -> pl.DataFrame | None:
    """When the week's month is still running: effective customers of last month and of the same
    month last year counted through the same day (branch_id, month, value); else None."""
    as_of = load_data_as_of()
    month = running_month(week, as_of)
    if month is None or as_of is None:
        return None
    months = [km.month_back(month, 12)]
    if (week - timedelta(weeks=1)).replace(day=1) != month:
        months.append(km.month_back(month, 1))
    rule = load_standard().effective_customer
    with connect(get_engine()) as conn:
        return q.fetch_effective_same_days(conn, selection, rule, months, as_of.day)


@dataclass(frozen=True)
class WeekView:
    """Everything the page shows about one week that does not depend on a widget of the page."""

    weekly: pl.DataFrame  # branch_id, week_start, kpi, value (104 weeks)
    targets: pl.DataFrame  # branch_id, week_start, kpi, target
    bank: pl.DataFrame  # metrics.kpis.bank_kpis
    by_branch: pl.DataFrame  # metrics.kpis.branch_kpis
    flags: pl.DataFrame  # metrics.kpis.week_flags
    ranking: pl.DataFrame  # metrics.kpis.branch_ranking


@st.cache_data(ttl=TTL, max_entries=32, show_spinner=False)
def load_week_view(week: date, selection: Selection) -> WeekView:
    """The week's figures, flags and ranking (cached: switching a trend or tab recomputes none)."""
    alerts = load_standard().alerts
    weekly = load_weekly_kpis(kpi_period(week), selection)
    # Targets are set per branch: an officer filter does not narrow them.
    targets = load_targets(kpi_period(week), replace(selection, officer_ids=()))
    same_days = load_same_days(week, selection)
    by_branch = km.branch_kpis(weekly, targets, week=week, same_days=same_days)
    return WeekView(
        weekly=weekly,
        targets=targets,
        bank=km.bank_kpis(weekly, targets, week=week, same_days=same_days),
        by_branch=by_branch,
        flags=km.week_flags(weekly, week, alerts),
        ranking=km.branch_ranking(by_branch),
    )
