"""Cached loaders of the officer-engagement page: weekly work, trainings, profile quality.

Each loader takes a Period and a Selection (frozen, hashable values) and returns an aggregated
frame; a change of week reloads the period's counts, not the training list.
"""

from __future__ import annotations

from datetime import date, timedelta

import polars as pl
import streamlit as st

from dashboard.db import get_engine
from dashboard.loaders.common import cached_fetch, load_officers
from data_access.engine import connect
from data_access.queries import officers as q
from data_access.queries import quality as qq
from data_access.selection import Period, Selection
from metrics import officers as om
from metrics import quality as qm
from metrics.standards import Composite

TTL = 600
BOOK_ROLES = ("customer_manager", "credit_officer")  # tellers keep no customer book


# The period's weekly work and the books' profile quality, as data_access returns them.
load_activity = cached_fetch(q.fetch_activity_weekly, module=__name__)
load_soft = cached_fetch(q.fetch_soft_weekly, module=__name__)
load_conversions = cached_fetch(q.fetch_conversions_weekly, module=__name__)
load_trainings = cached_fetch(q.fetch_trainings, module=__name__, max_entries=4)
load_attendance = cached_fetch(q.fetch_attendance, module=__name__)
load_profile_fill = cached_fetch(qq.fetch_profile_fill, module=__name__)
load_staleness = cached_fetch(qq.fetch_staleness, module=__name__)
load_profile_income_evidence = cached_fetch(
    qq.fetch_profile_income_evidence, module=__name__, max_entries=16
)


@st.cache_data(ttl=TTL, max_entries=16, show_spinner=False)
def load_application_evidence(
    period: Period, selection: Selection
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Loan applications of the period with their evidence, and where the applicants were seen."""
    with connect(get_engine()) as conn:
        return (
            qq.fetch_application_evidence(conn, period, selection),
            qq.fetch_applicant_places(conn, period, selection),
        )


@st.cache_data(ttl=TTL, max_entries=16, show_spinner=False)
def load_engagement_benchmark(
    weeks: tuple[date, ...], fields: tuple[str, ...], _standard: Composite, version: str
) -> dict[str, float | None]:
    """The bank's 90th percentile of each engagement component over ``weeks``, whatever the scope.

    Only these percentiles leave the loader: a branch or an officer is measured against the whole
    bank, as the standard says, without seeing other branches' rows. ``version`` (the standard's)
    keys the cache in place of the unhashable standard.
    """
    period = Period(weeks[0], weeks[-1] + timedelta(days=6))
    bank = Selection()
    officers = om.officers_in_view(load_officers(bank.scope), roles=BOOK_ROLES)
    in_period = pl.col("week_start").is_in(list(weeks))
    rates = om.officer_rates(
        officers,
        load_activity(period, bank).filter(in_period),
        load_soft(period, bank).filter(in_period),
        load_conversions(period, bank),
        qm.officer_completeness(load_profile_fill(period, bank, fields)),
        len(weeks),
    )
    return om.engagement_benchmark(rates, _standard)


@st.cache_data(ttl=TTL, max_entries=32, show_spinner=False)
def load_did(
    picks: Selection,
    history_all: Period,
    shown_ids: tuple[int, ...],
    history: tuple[date, ...],
    window: int,
    as_of: date,
    week_end: date,
) -> dict[str, om.TrainingEffect]:
    """Before/after training against the untrained, per training and pooled, and each group's
    levels, for visits and soft footprints (cached: the regressions are the page's heaviest work on a rerun).

    ``picks``: the sidebar's selection (attendance); the weekly work is read over its whole scope
    in ``history_all``, as the page reads it."""
    attendance = load_attendance(picks).filter(pl.col("officer_id").is_in(shown_ids))
    everyone = Selection(picks.scope)
    held = load_trainings().filter(pl.col("held_on") <= week_end)
    panels = {
        "visits": om.weekly_panel(
            load_activity(history_all, everyone), list(shown_ids), list(history), ("visit",)
        ),
        "soft": om.weekly_panel(load_soft(history_all, everyone), list(shown_ids), list(history)),
    }
    kwargs = {"window_weeks": window, "as_of": as_of}
    return {
        key: om.training_effect(panel, attendance, held, **kwargs) for key, panel in panels.items()
    }
