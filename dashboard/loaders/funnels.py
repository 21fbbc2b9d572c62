"""Cached loaders of the funnels page: campaigns, the stage pivot of a campaign, a drop list.

Funnels are read per campaign, not per week: the loaders take the Selection (scope, branches,
officers, tiers) and no Period, so changing the week does not reload anything here.
"""

from __future__ import annotations

from datetime import date

import polars as pl
import streamlit as st

from dashboard.db import get_engine
from dashboard.loaders.common import cached_fetch
from data_access.engine import connect
from data_access.queries import funnels
from data_access.selection import Selection
from metrics.funnels import FunnelReport, funnel_report

TTL = 600


load_campaigns = cached_fetch(funnels.fetch_campaigns, module=__name__)


# The pivot and the drop list can hold hundreds of thousands of rows: kept as shared resources
# (st.cache_data would unpickle a copy on every rerun, ~0.4 s for 200k rows). Polars frames are
# immutable, so sharing them between sessions is safe; nothing may write into them.
@st.cache_resource(ttl=TTL, max_entries=8, show_spinner=False)
def load_stage_pivot(
    selection: Selection, campaign_ids: tuple[int, ...], stages: tuple[str, ...]
) -> pl.DataFrame:
    """One row per customer and campaign with the first time of each stage."""
    with connect(get_engine()) as conn:
        return funnels.fetch_stage_pivot(conn, selection, campaign_ids, stages)


@st.cache_resource(ttl=TTL, max_entries=16, show_spinner=False)
def load_drop_list(
    selection: Selection,
    campaign_ids: tuple[int, ...],
    step: int,
    window_days: int | None,
    stages: tuple[str, ...],
) -> pl.DataFrame:
    """Who dropped before ``stages[step]``, with contact data (unmasked: mask before showing)."""
    with connect(get_engine()) as conn:
        return funnels.fetch_drop_list(conn, selection, campaign_ids, step, window_days, stages)


@st.cache_data(ttl=TTL, max_entries=64, show_spinner=False)
def load_funnel_report(
    selection: Selection,
    campaign_ids: tuple[int, ...],
    stages: tuple[str, ...],
    window_days: int | None,
    as_of: date,
    bin_days: int,
) -> FunnelReport:
    """The page's small frames for one window: a rerun with the same inputs unpickles only these."""
    pivot = load_stage_pivot(selection, campaign_ids, stages)
    return funnel_report(pivot, stages, window_days, as_of=as_of, bin_days=bin_days)
