"""Loaders every page uses: organisation lists, the data-as-of stamp, the standard."""

from __future__ import annotations

from datetime import date

import polars as pl
import streamlit as st

from dashboard.db import get_engine
from data_access.engine import connect, require_schema
from data_access.filters import Scope
from data_access.queries import org
from data_access.refresh import configured_standards
from metrics.standards import Standards

TTL = 600


@st.cache_data(ttl=TTL, max_entries=32, show_spinner=False)
def load_branches(scope: Scope) -> pl.DataFrame:
    """Branches the scope may see."""
    with connect(get_engine()) as conn:
        require_schema(conn)
        return org.fetch_branches(conn, scope)


def branch_names(branches: pl.DataFrame, lang: str) -> dict[int, str]:
    """branch_id -> the branch's name in ``lang``: the one lookup of branch names."""
    col = "name" if lang == "zh" else "name_en"
    return dict(zip(branches["branch_id"].to_list(), branches[col].to_list(), strict=True))


@st.cache_data(ttl=TTL, max_entries=64, show_spinner=False)
def load_officers(scope: Scope, branch_ids: tuple[int, ...] = ()) -> pl.DataFrame:
    """Active officers the scope may see."""
    with connect(get_engine()) as conn:
        return org.fetch_officers(conn, scope, branch_ids)


@st.cache_data(ttl=TTL, show_spinner=False)
def load_data_as_of() -> date | None:
    """Last day the data covers."""
    with connect(get_engine()) as conn:
        require_schema(conn)
        return org.fetch_data_as_of(conn)


@st.cache_resource(show_spinner=False)
def load_standard() -> Standards:
    """The bank's standard (FOOTPRINT_STANDARDS or the default edition)."""
    return configured_standards()
