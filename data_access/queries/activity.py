"""Reads of the activity marts: the same answers as the live footprint queries, for the marts' day.

Each ``fetch_*`` returns the frame of its live counterpart in ``data_access.queries.loyalty`` /
``quality`` / ``officers`` when the marts cover the request (refreshed for that ``as_of``), else
``None``; the live fetches are made by ``mart_first``, which runs the live query then. Tests
compare both on DuckDB and PostgreSQL.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from datetime import date, timedelta
from typing import Concatenate, ParamSpec

import polars as pl
import sqlalchemy as sa

from data_access.load_state import activity_cover
from data_access.queries._frames import bulk_frame, frame  # bulk: Arrow for results of 100k+ rows
from data_access.schema import (
    activity_week_cells,
    applicant_places,
    application_evidence,
    cohort_month_cells,
    customer_income_year,
    loan_applications,
    officer_activity_weeks,
)
from data_access.selection import Period, Selection, restrict_table

P = ParamSpec("P")


def _covered(
    conn: sa.Connection,
    as_of: date,
    stmt: sa.Select,
    schema: dict,
    *,
    since: date | None = None,
    read: Callable[[sa.Connection, sa.Select, dict], pl.DataFrame] = bulk_frame,
) -> pl.DataFrame | None:
    """``stmt``'s rows when the marts were refreshed for ``as_of`` (and hold the cohorts from
    ``since``'s month), else None."""
    cover = activity_cover(conn)
    if cover is None or cover[0] != as_of:
        return None
    if since is not None and since.replace(day=1) < cover[1]:
        return None
    return read(conn, stmt, schema)


def mart_first(
    live: Callable[P, sa.Select],
    mart: Callable[..., pl.DataFrame | None],
    schema: dict,
    doc: str,
) -> Callable[Concatenate[sa.Connection, P], pl.DataFrame]:
    """A live fetch, named as its ``mart`` (a reader of this module) and documented by ``doc``:
    ``mart``'s frame when the marts cover the request, else the rows of the ``live`` select; it
    takes ``live``'s arguments after ``conn``, and belongs to ``live``'s module (it is made there,
    beside its select: the scope meta-tests find every fetch_* by its module)."""

    def fetch(conn: sa.Connection, *args: P.args, **kwargs: P.kwargs) -> pl.DataFrame:
        found = mart(conn, *args, **kwargs, schema=schema)
        return found if found is not None else frame(conn, live(*args, **kwargs), schema)

    fetch.__name__ = fetch.__qualname__ = mart.__name__
    fetch.__doc__ = doc
    fetch.__module__ = live.__module__
    signature = inspect.signature(live)
    conn = inspect.Parameter(
        "conn", inspect.Parameter.POSITIONAL_OR_KEYWORD, annotation="sa.Connection"
    )
    fetch.__signature__ = signature.replace(  # type: ignore[attr-defined]
        parameters=[conn, *signature.parameters.values()], return_annotation="pl.DataFrame"
    )
    return fetch


def select_weekly_activity(selection: Selection, since: date) -> sa.Select:
    """week, prev_gap, next_consecutive, customers from activity_week_cells (weeks from the one
    before ``since``'s week)."""
    t = activity_week_cells
    first_week = since - timedelta(days=since.weekday() + 7)
    stmt = sa.select(
        t.c.week,
        t.c.prev_gap,
        t.c.next_consecutive,
        sa.cast(sa.func.sum(t.c.customers), sa.BigInteger).label("customers"),
    ).where(t.c.week >= first_week)
    stmt = restrict_table(stmt, selection, t)
    return stmt.group_by(t.c.week, t.c.prev_gap, t.c.next_consecutive).order_by(
        t.c.week, t.c.prev_gap, t.c.next_consecutive
    )


def fetch_weekly_activity(
    conn: sa.Connection, selection: Selection, since: date, as_of: date, schema: dict
) -> pl.DataFrame | None:
    """The weekly lifecycle counts from the mart, or None when it does not cover ``as_of``."""
    return _covered(conn, as_of, select_weekly_activity(selection, since), schema, read=frame)


