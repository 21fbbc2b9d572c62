"""The one Engine of the app (a cached resource) and the first-start demo database."""

from __future__ import annotations

import os
from pathlib import Path

import sqlalchemy as sa
import streamlit as st

from data_access.engine import make_engine, parse_url
from data_access.settings import database_url, default_duckdb_path, get_setting


def read_only_file(url: str) -> bool:
    """True for a DuckDB file this process may read but not write: the pages still show it."""
    parsed = parse_url(url)
    if parsed.get_backend_name() != "duckdb" or not parsed.database:
        return False
    path = Path(parsed.database)
    return path.is_file() and not os.access(path, os.W_OK)


@st.cache_resource(show_spinner=False)
def get_engine() -> sa.Engine:
    """The Engine for the configured database (shared by every session)."""
    url = database_url()
    if not get_setting("database_url"):  # the embedded default: its folder may not exist yet
        default_duckdb_path().parent.mkdir(parents=True, exist_ok=True)
    return make_engine(url, read_only=read_only_file(url))
