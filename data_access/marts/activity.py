"""Activity marts: what the loyalty and officer pages aggregate from raw footprints, done at refresh.

The benchmark (bench/results.md) showed three reads scanning all footprints on every cold view:
the weekly lifecycle and the cohort activity (loyalty page) and the declared-income evidence
(officer page). Their answers depend on the footprints only through small per-group counts, so
the refresher stores those counts once per load, computed by ``INSERT … SELECT`` in the database:

- ``activity_week_cells``: per customer branch, officer and current tier, week and lifecycle state
  (prev_gap, next_consecutive — the gaps over the customer's whole history up to ``as_of``), the
  number of customers. ``select_weekly_activity`` for any window ending on ``as_of`` is a sum.
- ``cohort_month_cells``: per branch, officer, tier, cohort month and month, customers active that
  month and customers whose last active month it is (cohorts inside the footprint history).
- ``customer_income_year``: per customer and footprint branch, income inflows (sum, count) in the
  365 days to ``as_of``.
- ``officer_activity_weeks``: officer activities per officer, branch, week and kind up to
  ``as_of`` (the officer page's two-year heatmap and league read whole weeks).
- ``application_evidence``: per loan application up to ``as_of``, income inflows in the year
  before it and footprints at the declared place (up to ``as_of``); ``applicant_places``: per
  applicant and place, footprints up to ``as_of``.

Only customers open on ``as_of`` are counted, as the live queries do. ``bank_meta`` keys
``activity_marts_as_of`` and ``activity_marts_cohorts_from`` say what the marts cover
(``data_access.load_state.activity_cover``); readers use them only for that day
(``data_access.queries.activity``) and fall back to the live query otherwise. The tables are in ``data_access.schema`` with every other table.
"""

from __future__ import annotations

from datetime import date, timedelta

import sqlalchemy as sa

from data_access.errors import DataUnavailable
from data_access.load_state import stamp_activity_cover
from data_access.marts._bulk import clear_table
from data_access.queries._sql import month_of, ts, week_of
from data_access.refresh import Progress
from data_access.schema import (
    activity_week_cells,
    applicant_places,
    application_evidence,
    cohort_month_cells,
    customer_income_year,
    customer_value,
    customers,
    footprints,
    loan_applications,
    officer_activities,
    officer_activity_weeks,
)
from metrics.standards import Standards

INFLOW_LOOKBACK_DAYS = 365  # as data_access.queries.quality


def _open_customers(as_of: date) -> sa.Subquery:
    """Customers open on ``as_of`` with branch, officer, cohort month and current tier."""
    c, v = customers.c, customer_value.c
    return (
        sa.select(
            c.customer_id,
            c.branch_id,
            c.officer_id,
            month_of(c.opened_on).label("cohort_month"),
            v.tier,
        )
        .select_from(customers.outerjoin(customer_value, v.customer_id == c.customer_id))
        .where(c.opened_on <= as_of, sa.or_(c.closed_on.is_(None), c.closed_on > as_of))
        .subquery("oc")
    )


def select_week_cells(as_of: date) -> sa.Select:
    """Rows of activity_week_cells: lifecycle counts per group and week up to ``as_of``."""
    f = footprints.c
    weeks = (
        sa.select(f.customer_id, week_of(f.occurred_at).label("week"))
        .where(f.self_initiated.is_(True), f.occurred_at < ts(as_of + timedelta(days=1)))
        .distinct()
        .subquery("w")
    )
    order = {"partition_by": weeks.c.customer_id, "order_by": weeks.c.week}
    gaps = sa.select(
        weeks.c.customer_id,
        weeks.c.week,
        (weeks.c.week - sa.func.lag(weeks.c.week).over(**order)).label("gap_before"),
        (sa.func.lead(weeks.c.week).over(**order) - weeks.c.week).label("gap_after"),
    ).subquery("g")
    oc = _open_customers(as_of)
    prev_gap = sa.case((gaps.c.gap_before.is_(None), 0), (gaps.c.gap_before == 7, 1), else_=2)
    next_consecutive = sa.case((gaps.c.gap_after == 7, True), else_=False)
    return (
        sa.select(
            oc.c.branch_id,
            oc.c.officer_id,
            oc.c.tier,
            gaps.c.week,
            prev_gap.label("prev_gap"),
            next_consecutive.label("next_consecutive"),
            sa.func.count().label("customers"),
        )
        .select_from(gaps.join(oc, oc.c.customer_id == gaps.c.customer_id))
        .group_by(
            oc.c.branch_id, oc.c.officer_id, oc.c.tier, gaps.c.week, prev_gap, next_consecutive
        )
    )


