"""The mart refreshers, in the order they must run (a mart after every mart it reads)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import NamedTuple

import sqlalchemy as sa

from data_access.marts.activity import refresh_activity
from data_access.marts.kpis import BY_PERIOD, refresh_kpis, refresh_kpis_since
from data_access.marts.loyalty import refresh_loyalty
from data_access.marts.signals import refresh_signals
from data_access.marts.value import refresh_value
from data_access.refresh import Progress, Refresher
from metrics.standards import Standards

# (engine, standards, as_of, since, progress) -> rows written: recompute only from ``since`` on
SinceRefresher = Callable[[sa.Engine, Standards, date, date, Progress], int]


class Mart(NamedTuple):
    """One refresher: the tables it writes, the marts and the fact tables it reads, and how it
    can be refreshed from a date on when only some fact tables changed."""

    name: str
    refresh: Refresher
    writes: tuple[str, ...]
    reads: tuple[str, ...] = ()
    sources: tuple[str, ...] = ()  # tables it reads (tests/data_access/test_marts_order.py)
    since: SinceRefresher | None = None
    by_period: tuple[str, ...] = ()  # sources whose changes ``since`` can handle


# ``refresh_all`` runs them in this order; tests/data_access/test_marts_order.py checks that a
# mart comes after every mart it reads and that each mart table is written by exactly one mart.
MARTS: tuple[Mart, ...] = (
    Mart(
        "value",
        refresh_value,
        ("customer_value", "customer_tier_months"),
        sources=("customers", "footprints", "product_holdings", "balance_snapshots"),
    ),
    Mart(
        "signals",
        refresh_signals,
        ("customer_signals",),
        sources=(
            "customers",
            "footprints",
            "product_holdings",
            "soft_footprints",
            "external_credit_limits",
        ),
    ),
    Mart(
        "loyalty",
        refresh_loyalty,
        ("customer_loyalty",),
        reads=("value",),  # P(alive)
        sources=("customers", "footprints", "product_holdings"),
    ),
    Mart(
        "kpis",
        refresh_kpis,
        ("kpi_facts",),
        sources=(
            "customers",
            "footprints",
            "product_holdings",
            "balance_snapshots",
            "marketing_events",
        ),
        since=refresh_kpis_since,
        by_period=BY_PERIOD,
    ),
    Mart(
        "activity",
        refresh_activity,
        (
            "officer_activity_weeks",
            "activity_week_cells",
            "cohort_month_cells",
            "customer_income_year",
            "application_evidence",
            "applicant_places",
        ),
        reads=("value",),  # the current tier from customer_value
        sources=(
            "customers",
            "footprints",
            "loan_applications",
            "officer_activities",
        ),
    ),
)
