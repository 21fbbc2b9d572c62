"""Cached loaders of the information-quality queue; the correction clears them."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

import streamlit as st

from dashboard.db import get_engine
from data_access.engine import connect
from data_access.filters import Scope
from data_access.queries.quality import fetch_profile_fill, fetch_profile_income_evidence
from data_access.queries.quality_queue import (
    count_queue,
    fetch_fix_counts,
    fetch_queue,
    fix_profile,
)
from data_access.selection import Period, Selection

TTL = 300


@st.cache_data(ttl=TTL, max_entries=32, show_spinner=False)
def load_queue(
    period: Period, selection: Selection, fields: tuple[str, ...], min_ratio: float
) -> dict[str, Any]:
    """The queue (missing fields, most valuable first) and how many customers it holds, the
    contradicted declared incomes, the book's field fill and the corrections per officer in the
    period."""
    with connect(get_engine()) as conn:
        return {
            "queue": fetch_queue(conn, period, selection, fields),
            "gaps": count_queue(conn, period, selection, fields),
            "income": fetch_profile_income_evidence(conn, period, selection, min_ratio),
            "fill": fetch_profile_fill(conn, period, selection, fields),
            "fixes": fetch_fix_counts(conn, period, selection),
        }


def save_fix(scope: Scope, customer_id: int, changes: dict[str, Any], username: str) -> None:
    """Write a correction (validated, audited), then drop the queue's cache."""
    fix_profile(get_engine(), scope, customer_id, changes, username, datetime.now())
    load_queue.clear()


def today() -> date:
    """The day a correction is made."""
    return date.today()
