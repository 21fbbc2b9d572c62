"""The activity marts give exactly the live footprint queries' answers (DuckDB and PostgreSQL)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import date, timedelta
from typing import Any

import polars as pl
import pytest
import sqlalchemy as sa
from polars.testing import assert_frame_equal

from data_access.filters import Scope
from data_access.marts.activity import refresh_activity
from data_access.queries import activity as fast
from data_access.queries import loyalty as lq
from data_access.queries import officers as oq
from data_access.queries import quality as qq
from data_access.queries._frames import frame
from data_access.selection import Period, Selection
from metrics.standards import load_standards
from tests.conftest import sql_one, sql_rows

AS_OF = date(2026, 11, 22)  # the demo bank's end date (tests/conftest.py)


@pytest.fixture(scope="module", params=["duckdb", "postgresql"])
def bank(request: pytest.FixtureRequest) -> Iterator[sa.Engine]:
    """The session's demo bank with the activity marts refreshed for its end date."""
    engine = request.getfixturevalue(
        "demo_engine" if request.param == "duckdb" else "demo_pg_engine"
    )
    refresh_activity(engine, load_standards(), AS_OF, lambda _s, _f: None)
    yield engine


def _ids(engine: sa.Engine) -> tuple[int, int, int]:
    """A branch, one of its officers with customers, another branch."""
    ((b, o),) = sql_rows(
        engine,
        "select branch_id, officer_id from customers where officer_id is not null "
        "group by branch_id, officer_id order by count(*) desc limit 1",
    )
    other = sql_one(engine, "select min(branch_id) from branches where branch_id <> :b", b=b)
    return int(b), int(o), int(other)


def views(engine: sa.Engine) -> list[Selection]:
    b, o, other = _ids(engine)
    return [
        Selection(),
        Selection(Scope.branch(b)),
        Selection(Scope.officer(b, o)),
        Selection(branch_ids=(b, other)),
        Selection(officer_ids=(o,)),
        Selection(tiers=("affluent", "vip")),
        Selection(Scope.branch(b), branch_ids=(other,)),  # sees nothing
    ]


def _assert_reads_live(
    conn: sa.Connection,
    select: Callable[..., sa.Select],
    fetch: Callable[..., pl.DataFrame | None],
    schema: dict,
    *args: object,
    **compare: Any,
) -> None:
    """The mart's reader ``fetch(conn, *args, schema)`` returns the frame of the live query
    ``select(*args)`` (compared by ``assert_frame_equal`` with ``compare``)."""
    live = frame(conn, select(*args), schema)
    got = fetch(conn, *args, schema)
    assert got is not None
    assert_frame_equal(got, live, **compare)


def _whole_bank(
    conn: sa.Connection, fetch: Callable[..., pl.DataFrame | None], start: date, *args: object
) -> pl.DataFrame:
    """The mart reader's frame for the whole bank over ``start`` to AS_OF, which has rows (so the
    comparisons are not between empty frames)."""
    got = fetch(conn, Period(start, AS_OF), Selection(), *args)
    assert got is not None and got.height > 0
    return got


def _assert_mart_is_live(
    conn: sa.Connection,
    engine: sa.Engine,
    since: date,
    select: Callable[..., sa.Select],
    fetch: Callable[..., pl.DataFrame | None],
    schema: dict,
) -> None:
    """In every view, the mart's reader (``fetch``) returns the live query's (``select``) frame."""
    for selection in views(engine):
        _assert_reads_live(conn, select, fetch, schema, selection, since, AS_OF)


# Each activity mart: its live query, its reader, the frame's schema and a count that is not zero.
MARTS = {
    "weekly": (lq.select_weekly_activity, fast.fetch_weekly_activity,
               lq.WEEKLY_COUNT_SCHEMA, "customers"),
    "cohort": (lq.select_cohort_activity, fast.fetch_cohort_activity,
               lq.COHORT_ACTIVITY_SCHEMA, "active"),
}  # fmt: skip


