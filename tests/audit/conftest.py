"""The audit: every headline figure of every page recomputed in plain SQL from the raw tables.

The SQL here is written from the published definitions (``metrics/standards.toml``, ``docs/``) and
never calls ``data_access.queries``; each figure is compared with what the page's loaders return,
on DuckDB and on PostgreSQL (the session's demo banks), for the whole bank, one branch and one
officer, at three as-of dates: the data's last day (Sunday 22 November 2026), the last day of a
month (31 October) and the second day of one (2 November).
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, timedelta

import pytest
import sqlalchemy as sa
import streamlit as st

from data_access.filters import Scope
from tests.conftest import sql_one

AS_OF_DATES = (date(2026, 11, 22), date(2026, 10, 31), date(2026, 11, 2))
DATA_END = date(2026, 11, 22)


def scope_sql(scope: Scope, alias: str) -> str:
    """The scope as a condition on the ``alias`` table's branch_id and officer_id columns."""
    if scope.level == "bank":
        return "1 = 1"
    cond = f"{alias}.branch_id = {scope.branch_id}"
    return cond + (
        f" AND {alias}.officer_id = {scope.officer_id}" if scope.level == "officer" else ""
    )


def monday(day: date) -> date:
    """Monday of the week holding ``day``."""
    return day - timedelta(days=day.weekday())


@pytest.fixture(params=["duckdb", "postgresql"])
def bank(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> Iterator[sa.Engine]:
    """The demo bank on each database, with the page loaders pointed at it and their caches empty."""
    engine = request.getfixturevalue(
        "demo_engine" if request.param == "duckdb" else "demo_pg_engine"
    )
    import dashboard.db
    import dashboard.loaders.common as common
    import dashboard.loaders.credit as credit
    import dashboard.loaders.customer as customer
    import dashboard.loaders.funnels as funnels
    import dashboard.loaders.kpis as kpis
    import dashboard.loaders.loyalty as loyalty
    import dashboard.loaders.officers as officers
    import dashboard.loaders.quality_queue as quality_queue
    import dashboard.loaders.segments as segments

    loaders = (common, credit, customer, funnels, kpis, loyalty, officers, quality_queue, segments)
    for mod in (dashboard.db, *loaders):
        if hasattr(mod, "get_engine"):
            monkeypatch.setattr(mod, "get_engine", lambda: engine)
    st.cache_data.clear()
    yield engine
    st.cache_data.clear()


@pytest.fixture(params=AS_OF_DATES, ids=[f"{d}" for d in AS_OF_DATES])
def as_of(request: pytest.FixtureRequest, bank: sa.Engine) -> Iterator[date]:
    """The value mart refreshed as of the date (put back as of the data's end afterwards)."""
    from data_access.marts.value import refresh_value
    from metrics.standards import load_standards

    day: date = request.param
    if day != DATA_END:
        refresh_value(bank, load_standards(), day, lambda *_: None)
    yield day
    if day != DATA_END:
        refresh_value(bank, load_standards(), DATA_END, lambda *_: None)


@pytest.fixture
def largest_branch(bank: sa.Engine) -> int:
    """The branch with the most customers (the audit's branch)."""
    return int(
        sql_one(
            bank,
            "SELECT branch_id FROM customers GROUP BY branch_id ORDER BY count(*) DESC, branch_id LIMIT 1",
        )
    )


@pytest.fixture
def busiest_officer(bank: sa.Engine, largest_branch: int) -> Scope:
    """The officer of the largest branch with the largest book (the audit's officer)."""
    oid = sql_one(
        bank,
        "SELECT officer_id FROM customers WHERE branch_id = :b AND officer_id IS NOT NULL "
        "GROUP BY officer_id ORDER BY count(*) DESC, officer_id LIMIT 1",
        b=largest_branch,
    )
    return Scope.officer(largest_branch, int(oid))
