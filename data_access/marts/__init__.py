"""The mart refreshers, in the order they must run (a mart after every mart it reads)."""

from __future__ import annotations

from typing import NamedTuple

from data_access.marts.activity import refresh_activity
from data_access.marts.kpis import refresh_kpis
from data_access.marts.loyalty import refresh_loyalty
from data_access.marts.signals import refresh_signals
from data_access.marts.value import refresh_value
from data_access.refresh import Refresher


class Mart(NamedTuple):
    """One refresher: the tables it writes and the marts whose tables it reads."""

    name: str
    refresh: Refresher
    writes: tuple[str, ...]
    reads: tuple[str, ...] = ()


# ``refresh_all`` runs them in this order; tests/data_access/test_marts_order.py checks that a
# mart comes after every mart it reads and that each mart table is written by exactly one mart.
MARTS: tuple[Mart, ...] = (
    Mart("value", refresh_value, ("customer_value", "customer_tier_months")),
    Mart("signals", refresh_signals, ("customer_signals",)),
    Mart("loyalty", refresh_loyalty, ("customer_loyalty",), reads=("value",)),  # P(alive)
    Mart("kpis", refresh_kpis, ("kpi_facts",)),
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
    ),
)
