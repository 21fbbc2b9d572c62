"""The look-back period of the pages that count days back from the data's end (credit desk,
suggestion outcomes): the choice of length and the Period it makes."""

from __future__ import annotations

from datetime import date, timedelta

import streamlit as st

from dashboard.i18n import t
from data_access.selection import Period

DAY_PERIODS = (7, 30, 90, 365)


def pick_days(area: str, default: int, key: str) -> int:
    """The period's length in days from ``area``'s control (``default`` when it is cleared)."""
    # labels computed here: a format_func must not call t() (widgets format outside the run)
    labels = {d: t(f"{area}.period_days", days=d) for d in DAY_PERIODS}
    days = st.segmented_control(
        t(f"{area}.period"), DAY_PERIODS, default=default, format_func=labels.get, key=key
    )
    return int(days or default)


def days_to(end: date, days: int) -> Period:
    """The ``days`` days up to ``end``."""
    return Period(end - timedelta(days=days - 1), end)
