"""Officer queries on DuckDB and PostgreSQL: weekly counts, scope and filters applied in SQL."""

from __future__ import annotations

from datetime import date, datetime

import polars as pl
import pytest
import sqlalchemy as sa

from data_access import schema
from data_access.filters import Scope
from data_access.queries import officers as q
from data_access.selection import Period, Selection
from tests.conftest import fetched
from tests.data_access.conftest import seeded_with
from tests.rows import campaign_row, insert_li_staff

PERIOD = Period(date(2026, 11, 9), date(2026, 11, 22))
W1, W2, END = date(2026, 11, 9), date(2026, 11, 16), date(2026, 11, 22)


def _seed(engine: sa.Engine) -> None:
    with engine.begin() as conn:
        insert_li_staff(conn)
        acts = [
            (1, 10, "visit", datetime(2026, 11, 9, 9)),
            (1, 10, "visit", datetime(2026, 11, 15, 23, 59)),  # Sunday: still week 1
            (1, 10, "call", datetime(2026, 11, 16, 0, 0)),  # Monday: week 2
            (2, 10, "visit", datetime(2026, 11, 20, 10)),
            (3, 20, "follow_up", datetime(2026, 11, 22, 18)),
            (3, 20, "visit", datetime(2026, 11, 23, 8)),  # after the period
            (3, 20, "visit", datetime(2026, 11, 8, 8)),  # before the period
        ]
        conn.execute(
            schema.officer_activities.insert(),
            [
                dict(activity_id=i, officer_id=o, branch_id=b, customer_id=None, kind=k,
                     occurred_at=ts)
                for i, (o, b, k, ts) in enumerate(acts)
            ],
        )  # fmt: skip
        soft = [
            (1, 10, datetime(2026, 11, 10, 9)),
            (1, 10, datetime(2026, 11, 11, 9)),
            (None, 10, datetime(2026, 11, 11, 9)),  # recorded by nobody in particular
            (3, 20, datetime(2026, 11, 17, 9)),
        ]
        conn.execute(
            schema.soft_footprints.insert(),
            [
                dict(soft_id=i + 1, customer_id=100, officer_id=o, branch_id=b, captured_at=ts,
                     kind="fuel_receipt", source="counter", confidence=0.9)
                for i, (o, b, ts) in enumerate(soft)
            ],
        )  # fmt: skip
        conn.execute(
            schema.campaigns.insert(),
            [campaign_row(1, "C1", ("卡", "Card"), "credit_card", (date(2026, 11, 1), date(2026, 12, 1)), 30)],
        )  # fmt: skip
        events = [
            (1, 10, "converted", datetime(2026, 11, 12, 9)),
            (1, 10, "applied", datetime(2026, 11, 12, 9)),
            (2, 10, "converted", datetime(2026, 11, 18, 9)),
            (2, 10, "converted", datetime(2026, 11, 19, 9)),
        ]
        conn.execute(
            schema.marketing_events.insert(),
            [
                dict(event_id=i, campaign_id=1, customer_id=100 + i, officer_id=o, branch_id=b,
                     stage=s, occurred_at=ts)
                for i, (o, b, s, ts) in enumerate(events)
            ],
        )  # fmt: skip
        conn.execute(
            schema.trainings.insert(),
            [
                dict(training_id=1, title="足迹思维", title_en="Footprint thinking",
                     topic="footprint", held_on=date(2026, 11, 12)),
                dict(training_id=2, title="营销", title_en="Marketing", topic="marketing",
                     held_on=date(2026, 6, 1)),
            ],
        )  # fmt: skip
        conn.execute(
            schema.training_attendance.insert(),
            [
                dict(training_id=1, officer_id=1, branch_id=10, attended=True),
                dict(training_id=1, officer_id=3, branch_id=20, attended=False),
                dict(training_id=2, officer_id=2, branch_id=10, attended=True),
            ],
        )


seeded = seeded_with(_seed)


def test_activity_per_officer_week_kind(seeded: sa.Engine) -> None:
    got = fetched(seeded, q.fetch_activity_weekly, PERIOD, Selection())
    assert got.rows() == [
        (1, 10, W1, "visit", 2),
        (1, 10, W2, "call", 1),
        (2, 10, W2, "visit", 1),
        (3, 20, W2, "follow_up", 1),
    ]
    assert got.schema == pl.Schema(q.ACTIVITY_SCHEMA)


@pytest.mark.parametrize(
    ("period", "selection", "officers"),
    [
        pytest.param(PERIOD, Selection(Scope.branch(10)), {1, 2}, id="branch-scope"),
        pytest.param(PERIOD, Selection(Scope.officer(10, 2)), {2}, id="officer-scope"),
        pytest.param(Period(W1, END), Selection(branch_ids=(20,)), {3}, id="branch-filter"),
        pytest.param(Period(W1, END), Selection(officer_ids=(1,)), {1},
                     id="officer-filter"),
        pytest.param(Period(W1, END), Selection(Scope.branch(20), branch_ids=(10,)), set(),
                     id="filter-outside-scope"),
    ],
)  # fmt: skip
def test_activity_honours_scope_and_filters(
    seeded: sa.Engine, period: Period, selection: Selection, officers: set[int]
) -> None:
    got = fetched(seeded, q.fetch_activity_weekly, period, selection)
    assert set(got["officer_id"]) == officers


def test_soft_footprints_per_officer_week(seeded: sa.Engine) -> None:
    got = fetched(seeded, q.fetch_soft_weekly, PERIOD, Selection())
    assert got.rows() == [(1, 10, W1, 2), (3, 20, W2, 1)]


def test_conversions_count_only_converted_stage(seeded: sa.Engine) -> None:
    got = fetched(seeded, q.fetch_conversions_weekly, PERIOD, Selection())
    assert got.rows() == [(1, 10, W1, 1), (2, 10, W2, 2)]


def test_trainings_and_attendance(seeded: sa.Engine) -> None:
    with seeded.connect() as conn:
        all_trainings = q.fetch_trainings(conn)
        in_period = q.fetch_trainings(conn, PERIOD)
        attendance = q.fetch_attendance(conn, Selection(Scope.branch(10)))
    assert all_trainings["training_id"].to_list() == [2, 1]  # by date
    assert in_period["training_id"].to_list() == [1]
    assert attendance.rows() == [(1, 1, 10, True), (2, 2, 10, True)]
