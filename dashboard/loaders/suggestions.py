"""Cached loader of the suggestion-outcomes page: officers' answers with their outcome."""

from __future__ import annotations

from datetime import date

import polars as pl
import streamlit as st

from dashboard.db import get_engine
from data_access.engine import connect
from data_access.filters import Filters, Scope
from data_access.queries.feedback import fetch_feedback_outcomes

TTL = 300


@st.cache_data(ttl=TTL, max_entries=32, show_spinner=False)
def load_feedback_outcomes(
    scope: Scope,
    start: date,
    end: date,
    branch_ids: tuple[int, ...],
    officer_ids: tuple[int, ...],
    window_days: int,
) -> pl.DataFrame:
    """Answers given from ``start`` to ``end`` in view, each with the product's first opening within
    ``window_days`` (null: not opened)."""
    with connect(get_engine()) as conn:
        return fetch_feedback_outcomes(
            conn, scope, Filters(start, end, branch_ids, officer_ids), window_days
        )
