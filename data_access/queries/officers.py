"""Officers' work, aggregated in SQL: activity, soft footprints and conversions per officer and week.

Weeks start on Monday (``date_trunc('week', …)`` is ISO on DuckDB and PostgreSQL alike). Scope and
the sidebar's branch / officer lists are applied in SQL; the period is the filters' start..end.
"""

from __future__ import annotations

import polars as pl
import sqlalchemy as sa

from data_access.queries import activity
from data_access.queries._frames import frame
from data_access.queries._sql import week_of
from data_access.schema import (
    marketing_events,
    officer_activities,
    soft_footprints,
    training_attendance,
    trainings,
)
from data_access.selection import Period, Selection, restrict, restrict_table, within

# Activity counts are also read from the activity mart, which is told the frame to return.
_OFFICER_WEEK = {"officer_id": pl.Int64, "branch_id": pl.Int64, "week_start": pl.Date}
ACTIVITY_SCHEMA = _OFFICER_WEEK | {"kind": pl.String, "n": pl.Int64}


def select_activity_weekly(period: Period, selection: Selection) -> sa.Select:
    """Activities per officer, week and kind in the period."""
    t = officer_activities
    week = week_of(t.c.occurred_at).label("week_start")
    stmt = sa.select(
        t.c.officer_id, t.c.branch_id, week, t.c.kind, sa.func.count().label("n")
    ).group_by(t.c.officer_id, t.c.branch_id, week, t.c.kind)
    stmt = restrict_table(
        stmt, selection, t, period=period, time_col=t.c.occurred_at, tier_picks=False
    )
    return stmt.order_by(t.c.officer_id, week, t.c.kind)


# The activity mart answers for the whole weeks it covers.
fetch_activity_weekly = activity.mart_first(
    select_activity_weekly,
    activity.fetch_activity_weekly,
    ACTIVITY_SCHEMA,
    "officer_id, branch_id, week_start, kind, n: activity counts in the period.",
)


def _officer_weekly(
    table: sa.Table,
    time_col: sa.ColumnElement,
    period: Period,
    selection: Selection,
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
    stmt = restrict_table(stmt, selection, t, period=period, time_col=time_col, tier_picks=False)
    return stmt.order_by(t.c.officer_id, week)


def select_soft_weekly(period: Period, selection: Selection) -> sa.Select:
    """Soft footprints captured per officer and week (rows without an officer are left out)."""
    t = soft_footprints
    return _officer_weekly(t, t.c.captured_at, period, selection)


def fetch_soft_weekly(conn: sa.Connection, period: Period, selection: Selection) -> pl.DataFrame:
    """officer_id, branch_id, week_start, n: soft footprints captured in the period."""
    return frame(conn, select_soft_weekly(period, selection))


def select_conversions_weekly(period: Period, selection: Selection) -> sa.Select:
    """Campaign conversions credited to each officer per week."""
    t = marketing_events
    converted = t.c.stage == sa.bindparam(None, "converted", type_=sa.String)
    return _officer_weekly(t, t.c.occurred_at, period, selection, converted)


def fetch_conversions_weekly(
    conn: sa.Connection, period: Period, selection: Selection
) -> pl.DataFrame:
    """officer_id, branch_id, week_start, n: conversions in the period."""
    return frame(conn, select_conversions_weekly(period, selection))


def select_trainings(period: Period | None = None) -> sa.Select:
    """Trainings, optionally those held in the period, by date."""
    t = trainings
    stmt = sa.select(t.c.training_id, t.c.title, t.c.title_en, t.c.topic, t.c.held_on)
    if period is not None:
        stmt = within(stmt, period, t.c.held_on)
    return stmt.order_by(t.c.held_on, t.c.training_id)


def fetch_trainings(conn: sa.Connection, period: Period | None = None) -> pl.DataFrame:
    """training_id, title, title_en, topic, held_on."""
    return frame(conn, select_trainings(period))


def select_attendance(selection: Selection) -> sa.Select:
    """Invitations and attendance of the officers in scope (all trainings; the metric picks)."""
    t = training_attendance
    stmt = sa.select(t.c.training_id, t.c.officer_id, t.c.branch_id, t.c.attended)
    stmt = restrict(stmt, selection, branch_col=t.c.branch_id, officer_col=t.c.officer_id)
    return stmt.order_by(t.c.training_id, t.c.officer_id)


def fetch_attendance(conn: sa.Connection, selection: Selection) -> pl.DataFrame:
    """training_id, officer_id, branch_id, attended."""
    return frame(conn, select_attendance(selection))