def select_cohort_cells(as_of: date, cohorts_from: date) -> sa.Select:
    """Rows of cohort_month_cells for cohorts from ``cohorts_from`` (a first of month)."""
    f = footprints.c
    months = (
        sa.select(f.customer_id, month_of(f.occurred_at).label("month"))
        .where(
            f.self_initiated.is_(True),
            f.occurred_at >= ts(cohorts_from),
            f.occurred_at < ts(as_of + timedelta(days=1)),
        )
        .distinct()
        .subquery("am")
    )
    oc = _open_customers(as_of)
    pc = (
        sa.select(
            oc.c.customer_id,
            oc.c.branch_id,
            oc.c.officer_id,
            oc.c.tier,
            oc.c.cohort_month,
            months.c.month,
        )
        .select_from(oc.join(months, months.c.customer_id == oc.c.customer_id))
        .where(oc.c.cohort_month >= cohorts_from, months.c.month >= oc.c.cohort_month)
        .subquery("pc")
    )
    keys = (pc.c.branch_id, pc.c.officer_id, pc.c.tier, pc.c.cohort_month)
    last = (
        sa.select(*keys, sa.func.max(pc.c.month).label("month"))
        .group_by(pc.c.customer_id, *keys)
        .subquery("last")
    )
    both = sa.union_all(
        sa.select(*keys, pc.c.month, sa.literal(1).label("a"), sa.literal(0).label("l")),
        sa.select(
            last.c.branch_id,
            last.c.officer_id,
            last.c.tier,
            last.c.cohort_month,
            last.c.month,
            sa.literal(0).label("a"),
            sa.literal(1).label("l"),
        ),
    ).subquery("both")
    group = (both.c.branch_id, both.c.officer_id, both.c.tier, both.c.cohort_month, both.c.month)
    return sa.select(
        *group, sa.func.sum(both.c.a).label("active"), sa.func.sum(both.c.l).label("last_active")
    ).group_by(*group)


def select_income_year(as_of: date) -> sa.Select:
    """Rows of customer_income_year: income inflows in the 365 days to ``as_of``."""
    from data_access.queries.quality import _is_income  # the officer page's own definition

    f = footprints
    end = ts(as_of + timedelta(days=1))
    return (
        sa.select(
            f.c.customer_id,
            f.c.branch_id,
            sa.func.sum(f.c.amount).label("observed_inflow"),
            sa.func.count().label("inflow_count"),
        )
        .where(
            _is_income(f),
            f.c.occurred_at >= end - timedelta(days=INFLOW_LOOKBACK_DAYS),
            f.c.occurred_at < end,
        )
        .group_by(f.c.customer_id, f.c.branch_id)
    )


def select_application_evidence(as_of: date) -> sa.Select:
    """Rows of application_evidence: the live query's evidence for every application to ``as_of``."""
    from data_access.queries.quality import application_inflows

    la = loan_applications
    apps = (
        sa.select(la.c.application_id, la.c.customer_id, la.c.applied_on, la.c.declared_place)
        .where(la.c.applied_on <= as_of)
        .subquery("apps")
    )
    return application_inflows(apps, ts(as_of + timedelta(days=1)))


def select_officer_activity_weeks(as_of: date) -> sa.Select:
    """Rows of officer_activity_weeks: activities per officer, branch, week and kind."""
    t = officer_activities
    week = week_of(t.c.occurred_at).label("week_start")
    return (
        sa.select(t.c.officer_id, t.c.branch_id, week, t.c.kind, sa.func.count().label("n"))
        .where(t.c.occurred_at < ts(as_of + timedelta(days=1)))
        .group_by(t.c.officer_id, t.c.branch_id, week, t.c.kind)
    )


def select_applicant_places(as_of: date) -> sa.Select:
    """Rows of applicant_places: footprints per place of every applicant to ``as_of``."""
    la, fp = loan_applications, footprints
    applicants = sa.select(la.c.customer_id).where(la.c.applied_on <= as_of)
    return (
        sa.select(fp.c.customer_id, fp.c.place, sa.func.count().label("n"))
        .where(fp.c.customer_id.in_(applicants.scalar_subquery()))
        .where(fp.c.place.is_not(None), fp.c.occurred_at < ts(as_of + timedelta(days=1)))
        .group_by(fp.c.customer_id, fp.c.place)
    )


def refresh_activity(
    engine: sa.Engine, standards: Standards, as_of: date, progress: Progress
) -> int:
    """Recompute the three activity marts for ``as_of``; returns rows written."""
    del standards  # the definitions are the queries', not the standard's
    try:
        with engine.begin() as conn:
            stamp_activity_cover(conn, None, None)
            first = conn.execute(sa.select(sa.func.min(footprints.c.occurred_at))).scalar()
            cohorts_from = (first.date() if first else as_of).replace(day=1)
            written = 0
            steps = (
                (officer_activity_weeks, select_officer_activity_weeks(as_of)),
                (activity_week_cells, select_week_cells(as_of)),
                (cohort_month_cells, select_cohort_cells(as_of, cohorts_from)),
                (customer_income_year, select_income_year(as_of)),
                (application_evidence, select_application_evidence(as_of)),
                (applicant_places, select_applicant_places(as_of)),
            )
            for i, (table, stmt) in enumerate(steps):
                progress(f"activity: {table.name}", i / len(steps))
                clear_table(conn, table)
                cols = [c.name for c in table.columns]
                conn.execute(table.insert().from_select(cols, stmt))
                written += conn.execute(sa.select(sa.func.count()).select_from(table)).scalar_one()
            stamp_activity_cover(conn, as_of, cohorts_from)
            return written
    except sa.exc.DBAPIError as exc:
        msg = str(exc.orig).splitlines()[0]
        raise DataUnavailable(f"activity mart refresh failed: {msg}") from exc
