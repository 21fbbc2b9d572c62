"""Cached loader of the credit desk: the period's loan applications with their footprint evidence."""

from __future__ import annotations

import polars as pl
import streamlit as st

from dashboard.db import get_engine
from data_access.engine import connect
from data_access.queries.credit import fetch_credit_extras
from data_access.queries.quality import fetch_applicant_places, fetch_application_evidence
from data_access.selection import Period, Selection
from metrics.credit import assemble_evidence

TTL = 600


@st.cache_data(ttl=TTL, max_entries=32, show_spinner=False)
def load_credit_evidence(period: Period, selection: Selection, lookback_days: int) -> pl.DataFrame:
    """Applications made in the period in view, one row each, with every check's evidence."""
    with connect(get_engine()) as conn:
        apps = fetch_application_evidence(conn, period, selection)
        extras = fetch_credit_extras(conn, period, selection, lookback_days)
        places = fetch_applicant_places(conn, period, selection)
    return assemble_evidence(apps, extras, places)
