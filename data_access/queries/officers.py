"""Officers' work, aggregated in SQL: activity, soft footprints and conversions per officer and week.

Weeks start on Monday (``date_trunc('week', …)`` is ISO on DuckDB and PostgreSQL alike). Scope and
the sidebar's branch / officer lists are applied in SQL; the period is the filters' start..end.
"""

from __future__ import annotations

import polars as pl
import sqlalchemy as sa

from data_access.filters import Filters, Scope, apply_filters, apply_scope
from data_access.queries._frames import frame
from data_access.queries._sql import week_of
from data_access.schema import (
    marketing_events,
    officer_activities,
    soft_footprints,
    training_attendance,
    trainings,
)

# Activity counts are also read from the activity mart, which is told the frame to return.
_OFFICER_WEEK = {"officer_id": pl.Int64, "branch_id": pl.Int64, "week_start": pl.Date}
ACTIVITY_SCHEMA = _OFFICER_WEEK | {"kind": pl.String, "n": pl.Int64}


def select_activity_weekly(scope: Scope, flt: Filters) -> sa.Select:
    """Activities per officer, week and kind in the period."""
    t = officer_activities
    week = week_of(t.c.occurred_at).label("week_start")
    stmt = sa.select(
        t.c.officer_id, t.c.branch_id, week, t.c.kind, sa.func.count().label("n")
    ).group_by(t.c.officer_id, t.c.branch_id, week, t.c.kind)
    stmt = apply_scope(stmt, scope, t.c.branch_id, t.c.officer_id)
    stmt = apply_filters(
        stmt, flt, time_col=t.c.occurred_at, branch_col=t.c.branch_id, officer_col=t.c.officer_id
    )
    return stmt.order_by(t.c.officer_id, week, t.c.kind)


def fetch_activity_weekly(conn: sa.Connection, scope: Scope, flt: Filters) -> pl.DataFrame:
    """officer_id, branch_id, week_start, kind, n: activity counts in the period."""
    from data_access.queries import activity  # the activity mart, for whole weeks it covers

    mart = activity.fetch_activity_weekly(conn, scope, flt, ACTIVITY_SCHEMA)
    if mart is not None:
        return mart
    return frame(conn, select_activity_weekly(scope, flt), ACTIVITY_SCHEMA)


def _officer_weekly(
    table: sa.Table,
    time_col: sa.ColumnElement,
    scope: Scope,
    flt: Filters,
    *conds: sa.ColumnElement,
) -> sa.Select:
    """Rows of ``table`` meeting ``conds`` per officer, branch and week in the period (rows
    without an officer are left out)."""
    t = table
    week = week_of(time_col).label("week_start")
    stmt = sa.select(t.c.officer_id, t.c.branch_id, week, sa.func.count().label("n"))
    for cond in conds:
        stmt = stmt.where(cond)
    stmt = stmt.where(t.c.officer_id.is_not(None)).group_by(t.c.officer_id, t.c.branch_id, week)
    stmt = apply_scope(stmt, scope, t.c.branch_id, t.c.officer_id)
    stmt = apply_filters(
        stmt, flt, time_col=time_col, branch_col=t.c.branch_id, officer_col=t.c.officer_id
    )
    return stmt.order_by(t.c.officer_id, week)


def select_soft_weekly(scope: Scope, flt: Filters) -> sa.Select:
    """Soft footprints captured per officer and week (rows without an officer are left out)."""
    t = soft_footprints
    return _officer_weekly(t, t.c.captured_at, scope, flt)


def fetch_soft_weekly(conn: sa.Connection, scope: Scope, flt: Filters) -> pl.DataFrame:
    """officer_id, branch_id, week_start, n: soft footprints captured in the period."""
    return frame(conn, select_soft_weekly(scope, flt))


def select_conversions_weekly(scope: Scope, flt: Filters) -> sa.Select:
    """Campaign conversions credited to each officer per week."""
    t = marketing_events
    converted = t.c.stage == sa.bindparam(None, "converted", type_=sa.String)
    return _officer_weekly(t, t.c.occurred_at, scope, flt, converted)


def fetch_conversions_weekly(conn: sa.Connection, scope: Scope, flt: Filters) -> pl.DataFrame:
    """officer_id, branch_id, week_start, n: conversions in the period."""
    return frame(conn, select_conversions_weekly(scope, flt))


def select_trainings(flt: Filters | None = None) -> sa.Select:
    """Trainings, optionally those held in the period, by date."""
    t = trainings
    stmt = sa.select(t.c.training_id, t.c.title, t.c.title_en, t.c.topic, t.c.held_on)
    if flt is not None:
        stmt = apply_filters(stmt, flt, time_col=t.c.held_on)
    return stmt.order_by(t.c.held_on, t.c.training_id)


def fetch_trainings(conn: sa.Connection, flt: Filters | None = None) -> pl.DataFrame:
    """training_id, title, title_en, topic, held_on."""
    return frame(conn, select_trainings(flt))


def select_attendance(scope: Scope, flt: Filters) -> sa.Select:
    """Invitations and attendance of the officers in scope (all trainings; the metric picks)."""
    t = training_attendance
    stmt = sa.select(t.c.training_id, t.c.officer_id, t.c.branch_id, t.c.attended)
    stmt = apply_scope(stmt, scope, t.c.branch_id, t.c.officer_id)
    stmt = apply_filters(stmt, flt, branch_col=t.c.branch_id, officer_col=t.c.officer_id)
    return stmt.order_by(t.c.training_id, t.c.officer_id)


def fetch_attendance(conn: sa.Connection, scope: Scope, flt: Filters) -> pl.DataFrame:
    """training_id, officer_id, branch_id, attended."""
    return frame(conn, select_attendance(scope, flt))
