"""Cached loader of the suggestion-outcomes page: officers' answers with their outcome."""

from __future__ import annotations

import polars as pl
import streamlit as st

from dashboard.db import get_engine
from data_access.engine import connect
from data_access.filters import Filters, Scope
from data_access.queries.feedback import fetch_feedback_outcomes

TTL = 300


@st.cache_data(ttl=TTL, max_entries=32, show_spinner=False)
def load_feedback_outcomes(scope: Scope, flt: Filters, window_days: int) -> pl.DataFrame:
    """Answers given in the period in view, each with the product's first opening within
    ``window_days`` (null: not opened)."""
    with connect(get_engine()) as conn:
        return fetch_feedback_outcomes(conn, scope, flt, window_days)