@pytest.mark.parametrize(
    ("mart", "since"),
    [
        pytest.param("weekly", AS_OF - timedelta(weeks=25, days=AS_OF.weekday()), id="weekly-26-weeks"),
        pytest.param("weekly", date(2025, 12, 1), id="weekly-12-months"),
        pytest.param("weekly", date(2024, 12, 1), id="weekly-whole-history"),
        pytest.param("cohort", date(2025, 12, 1), id="cohort-12-months"),
        pytest.param("cohort", date(2024, 12, 1), id="cohort-2-years"),
    ],
)  # fmt: skip
def test_activity_from_the_mart_equals_the_live_query(
    bank: sa.Engine, mart: str, since: date
) -> None:
    select, fetch, schema, counted = MARTS[mart]
    with bank.connect() as conn:
        _assert_mart_is_live(conn, bank, since, select, fetch, schema)
        whole = frame(conn, select(Selection(), since, AS_OF), schema)
    assert whole[counted].sum() > 0  # the comparison is not between two empty frames


def test_income_evidence_from_the_mart_equals_the_live_query(bank: sa.Engine) -> None:
    start = AS_OF - timedelta(weeks=12)
    period = Period(start, AS_OF)
    with bank.connect() as conn:
        for selection in views(bank):
            for ratio in (1.5, 3.0):
                _assert_reads_live(
                    conn, qq.select_profile_income_evidence, fast.fetch_profile_income_evidence,
                    qq.PROFILE_EVIDENCE_SCHEMA, period, selection, ratio, check_exact=False,
                    rel_tol=1e-9,
                )  # fmt: skip
        everyone = _whole_bank(
            conn, fast.fetch_profile_income_evidence, start, 0.0, qq.PROFILE_EVIDENCE_SCHEMA
        )
        assert everyone["inflow_count"].sum() > 0


def test_another_day_falls_back_to_the_live_query(bank: sa.Engine) -> None:
    earlier = AS_OF - timedelta(days=7)
    day = Period(earlier, earlier)
    with bank.connect() as conn:
        assert fast.fetch_weekly_activity(conn, Selection(), earlier, earlier, {}) is None
        assert fast.fetch_cohort_activity(conn, Selection(), earlier, earlier, {}) is None
        assert fast.fetch_profile_income_evidence(conn, day, Selection(), 1.5, {}) is None
        assert fast.fetch_application_evidence(conn, day, Selection(), {}) is None
        assert fast.fetch_applicant_places(conn, day, Selection(), {}) is None
        # cohorts before the footprint history are not in the mart
        old = date(2020, 1, 1)
        assert fast.fetch_cohort_activity(conn, Selection(), old, AS_OF, {}) is None


@pytest.mark.parametrize(
    "weeks", [pytest.param(12, id="12-weeks"), pytest.param(104, id="2-years")]
)
def test_application_evidence_from_the_mart_equals_the_live_query(
    bank: sa.Engine, weeks: int
) -> None:
    start = AS_OF - timedelta(weeks=weeks)
    period = Period(start, AS_OF)
    with bank.connect() as conn:
        for selection in views(bank):
            _assert_reads_live(
                conn, qq.select_application_evidence, fast.fetch_application_evidence,
                qq.APPLICATION_EVIDENCE_SCHEMA, period, selection, check_exact=False, rel_tol=1e-9,
            )  # fmt: skip
            _assert_reads_live(
                conn, qq.select_applicant_places, fast.fetch_applicant_places, qq.PLACES_SCHEMA,
                period, selection,
            )  # fmt: skip
        everyone = _whole_bank(
            conn, fast.fetch_application_evidence, start, qq.APPLICATION_EVIDENCE_SCHEMA
        )
        assert everyone["declared_place_seen"].sum() > 0


@pytest.mark.parametrize(
    "start",
    [
        pytest.param(AS_OF - timedelta(weeks=104, days=6), id="2-years"),
        pytest.param(AS_OF - timedelta(weeks=4, days=6), id="5-weeks"),
    ],
)
def test_officer_activity_from_the_mart_equals_the_live_query(bank: sa.Engine, start: date) -> None:
    period = Period(start, AS_OF)
    with bank.connect() as conn:
        for selection in views(bank):
            _assert_reads_live(
                conn, oq.select_activity_weekly, fast.fetch_activity_weekly, oq.ACTIVITY_SCHEMA,
                period, selection,
            )  # fmt: skip
        everyone = _whole_bank(conn, fast.fetch_activity_weekly, start, oq.ACTIVITY_SCHEMA)
        assert everyone["n"].sum() > 0
        # a period that is not whole weeks is left to the live query
        odd = Period(start + timedelta(days=2), AS_OF)
        assert fast.fetch_activity_weekly(conn, odd, Selection(), oq.ACTIVITY_SCHEMA) is None
