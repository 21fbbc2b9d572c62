"""The activity marts give exactly the live footprint queries' answers (DuckDB and PostgreSQL)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import date, timedelta

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
        live = frame(conn, select(selection, since, AS_OF), schema)
        got = fetch(conn, selection, since, AS_OF, schema)
        assert got is not None
        assert_frame_equal(got, live)


@pytest.mark.parametrize(
    "since",
    [
        pytest.param(AS_OF - timedelta(weeks=25, days=AS_OF.weekday()), id="26-weeks"),
        pytest.param(date(2025, 12, 1), id="12-months"),
        pytest.param(date(2024, 12, 1), id="whole-history"),
    ],
)
def test_weekly_activity_from_the_mart_equals_the_live_query(bank: sa.Engine, since: date) -> None:
    with bank.connect() as conn:
        _assert_mart_is_live(
            conn, bank, since, lq.select_weekly_activity, fast.fetch_weekly_activity,
            lq.WEEKLY_COUNT_SCHEMA,
        )  # fmt: skip
        bank_live = frame(
            conn,
            lq.select_weekly_activity(Selection(), since, AS_OF),
            lq.WEEKLY_COUNT_SCHEMA,
        )
        assert bank_live["customers"].sum() > 0  # the comparison is not between two empty frames


@pytest.mark.parametrize(
    "since",
    [
        pytest.param(date(2025, 12, 1), id="12-months"),
        pytest.param(date(2024, 12, 1), id="2-years"),
    ],
)
def test_cohort_activity_from_the_mart_equals_the_live_query(bank: sa.Engine, since: date) -> None:
    with bank.connect() as conn:
        _assert_mart_is_live(
            conn, bank, since, lq.select_cohort_activity, fast.fetch_cohort_activity,
            lq.COHORT_ACTIVITY_SCHEMA,
        )  # fmt: skip
        whole = fast.fetch_cohort_activity(
            conn, Selection(), since, AS_OF, lq.COHORT_ACTIVITY_SCHEMA
        )
        assert whole["active"].sum() > 0


def test_income_evidence_from_the_mart_equals_the_live_query(bank: sa.Engine) -> None:
    start = AS_OF - timedelta(weeks=12)
    with bank.connect() as conn:
        for selection in views(bank):
            period = Period(start, AS_OF)
            for ratio in (1.5, 3.0):
                live = frame(
                    conn,
                    qq.select_profile_income_evidence(period, selection, ratio),
                    qq.PROFILE_EVIDENCE_SCHEMA,
                )
                got = fast.fetch_profile_income_evidence(
                    conn, period, selection, ratio, qq.PROFILE_EVIDENCE_SCHEMA
                )
                assert got is not None
                assert_frame_equal(got, live, check_exact=False, rel_tol=1e-9)
        everyone = fast.fetch_profile_income_evidence(
            conn, Period(start, AS_OF), Selection(), 0.0, qq.PROFILE_EVIDENCE_SCHEMA
        )
        assert everyone.height > 0 and everyone["inflow_count"].sum() > 0


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
    with bank.connect() as conn:
        for selection in views(bank):
            period = Period(start, AS_OF)
            live = frame(
                conn,
                qq.select_application_evidence(period, selection),
                qq.APPLICATION_EVIDENCE_SCHEMA,
            )
            got = fast.fetch_application_evidence(
                conn, period, selection, qq.APPLICATION_EVIDENCE_SCHEMA
            )
            assert got is not None
            assert_frame_equal(got, live, check_exact=False, rel_tol=1e-9)
            live_places = frame(
                conn, qq.select_applicant_places(period, selection), qq.PLACES_SCHEMA
            )
            got_places = fast.fetch_applicant_places(conn, period, selection, qq.PLACES_SCHEMA)
            assert got_places is not None
            assert_frame_equal(got_places, live_places)
        everyone = fast.fetch_application_evidence(
            conn, Period(start, AS_OF), Selection(), qq.APPLICATION_EVIDENCE_SCHEMA
        )
        assert everyone.height > 0 and everyone["declared_place_seen"].sum() > 0


@pytest.mark.parametrize(
    "start",
    [
        pytest.param(AS_OF - timedelta(weeks=104, days=6), id="2-years"),
        pytest.param(AS_OF - timedelta(weeks=4, days=6), id="5-weeks"),
    ],
)
def test_officer_activity_from_the_mart_equals_the_live_query(bank: sa.Engine, start: date) -> None:
    with bank.connect() as conn:
        for selection in views(bank):
            period = Period(start, AS_OF)
            live = frame(conn, oq.select_activity_weekly(period, selection), oq.ACTIVITY_SCHEMA)
            got = fast.fetch_activity_weekly(conn, period, selection, oq.ACTIVITY_SCHEMA)
            assert got is not None
            assert_frame_equal(got, live)
        everyone = fast.fetch_activity_weekly(
            conn, Period(start, AS_OF), Selection(), oq.ACTIVITY_SCHEMA
        )
        assert everyone["n"].sum() > 0
        # a period that is not whole weeks is left to the live query
        odd = Period(start + timedelta(days=2), AS_OF)
        assert fast.fetch_activity_weekly(conn, odd, Selection(), oq.ACTIVITY_SCHEMA) is None
