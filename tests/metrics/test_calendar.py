"""The one calendar: Python, polars and SQL agree on the Monday of a week."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import polars as pl
import sqlalchemy as sa
from hypothesis import given
from hypothesis import strategies as st

from data_access.queries._sql import week_of
from metrics.calendar import last_full_week, week_start, week_start_expr, weeks_ending

DAYS = st.dates(min_value=date(2000, 1, 1), max_value=date(2040, 12, 31))


@given(DAYS)
def test_week_start_is_the_monday_on_or_before(day: date) -> None:
    monday = week_start(day)
    assert monday.weekday() == 0 and 0 <= (day - monday).days < 7


@given(DAYS)
def test_last_full_week_has_ended_by_the_day(day: date) -> None:
    monday = last_full_week(day)
    assert monday.weekday() == 0
    assert monday + timedelta(days=6) <= day < monday + timedelta(days=13)


def test_weeks_ending_counts_back_from_the_week_of_the_day() -> None:
    assert weeks_ending(date(2026, 11, 22), 2) == [date(2026, 11, 9), date(2026, 11, 16)]


def test_polars_and_sql_truncate_like_python() -> None:
    days = [date(2026, 11, 15) + timedelta(days=i) for i in range(10)]
    frame = pl.DataFrame({"d": days, "t": [datetime(d.year, d.month, d.day, 23, 59) for d in days]})
    expected = [week_start(d) for d in days]
    assert frame.select(week_start_expr(pl.col("d")))["d"].to_list() == expected
    assert frame.select(week_start_expr(pl.col("t")))["t"].to_list() == expected
    engine = sa.create_engine("duckdb:///:memory:")
    with engine.connect() as conn:
        got = [conn.execute(sa.select(week_of(sa.literal(d, sa.Date)))).scalar() for d in days]
    assert got == expected
