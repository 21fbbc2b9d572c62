"""Cached loaders of the customer footprint page.

Split by what changes them: the customer's record (profile, products, balances, marts, credit) is
cached for long; the soft footprints and the signal features are cleared by ``after_soft_write``
when an officer records a new observation. None of them reads the sidebar's week or branches:
one customer is one customer (the scope still applies).
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

import polars as pl
import streamlit as st

from dashboard.db import get_engine
from dashboard.loaders.common import cached_fetch, load_standard
from data_access.engine import connect
from data_access.filters import Scope
from data_access.queries import customer as q
from data_access.queries import signals
from data_access.queries.feedback import FeedbackEntry, fetch_customer_feedback, insert_feedback
from data_access.queries.nbp import fetch_peer_counts
from data_access.selection import Selection
from metrics.footprint_rules import rules_for
from metrics.nbp import AGE_BAND_YEARS, shares_from_counts

TTL = 600


@st.cache_data(ttl=TTL, max_entries=64, show_spinner=False)
def load_search(selection: Selection, text: str, page: int, size: int) -> tuple[pl.DataFrame, int]:
    """One page of the customers in scope and the sidebar's picks matching ``text`` (number,
    name, a phone's last 4 digits, ID number — as the scope may), best first, and their count."""
    with connect(get_engine()) as conn:
        total = q.count_customer_search(conn, selection, text)
        found = q.search_customers(conn, selection, text, page=page, page_size=size)
        return found, total


@st.cache_data(ttl=TTL, max_entries=64, show_spinner=False)
def load_record(scope: Scope, customer_id: int, as_of: date) -> dict[str, Any]:
    """Profile, products, balances, mart rows, consented external limits, loan applications checked
    against the footprints, and the places the customer was seen."""
    with connect(get_engine()) as conn:
        return {
            "profile": q.fetch_profile(conn, scope, customer_id),
            "holdings": q.fetch_holdings(conn, scope, customer_id),
            "balances": q.fetch_monthly_balances(
                conn, scope, customer_id, since=date(as_of.year - 2, as_of.month, 1)
            ),
            "marts": q.fetch_marts(conn, scope, customer_id),
            "external": q.fetch_external_limits(conn, scope, customer_id),
            "checks": q.fetch_application_checks(conn, scope, customer_id, as_of),
            "places": q.fetch_places(conn, scope, customer_id, as_of),
        }


@st.cache_data(ttl=TTL, max_entries=64, show_spinner=False)
def load_footprints(
    scope: Scope, customer_id: int, start: date, end: date, recent: int = 20
) -> dict[str, pl.DataFrame]:
    """Weekly footprint aggregates for start..end and the last ``recent`` transactions."""
    with connect(get_engine()) as conn:
        return {
            "weekly": q.fetch_weekly_footprints(conn, scope, customer_id, start, end),
            "recent": q.fetch_recent_footprints(conn, scope, customer_id, recent, until=end),
        }


load_soft = cached_fetch(q.fetch_soft_footprints, module=__name__, max_entries=64)


@st.cache_data(ttl=TTL, max_entries=64, show_spinner=False)
def load_features(scope: Scope, customer_id: int, as_of: date) -> pl.DataFrame:
    """The customer's measures of the footprint rules, computed live in polars from the customer's
    footprint rows (so a new soft footprint shows at once)."""
    rules = rules_for(load_standard())
    with connect(get_engine()) as conn:
        return signals.fetch_customer_measures(conn, scope, as_of, customer_id, rules)


@st.cache_data(ttl=TTL, max_entries=32, show_spinner=False)
def load_signal_counts(selection: Selection, codes: tuple[str, ...]) -> pl.DataFrame:
    """Customers with each signal on in the book (code '' = customers in view), from the mart."""
    with connect(get_engine()) as conn:
        return signals.fetch_signal_counts(conn, selection, codes)


@st.cache_data(ttl=TTL, max_entries=32, show_spinner=False)
def load_signal_leads(selection: Selection, codes: tuple[str, ...]) -> pl.DataFrame:
    """The customers of the book with the most signals on."""
    with connect(get_engine()) as conn:
        return signals.fetch_signal_leads(conn, selection, codes)


def record_soft(scope: Scope, entry: q.SoftFootprintEntry) -> int:
    """Write a soft footprint through data_access, then drop the caches it changes."""
    soft_id = q.insert_soft_footprint(get_engine(), scope, entry)
    after_soft_write()
    return soft_id


def after_soft_write() -> None:
    """Clear what a new soft footprint changes: the soft list and the signal features."""
    load_soft.clear()
    load_features.clear()


def now() -> datetime:
    """The time a new observation is stamped with (minute precision)."""
    return datetime.now().replace(second=0, microsecond=0)


@st.cache_data(ttl=TTL, max_entries=4, show_spinner=False)
def load_peer_shares(as_of: date) -> pl.DataFrame:
    """Bank-wide share of each group of similar customers holding each product (aggregates only:
    the same for every scope, so that a branch's officer sees the bank's experience)."""
    with connect(get_engine()) as conn:
        sizes, holders = fetch_peer_counts(conn, as_of, AGE_BAND_YEARS)
    return shares_from_counts(sizes, holders)


def _username() -> str:
    """Who acts, for the audit log: the signed-in user (the router sets it every run)."""
    from dashboard.access import current_user

    return current_user().username


def withdraw_soft(scope: Scope, soft_id: int) -> None:
    """Withdraw one's own soft footprint (audited), then drop the caches it changes."""
    from data_access.soft_changes import withdraw_soft_footprint

    withdraw_soft_footprint(get_engine(), scope, soft_id, _username())
    after_soft_write()


def correct_soft(scope: Scope, soft_id: int, entry: q.SoftFootprintEntry) -> int:
    """Replace one's own soft footprint by a corrected one (audited); the new soft_id."""
    from data_access.soft_changes import correct_soft_footprint

    new_id = correct_soft_footprint(get_engine(), scope, soft_id, entry, _username())
    after_soft_write()
    return new_id


load_customer_feedback = cached_fetch(fetch_customer_feedback, module=__name__, max_entries=64)


def record_feedback(scope: Scope, entry: FeedbackEntry) -> int:
    """Write an answer (and its audit entry), then drop the caches it changes."""
    feedback_id = insert_feedback(get_engine(), scope, entry, _username(), date.today())
    load_customer_feedback.clear()
    return feedback_id
