"""Refresher of the KPI mart (run by data_access.refresh in the order of data_access.marts).

``kpi_facts``: the customer KPIs (new customers, mobile sign-ups, conversions, outflows per week;
effective customers per month) per branch and officer over the whole history up to ``as_of``,
computed by ``INSERT … SELECT`` inside the database — nothing passes through Python.
"""

from __future__ import annotations

from datetime import date, timedelta

import sqlalchemy as sa

from data_access.errors import DataUnavailable
from data_access.marts._bulk import clear_table
from data_access.queries.kpis import select_facts_rows
from data_access.refresh import Progress
from data_access.schema import kpi_facts
from data_access.selection import Period
from metrics.standards import Standards

EPOCH = date(1990, 1, 1)  # before any bank's first account: the mart covers the whole history
COLUMNS = ["branch_id", "officer_id", "kpi", "period_start", "value"]
MONTHLY = "effective_customers"  # the one KPI counted per month; the others per week
# Fact tables whose rows count in the period of their own date (an outflow in the week it
# happened): a change to them changes only those periods' facts. A change to customers or
# product holdings (opening dates, the officer credited) can move facts of any period.
BY_PERIOD = ("footprints", "marketing_events", "balance_snapshots")


def refresh_kpis(engine: sa.Engine, standards: Standards, as_of: date, progress: Progress) -> int:
    """Recompute kpi_facts from the fact tables in one transaction; returns rows written."""
    selects = select_facts_rows(Period(EPOCH, as_of), standards.effective_customer)
    try:
        # A bank loaded before this mart existed lacks its table: create it, touch nothing else.
        kpi_facts.create(engine, checkfirst=True)
        with engine.begin() as conn:
            clear_table(conn, kpi_facts)
            for i, stmt in enumerate(selects):
                progress("kpis: weekly facts", i / len(selects))
                conn.execute(kpi_facts.insert().from_select(COLUMNS, stmt))
            return conn.execute(sa.select(sa.func.count()).select_from(kpi_facts)).scalar_one()
    except sa.exc.DBAPIError as exc:
        raise DataUnavailable(f"KPI mart refresh failed: {str(exc.orig).splitlines()[0]}") from exc


def window_start(since: date) -> date:
    """The Monday on or before the first of ``since``'s month: weeks and months from there on
    are whole, so their facts can be recomputed from the fact tables' rows from there on."""
    first = since.replace(day=1)
    return first - timedelta(days=first.weekday())


def refresh_kpis_since(
    engine: sa.Engine, standards: Standards, as_of: date, since: date, progress: Progress
) -> int:
    """Recompute only the facts of the weeks and months from ``since`` on; returns rows written."""
    start = window_start(since)
    months_from = start.replace(day=1)  # the month the window's Monday falls in
    selects = select_facts_rows(Period(start, as_of), standards.effective_customer)
    k = kpi_facts.c
    stale = sa.or_(
        sa.and_(k.kpi == MONTHLY, k.period_start >= months_from),
        sa.and_(k.kpi != MONTHLY, k.period_start >= start),
    )
    try:
        with engine.begin() as conn:
            conn.execute(kpi_facts.delete().where(stale))
            for i, stmt in enumerate(selects):
                progress("kpis: facts of the changed periods", i / len(selects))
                conn.execute(kpi_facts.insert().from_select(COLUMNS, stmt))
            return conn.execute(
                sa.select(sa.func.count()).select_from(kpi_facts).where(stale)
            ).scalar_one()
    except sa.exc.DBAPIError as exc:
        raise DataUnavailable(f"KPI mart refresh failed: {str(exc.orig).splitlines()[0]}") from exc
