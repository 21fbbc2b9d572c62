"""Information-quality queries on DuckDB and PostgreSQL: counts and evidence aggregated in SQL."""

from __future__ import annotations

from datetime import date, datetime

import polars as pl
import pytest
import sqlalchemy as sa

from data_access import schema
from data_access.filters import Scope
from data_access.queries import quality as q
from data_access.selection import Period, Selection
from tests.data_access.conftest import seeded_with
from tests.data_access.scopes import CLEAR
from tests.rows import insert_li_staff

PERIOD = Period(date(2026, 11, 9), date(2026, 11, 22))
FIELDS = ("occupation", "town", "declared_income", "phone")
CUTOFF = date(2024, 11, 22)


def _customer(cid: int, branch: int, officer: int | None, **kw: object) -> dict:
    base = dict(customer_id=cid, branch_id=branch, officer_id=officer, name="张三",
                opened_on=date(2020, 1, 1), occupation=None, town=None, declared_income=None,
                phone=None, profile_updated_on=None, closed_on=None)  # fmt: skip
    return base | kw


def _seed(engine: sa.Engine) -> None:
    with engine.begin() as conn:
        insert_li_staff(conn)
        conn.execute(
            schema.customers.insert(),
            [
                _customer(100, 10, 1, occupation="farmer", town="城关镇", declared_income=50_000.0,
                          phone="13800000000", profile_updated_on=date(2026, 1, 1)),
                _customer(101, 10, 1, town="城关镇"),
                _customer(102, 10, 2, occupation="  ", declared_income=400_000.0,
                          phone="13900000000", profile_updated_on=date(2020, 1, 1)),
                _customer(103, 20, 3, occupation="x", closed_on=date(2026, 1, 1)),
                _customer(104, 20, None, occupation="merchant", town="白沙镇",
                          declared_income=10_000.0, phone="137", profile_updated_on=date(2026, 6, 1)),
            ],
        )  # fmt: skip
        fps = [
            (1, 100, datetime(2026, 5, 1), "salary", "in", 30_000.0, "城关镇"),
            (2, 100, datetime(2026, 6, 1), "loan_draw", "in", 100_000.0, "城关镇"),
            (3, 100, datetime(2026, 7, 1), "transfer_out", "out", 5_000.0, "城关镇"),
            (4, 102, datetime(2025, 6, 1), "deposit", "in", 100_000.0, "城关镇"),
            (5, 102, datetime(2026, 3, 1), "pension", "in", 20_000.0, "城关镇"),
            (6, 102, datetime(2026, 11, 19), "salary", "in", 9_999.0, "青石镇"),
        ]
        conn.execute(
            schema.footprints.insert(),
            [
                dict(footprint_id=i, customer_id=c, branch_id=10, occurred_at=ts, kind=k,
                     direction=d, channel="counter", amount=a, place=p,
                     counterparty_type="none", self_initiated=True)
                for i, c, ts, k, d, a, p in fps
            ],
        )  # fmt: skip
        apps = [
            (1, 102, 2, date(2026, 11, 18), 400_000.0, "青石镇"),
            (2, 100, 1, date(2026, 11, 10), 50_000.0, "白沙镇"),
            (3, 100, 1, date(2026, 10, 1), 50_000.0, "城关镇"),  # before the period
        ]
        conn.execute(
            schema.loan_applications.insert(),
            [
                dict(application_id=i, customer_id=c, officer_id=o, branch_id=10, applied_on=d,
                     product="loan_business", amount=200_000.0, declared_income=inc,
                     declared_place=p, status="submitted")
                for i, c, o, d, inc, p in apps
            ],
        )  # fmt: skip


seeded = seeded_with(_seed)


def test_profile_fill_counts_per_officer_and_field(seeded: sa.Engine) -> None:
    with seeded.connect() as conn:
        got = q.fetch_profile_fill(conn, PERIOD, Selection(), FIELDS)
    filled = {(r["officer_id"], r["field"]): (r["customers"], r["filled"]) for r in got.to_dicts()}
    assert filled == {
        (1, "occupation"): (2, 1),
        (1, "town"): (2, 2),
        (1, "declared_income"): (2, 1),
        (1, "phone"): (2, 1),
        (2, "occupation"): (1, 0),  # a blank string is not filled
        (2, "town"): (1, 0),
        (2, "declared_income"): (1, 1),
        (2, "phone"): (1, 1),
        (None, "occupation"): (1, 1),  # the closed customer of officer 3 is not counted
        (None, "town"): (1, 1),
        (None, "declared_income"): (1, 1),
        (None, "phone"): (1, 1),
    }