def select_cohort_activity(selection: Selection, since: date) -> sa.Select:
    """cohort_month, month, active, last_active from cohort_month_cells (cohorts from ``since``)."""
    t = cohort_month_cells
    stmt = sa.select(
        t.c.cohort_month,
        t.c.month,
        sa.cast(sa.func.sum(t.c.active), sa.BigInteger).label("active"),
        sa.cast(sa.func.sum(t.c.last_active), sa.BigInteger).label("last_active"),
    ).where(t.c.cohort_month >= since.replace(day=1))
    stmt = restrict_table(stmt, selection, t)
    return stmt.group_by(t.c.cohort_month, t.c.month).order_by(t.c.cohort_month, t.c.month)


def fetch_cohort_activity(
    conn: sa.Connection, selection: Selection, since: date, as_of: date, schema: dict
) -> pl.DataFrame | None:
    """Cohort activity from the mart, or None when it does not cover ``as_of`` / ``since``."""
    stmt = select_cohort_activity(selection, since)
    return _covered(conn, as_of, stmt, schema, since=since, read=frame)


def select_profile_income_evidence(
    period: Period, selection: Selection, min_ratio: float
) -> sa.Select:
    """The live ``quality.select_profile_income_evidence`` with the inflows read from the mart."""
    from data_access.queries.quality import income_evidence_from

    m = customer_income_year
    inflows = sa.select(
        m.c.customer_id,
        sa.func.sum(m.c.observed_inflow).label("observed_inflow"),
        sa.cast(sa.func.sum(m.c.inflow_count), sa.BigInteger).label("inflow_count"),
    )
    return income_evidence_from(inflows, m, period, selection, min_ratio)


def fetch_profile_income_evidence(
    conn: sa.Connection, period: Period, selection: Selection, min_ratio: float, schema: dict
) -> pl.DataFrame | None:
    """Income evidence from the mart, or None when it does not cover the period's end."""
    return _covered(
        conn, period.end, select_profile_income_evidence(period, selection, min_ratio), schema
    )


def select_application_evidence(period: Period, selection: Selection) -> sa.Select:
    """The live ``quality.select_application_evidence`` with the evidence read from the mart."""
    from data_access.queries.quality import applications_with_evidence

    return applications_with_evidence(application_evidence, period, selection)


def fetch_application_evidence(
    conn: sa.Connection, period: Period, selection: Selection, schema: dict
) -> pl.DataFrame | None:
    """Application evidence from the mart, or None when it does not cover the period's end."""
    return _covered(conn, period.end, select_application_evidence(period, selection), schema)


def select_applicant_places(period: Period, selection: Selection) -> sa.Select:
    """The live ``quality.select_applicant_places`` read from the mart."""
    from data_access.queries.quality import _applications

    la, p = loan_applications, applicant_places
    applicants = _applications(sa.select(la.c.customer_id), period, selection)
    stmt = sa.select(p.c.customer_id, p.c.place, p.c.n).where(
        p.c.customer_id.in_(applicants.scalar_subquery())
    )
    return stmt.order_by(p.c.customer_id, sa.desc("n"), p.c.place)


def fetch_applicant_places(
    conn: sa.Connection, period: Period, selection: Selection, schema: dict
) -> pl.DataFrame | None:
    """Applicant places from the mart, or None when it does not cover the period's end."""
    return _covered(conn, period.end, select_applicant_places(period, selection), schema)


def select_activity_weekly(period: Period, selection: Selection) -> sa.Select:
    """The live ``officers.select_activity_weekly`` read from officer_activity_weeks."""
    t = officer_activity_weeks
    keys = (t.c.officer_id, t.c.branch_id, t.c.week_start, t.c.kind)
    stmt = sa.select(*keys, sa.cast(sa.func.sum(t.c.n), sa.BigInteger).label("n")).group_by(*keys)
    stmt = restrict_table(
        stmt, selection, t, period=period, time_col=t.c.week_start, tier_picks=False
    )
    return stmt.order_by(t.c.officer_id, t.c.week_start, t.c.kind)


def fetch_activity_weekly(
    conn: sa.Connection, period: Period, selection: Selection, schema: dict
) -> pl.DataFrame | None:
    """Weekly activity counts from the mart when the period is whole weeks up to its day."""
    cover = activity_cover(conn)
    whole_weeks = period.start.weekday() == 0 and period.end.weekday() == 6
    if cover is None or not whole_weeks or period.end > cover[0]:
        return None
    return bulk_frame(conn, select_activity_weekly(period, selection), schema)
