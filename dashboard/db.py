"""The one Engine of the app (a cached resource) and the first-start demo database."""

from __future__ import annotations

import sqlalchemy as sa
import streamlit as st

from data_access.engine import make_engine
from data_access.settings import database_url


@st.cache_resource(show_spinner=False)
def get_engine() -> sa.Engine:
    """The Engine for the configured database (shared by every session)."""
    url = database_url()
    return make_engine(url, read_only=False)