def test_profile_fill_refuses_unknown_field() -> None:
    with pytest.raises(ValueError, match="salary"):
        q.select_profile_fill(PERIOD, Selection(), ("town", "salary"))


@pytest.mark.parametrize(
    ("period", "selection", "expected"),
    [
        pytest.param(PERIOD, Selection(), [(1, 10, 2, 1, 0), (2, 10, 1, 0, 1), (None, 20, 1, 0, 0)],
                     id="bank"),
        pytest.param(PERIOD, Selection(Scope.branch(10)), [(1, 10, 2, 1, 0), (2, 10, 1, 0, 1)], id="branch"),
        pytest.param(PERIOD, Selection(officer_ids=(2,)),
                     [(2, 10, 1, 0, 1)], id="officer-filter"),
    ],
)  # fmt: skip
def test_staleness_counts(
    seeded: sa.Engine, period: Period, selection: Selection, expected: list
) -> None:
    with seeded.connect() as conn:
        got = q.fetch_staleness(conn, period, selection, CUTOFF)
    assert got.rows() == expected


@pytest.mark.parametrize(
    ("ratio", "expected"),
    [
        pytest.param(2.0, [(102, 2, 400_000.0, 29_999.0, 2), (104, None, 10_000.0, 0.0, 0)],
                     id="ratio-2"),
        pytest.param(1.5, [(100, 1, 50_000.0, 30_000.0, 1), (102, 2, 400_000.0, 29_999.0, 2),
                           (104, None, 10_000.0, 0.0, 0)], id="ratio-1.5"),
    ],
)  # fmt: skip
def test_profile_income_evidence(seeded: sa.Engine, ratio: float, expected: list) -> None:
    with seeded.connect() as conn:
        got = q.fetch_profile_income_evidence(conn, PERIOD, Selection(), ratio)
    cols = ["customer_id", "officer_id", "declared_income", "observed_inflow", "inflow_count"]
    assert got.select(cols).rows() == expected


def test_application_evidence(seeded: sa.Engine) -> None:
    with seeded.connect() as conn:
        got = q.fetch_application_evidence(conn, PERIOD, Selection(CLEAR))
    cols = ["application_id", "name", "declared_income", "declared_place", "observed_inflow",
            "inflow_count", "declared_place_seen"]  # fmt: skip
    # app 1: the pension in the year before (the salary came after applying); its place seen once
    # app 2: the salary only (a loan draw is not income); 白沙镇 never seen
    assert got.select(cols).rows() == [
        (2, "张三", 50_000.0, "白沙镇", 30_000.0, 1, 0),
        (1, "张三", 400_000.0, "青石镇", 20_000.0, 1, 1),
    ]


def test_application_evidence_scope(seeded: sa.Engine) -> None:
    with seeded.connect() as conn:
        got = q.fetch_application_evidence(conn, PERIOD, Selection(Scope.officer(10, 1)))
    assert got["application_id"].to_list() == [2]


def test_applicant_places(seeded: sa.Engine) -> None:
    with seeded.connect() as conn:
        got = q.fetch_applicant_places(conn, PERIOD, Selection())
    assert got.rows() == [(100, "城关镇", 3), (102, "城关镇", 2), (102, "青石镇", 1)]


def test_demo_bank_flags_about_the_contradictions_it_planted(demo_engine: sa.Engine) -> None:
    """About 12% of the demo's applications carry a planted false declaration (8.4% income, 3.6%
    place); the standard's rule should find roughly that many, not every thin-footprint newcomer."""
    from metrics import quality as qm
    from metrics.standards import load_standards

    alerts = load_standards().alerts
    two_years = Period(date(2024, 11, 23), date(2026, 11, 22))
    with demo_engine.connect() as conn:
        apps = q.fetch_application_evidence(conn, two_years, Selection())
        places = q.fetch_applicant_places(conn, two_years, Selection())
    flagged = qm.application_contradictions(
        apps, places, alerts.income_contradiction_ratio, alerts.contradiction_min_inflows
    )
    share = flagged.height / apps.height
    assert 0.08 <= share <= 0.25, share  # 3,000 customers: about 270 applications
    # without the evidence rule, newcomers with no credits seen inflate the list
    naive = qm.application_contradictions(apps, places, alerts.income_contradiction_ratio)
    assert naive.height > flagged.height
    judged = apps.filter(pl.col("inflow_count") >= alerts.contradiction_min_inflows)
    income = flagged.filter(pl.col("income_flag"))
    assert set(income["application_id"]) <= set(judged["application_id"])
