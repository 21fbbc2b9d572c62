"""The one set of calendar helpers: a week starts on Monday (as SQL ``date_trunc('week', …)``)."""

from __future__ import annotations

from datetime import date, timedelta

import polars as pl


def week_start(day: date) -> date:
    """Monday of the week that holds ``day``."""
    return day - timedelta(days=day.weekday())


def last_full_week(as_of: date) -> date:
    """Monday of the last week that has ended by ``as_of`` (a Sunday ends its own week)."""
    monday = week_start(as_of)
    return monday if as_of.weekday() == 6 else monday - timedelta(weeks=1)


def weeks_ending(last_week: date, n: int) -> list[date]:
    """The ``n`` Mondays up to and including the week of ``last_week``, oldest first."""
    if n < 1:
        raise ValueError(f"need at least one week, got {n}")
    end = week_start(last_week)
    return [end - timedelta(weeks=i) for i in range(n - 1, -1, -1)]


def week_start_expr(col: pl.Expr) -> pl.Expr:
    """The Monday of each date or datetime in ``col`` (polars; the same as ``week_start``)."""
    return col.dt.truncate("1w").cast(pl.Date)
