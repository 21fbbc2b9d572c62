"""Small SQL expression helpers and code lists shared by the query modules."""

from __future__ import annotations

from datetime import date, datetime, time

import sqlalchemy as sa

# Money out to these counterparties has left the bank (outflow KPI, signal and loyalty component).
OUTFLOW_COUNTERPARTIES = ("other_bank", "internet_platform")

# The month-average balances of balance_snapshots, in the order the frames show them.
MONTH_AVERAGES = ("demand_avg", "time_avg", "wealth_avg", "loan_avg")


def ts(day: date) -> datetime:
    """Midnight at the start of ``day`` (a half-open window's bound on a timestamp column)."""
    return datetime.combine(day, time.min)


def count_if(cond: sa.ColumnElement) -> sa.ColumnElement:
    """SUM of 1 for the rows where ``cond`` holds."""
    return sa.func.sum(sa.case((cond, 1), else_=0))


def sum_if(cond: sa.ColumnElement, value: sa.ColumnElement) -> sa.ColumnElement:
    """SUM of ``value`` over the rows where ``cond`` holds (0.0 when none)."""
    return sa.func.sum(sa.case((cond, value), else_=0.0))


def any_of(cond: sa.ColumnElement) -> sa.ColumnElement:
    """1 when ``cond`` holds on any row of the group, else 0."""
    return sa.func.max(sa.case((cond, 1), else_=0))


# Fixed SQL literals, not parameters: a bound unit keeps DuckDB from matching GROUP BY to SELECT
# (docs/sql-portability.md).
_UNITS = {"week": sa.literal_column("'week'"), "month": sa.literal_column("'month'")}


def truncate(unit: str, col: sa.ColumnElement) -> sa.ColumnElement:
    """Monday of the week (unit 'week', ISO, as metrics.calendar.week_start) or first of the month
    ('month') of a date/timestamp column, as a DATE: the one week truncation in SQL."""
    if unit not in _UNITS:
        raise ValueError(f"unit must be 'week' or 'month', got {unit!r}")
    return sa.cast(sa.func.date_trunc(_UNITS[unit], col), sa.Date)


def month_of(col: sa.ColumnElement) -> sa.ColumnElement:
    """The first day of the month of a date/timestamp column, as a date."""
    return truncate("month", col)


def week_of(col: sa.ColumnElement) -> sa.ColumnElement:
    """Monday of the week of a date/timestamp column, as a date."""
    return truncate("week", col)
