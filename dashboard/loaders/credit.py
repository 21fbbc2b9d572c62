"""Cached loader of the credit desk: the period's loan applications with their footprint evidence."""

from __future__ import annotations

import polars as pl
import streamlit as st

from dashboard.db import get_engine
from data_access.engine import connect
from data_access.filters import Filters, Scope
from data_access.queries.credit import fetch_credit_extras
from data_access.queries.quality import fetch_applicant_places, fetch_application_evidence
from metrics.credit import assemble_evidence

TTL = 600


@st.cache_data(ttl=TTL, max_entries=32, show_spinner=False)
def load_credit_evidence(scope: Scope, flt: Filters, lookback_days: int) -> pl.DataFrame:
    """Applications made in the period in view, one row each, with every check's evidence."""
    with connect(get_engine()) as conn:
        apps = fetch_application_evidence(conn, scope, flt)
        extras = fetch_credit_extras(conn, scope, flt, lookback_days)
        places = fetch_applicant_places(conn, scope, flt)
    return assemble_evidence(apps, extras, places)
