"""Say plainly, above every page, when the data is incomplete or the marts lag behind it."""

from __future__ import annotations

import streamlit as st

from dashboard.db import get_engine
from dashboard.i18n import t
from dashboard.loaders.common import TTL, load_standard
from data_access.engine import connect, has_schema
from data_access.load_state import LoadState, fetch_load_state
from metrics.standards import StandardsError


@st.cache_data(ttl=TTL, show_spinner=False)
def load_state() -> LoadState | None:
    """The completion stamps of the database (None when it has no schema yet)."""
    with connect(get_engine()) as conn:
        return fetch_load_state(conn) if has_schema(conn) else None


def data_warnings() -> list[str]:
    """The warnings this database deserves right now, in the user's language."""
    state = load_state()
    if state is None:
        return []
    if state.load_incomplete:
        return [t("common.load_incomplete")]
    out: list[str] = []
    oldest = state.oldest_mart()
    if state.refresh_in_progress:
        out.append(t("common.refresh_incomplete", day=f"{oldest:%Y-%m-%d}" if oldest else "—"))
    stale = state.stale_marts()
    if stale and not state.refresh_in_progress and state.data_as_of is not None:
        days = [d for d in stale.values() if d is not None]
        out.append(
            t(
                "common.marts_stale",
                day=f"{min(days):%Y-%m-%d}" if days else t("common.never"),
                data_day=f"{state.data_as_of:%Y-%m-%d}",
                marts=", ".join(sorted(stale)),
            )
        )
    try:
        page_std = load_standard().fingerprint
    except StandardsError:
        return out  # the page that reads the standard says what is wrong with it
    if state.marts_standard and state.marts_standard != page_std:
        out.append(t("common.marts_other_standard", marts=state.marts_standard, pages=page_std))
    return out


def show_data_warnings() -> None:
    """One warning box per problem, above the page."""
    for message in data_warnings():
        st.warning(message, icon="⚠️")
