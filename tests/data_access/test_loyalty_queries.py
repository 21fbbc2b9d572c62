"""Loyalty and retention queries on DuckDB and PostgreSQL, with hand-inserted rows and exact answers."""

from __future__ import annotations

from datetime import date, datetime

import polars as pl
import pytest
import sqlalchemy as sa

from data_access import schema
from data_access.filters import Scope
from data_access.masking import KINDS
from data_access.queries import loyalty as q
from data_access.selection import Selection
from metrics.retention import weekly_activity_counts
from tests.data_access.conftest import seeded_with
from tests.rows import insert_staff

AS_OF = date(2026, 11, 22)  # a Sunday


def _fp(fid, cust, branch, at, kind, direction, channel, amount, cp, self_init):
    return {
        "footprint_id": fid,
        "customer_id": cust,
        "branch_id": branch,
        "occurred_at": at,
        "kind": kind,
        "direction": direction,
        "channel": channel,
        "amount": amount,
        "counterparty_type": cp,
        "self_initiated": self_init,
    }


# id, customer, branch, time, kind, direction, channel, amount, counterparty, self-initiated
FOOTPRINTS = [
    (1, 1, 1, datetime(2026, 10, 1, 9), "salary", "in", "counter", 5000.0, "employer", False),
    (2, 1, 1, datetime(2026, 11, 1, 9), "bill_payment", "out", "mobile", 200.0, "merchant", True),
    (3, 1, 1, datetime(2026, 9, 1, 9), "transfer_out", "out", "mobile", 1000.0, "other_bank",
     True),
    (4, 1, 1, datetime(2026, 7, 1, 9), "payment", "out", "pos", 300.0, "merchant", True),
    (5, 1, 1, datetime(2026, 6, 1, 9), "withdrawal", "out", "atm", 500.0, "none", True),
    (6, 1, 1, datetime(2026, 1, 1, 9), "transfer_out", "out", "mobile", 9999.0, "other_bank",
     True),
    (7, 1, 1, datetime(2026, 11, 23, 8), "transfer_out", "out", "mobile", 7777.0, "other_bank",
     True),
    (8, 2, 1, datetime(2026, 11, 20, 9), "deposit", "in", "counter", 800.0, "none", True),
    (9, 2, 1, datetime(2026, 11, 21, 9), "transfer_out", "out", "mobile", 400.0,
     "internet_platform", True),
    (10, 2, 1, datetime(2026, 9, 15, 9), "deposit", "in", "counter", 100.0, "none", True),
    (11, 3, 2, datetime(2026, 10, 10, 9), "payment", "out", "pos", 50.0, "merchant", True),
    (12, 4, 1, datetime(2026, 4, 10, 9), "withdrawal", "out", "atm", 60.0, "none", True),
]  # fmt: skip


def seed(engine: sa.Engine) -> None:
    """Three open customers (two in branch 1, one in branch 2) and one closed one."""
    with engine.begin() as conn:
        insert_staff(conn, (1, 2), ((10, 1), (20, 2)), name="支行{}", town="T")
        cust = [
            (1, 1, 10, "张三", "13812341234", date(2020, 3, 15), None),
            (2, 1, 10, "李四", "13900001111", date(2026, 9, 10), None),
            (3, 2, 20, "王五", "13700002222", date(2026, 10, 5), None),
            (4, 1, 10, "赵六", "13600003333", date(2019, 1, 1), date(2026, 5, 1)),
        ]
        conn.execute(
            sa.insert(schema.customers),
            [
                {
                    "customer_id": i,
                    "branch_id": b,
                    "officer_id": o,
                    "name": n,
                    "phone": p,
                    "opened_on": op,
                    "closed_on": cl,
                }
                for i, b, o, n, p, op, cl in cust
            ],
        )
        conn.execute(
            sa.insert(schema.product_holdings),
            [
                {
                    "holding_id": 1,
                    "customer_id": 1,
                    "branch_id": 1,
                    "product": "demand_deposit",
                    "opened_on": date(2019, 6, 1),
                    "closed_on": None,
                },
                {
                    "holding_id": 2,
                    "customer_id": 1,
                    "branch_id": 1,
                    "product": "time_deposit",
                    "opened_on": date(2024, 1, 1),
                    "closed_on": date(2026, 1, 1),
                },
                {
                    "holding_id": 3,
                    "customer_id": 1,
                    "branch_id": 1,
                    "product": "mobile_banking",
                    "opened_on": date(2021, 1, 1),
                    "closed_on": None,
                },
                {
                    "holding_id": 4,
                    "customer_id": 1,
                    "branch_id": 1,
                    "product": "demand_deposit",
                    "opened_on": date(2022, 1, 1),
                    "closed_on": None,
                },
                {
                    "holding_id": 5,
                    "customer_id": 1,
                    "branch_id": 1,
                    "product": "wealth",
                    "opened_on": date(2026, 12, 1),
                    "closed_on": None,
                },
            ],
        )
        conn.execute(sa.insert(schema.footprints), [_fp(*row) for row in FOOTPRINTS])
        value_row = {
            "as_of": AS_OF,
            "effective": True,
            "recency_days": 1,
            "frequency_count": 1,
            "monetary_amount": 1.0,
            "r_score": 3,
            "f_score": 3,
            "m_score": 3,
            "rfm_segment": "loyal",
            "expected_transactions": 1.0,
        }
        conn.execute(
            sa.insert(schema.customer_value),
            [
                {
                    **value_row,
                    "customer_id": 1,
                    "branch_id": 1,
                    "officer_id": 10,
                    "aum": 100_000.0,
                    "tier": "affluent",
                    "p_alive": 0.9,
                    "clv": 5000.0,
                },
                {
                    **value_row,
                    "customer_id": 2,
                    "branch_id": 1,
                    "officer_id": 10,
                    "aum": 2_000.0,
                    "tier": "mass",
                    "p_alive": None,
                    "clv": None,
                },
            ],
        )
        conn.execute(
            sa.insert(schema.customer_tier_months),
            [
                {
                    "customer_id": 1,
                    "month": date(2026, 9, 1),
                    "branch_id": 1,
                    "aum": 60_000.0,
                    "tier": "affluent",
                },
                {
                    "customer_id": 1,
                    "month": date(2026, 10, 1),
                    "branch_id": 1,
                    "aum": 600_000.0,
                    "tier": "vip",
                },
                {
                    "customer_id": 2,
                    "month": date(2026, 9, 1),
                    "branch_id": 1,
                    "aum": 1_000.0,
                    "tier": "mass",
                },
                {
                    "customer_id": 2,
                    "month": date(2026, 10, 1),
                    "branch_id": 1,
                    "aum": 1_000.0,
                    "tier": "mass",
                },
                {
                    "customer_id": 3,
                    "month": date(2026, 10, 1),
                    "branch_id": 2,
                    "aum": 1_000.0,
                    "tier": "mass",
                },
            ],
        )


engine = seeded_with(seed)


def test_loyalty_inputs_are_aggregated_exactly(engine: sa.Engine) -> None:
    with engine.connect() as conn:
        got = q.fetch_loyalty_inputs(conn, Selection(), AS_OF)
    assert got.columns == list(q.INPUT_SCHEMA)
    rows = {r["customer_id"]: r for r in got.iter_rows(named=True)}
    assert sorted(rows) == [1, 2, 3]  # customer 4 closed before as_of
    assert rows[1] == {
        "customer_id": 1,
        "branch_id": 1,
        "officer_id": 10,
        "product_types": 2,  # demand (twice) + mobile; time deposit closed, wealth not yet open
        "first_opened": date(2019, 6, 1),  # first holding before the customer record's date
        "income_credited": True,
        "bills_paid": True,
        "mobile_used": True,
        "tx_recent": 2,
        "tx_prior": 2,
        "out_external": 1000.0,
        "out_total": 2000.0,
        "p_alive": 0.9,
        "aum": 100_000.0,
        "clv": 5000.0,
        "tier": "affluent",
        "rfm_segment": "loyal",
    }
    assert rows[2]["product_types"] == 0 and rows[2]["first_opened"] == date(2026, 9, 10)
    assert (rows[2]["tx_recent"], rows[2]["tx_prior"]) == (3, 0)
    assert (rows[2]["out_external"], rows[2]["out_total"]) == (400.0, 400.0)
    assert (rows[2]["income_credited"], rows[2]["bills_paid"], rows[2]["mobile_used"]) == (
        False,
        False,
        True,
    )
    assert rows[2]["p_alive"] is None
    assert rows[3]["tier"] is None and rows[3]["tx_recent"] == 1


@pytest.mark.parametrize(
    ("selection", "expected"),
    [
        pytest.param(Selection(Scope.branch(1)), [1, 2], id="branch-scope"),
        pytest.param(Selection(Scope.officer(2, 20)), [3], id="officer-scope"),
        pytest.param(Selection(branch_ids=(2,)), [3], id="branch-filter"),
        pytest.param(Selection(tiers=("affluent",)), [1], id="tier-filter"),
        pytest.param(
            Selection(officer_ids=(10,)),
            [1, 2],
            id="officer-filter",
        ),
    ],
)
def test_inputs_honour_scope_and_filters(engine: sa.Engine, selection: Selection, expected) -> None:
    with engine.connect() as conn:
        got = q.fetch_loyalty_inputs(conn, selection, AS_OF)
    assert got["customer_id"].to_list() == expected


def test_officer_scope_sees_the_same_aggregates_as_the_bank(engine: sa.Engine) -> None:
    with engine.connect() as conn:
        bank = q.fetch_loyalty_inputs(conn, Selection(), AS_OF)
        mine = q.fetch_loyalty_inputs(conn, Selection(Scope.officer(2, 20)), AS_OF)
        weekly = q.fetch_weekly_activity(
            conn, Selection(Scope.officer(2, 20)), date(2026, 10, 1), AS_OF
        )
        cohorts = q.fetch_cohort_activity(
            conn, Selection(Scope.officer(1, 10)), date(2026, 9, 1), AS_OF
        )
    assert mine.rows() == bank.filter(pl.col("customer_id") == 3).rows()
    assert mine["tx_recent"].to_list() == [1]
    assert weekly.rows() == [(date(2026, 10, 5), 0, False, 1)]
    assert cohorts.rows() == [
        (date(2026, 9, 1), date(2026, 9, 1), 1, 0),
        (date(2026, 9, 1), date(2026, 11, 1), 1, 1),
    ]


def test_cohort_sizes_and_activity(engine: sa.Engine) -> None:
    since = date(2026, 9, 1)
    with engine.connect() as conn:
        sizes = q.fetch_cohort_sizes(conn, Selection(), since, AS_OF)
        acts = q.fetch_cohort_activity(conn, Selection(), since, AS_OF)
        b2 = q.fetch_cohort_activity(conn, Selection(Scope.branch(2)), since, AS_OF)
    assert sizes.rows() == [(date(2026, 9, 1), 1), (date(2026, 10, 1), 1)]
    assert acts.rows() == [
        (date(2026, 9, 1), date(2026, 9, 1), 1, 0),
        (date(2026, 9, 1), date(2026, 11, 1), 1, 1),
        (date(2026, 10, 1), date(2026, 10, 1), 1, 1),
    ]
    assert b2.rows() == [(date(2026, 10, 1), date(2026, 10, 1), 1, 1)]


def test_weekly_activity_matches_the_metric_and_exact_rows(engine: sa.Engine) -> None:
    since = date(2026, 10, 1)  # weeks from 21 Sep (the week before since's week)
    with engine.connect() as conn:
        got = q.fetch_weekly_activity(conn, Selection(), since, AS_OF)
        raw = pl.DataFrame(
            conn.execute(
                sa.select(schema.footprints.c.customer_id, schema.footprints.c.occurred_at).where(
                    schema.footprints.c.self_initiated.is_(True),
                    schema.footprints.c.occurred_at < datetime(2026, 11, 23),
                    schema.footprints.c.customer_id != 4,
                )
            ).all(),
            schema={"customer_id": pl.Int64, "occurred_at": pl.Datetime},
            orient="row",
        )
    assert got.rows() == [
        (date(2026, 10, 5), 0, False, 1),  # customer 3, first activity ever
        (date(2026, 10, 26), 2, False, 1),  # customer 1 (Sunday 1 Nov), after a gap
        (date(2026, 11, 16), 2, False, 1),  # customer 2, last active in September
    ]
    weeks = raw.select(
        "customer_id", pl.col("occurred_at").dt.truncate("1w").dt.date().alias("week")
    )
    expected = weekly_activity_counts(weeks).filter(pl.col("week") >= date(2026, 9, 21))
    assert got.equals(expected)


def test_weekly_activity_honours_officer_filter(engine: sa.Engine) -> None:
    with engine.connect() as conn:
        got = q.fetch_weekly_activity(conn, Selection(officer_ids=(20,)), date(2026, 10, 1), AS_OF)
    assert got.rows() == [(date(2026, 10, 5), 0, False, 1)]


def test_tier_months_for_migration(engine: sa.Engine) -> None:
    sep, oct_ = date(2026, 9, 1), date(2026, 10, 1)
    with engine.connect() as conn:
        assert q.fetch_latest_tier_months(conn, AS_OF) == (sep, oct_)
        assert q.fetch_latest_tier_months(conn, date(2026, 9, 30)) is None
        bank = q.fetch_tier_months(conn, Selection(), (sep, oct_))
        b2 = q.fetch_tier_months(conn, Selection(Scope.branch(2)), (sep,))
        o20 = q.fetch_tier_months(conn, Selection(officer_ids=(20,)), (sep, oct_))
    assert bank.rows() == [
        (1, sep, "affluent"),
        (1, oct_, "vip"),
        (2, sep, "mass"),
        (2, oct_, "mass"),
        (3, oct_, "mass"),
    ]
    assert b2.is_empty()
    assert o20.rows() == [(3, oct_, "mass")]
    with engine.connect() as conn:
        mine = q.fetch_tier_months(conn, Selection(Scope.officer(1, 10)), (sep,))
    assert mine.rows() == [(1, sep, "affluent"), (2, sep, "mass")]


def test_mart_reads_with_value_columns_and_contacts(engine: sa.Engine) -> None:
    comps = dict.fromkeys(q.COMPONENT_COLUMNS, 0.5)
    with engine.begin() as conn:
        conn.execute(
            sa.insert(schema.customer_loyalty),
            [
                {
                    "customer_id": 1,
                    "branch_id": 1,
                    "officer_id": 10,
                    "as_of": AS_OF,
                    "loyalty": 70.0,
                    **comps,
                    "churn_risk": False,
                },
                {
                    "customer_id": 2,
                    "branch_id": 1,
                    "officer_id": 10,
                    "as_of": AS_OF,
                    "loyalty": 20.0,
                    **comps,
                    "churn_risk": True,
                },
                {
                    "customer_id": 3,
                    "branch_id": 2,
                    "officer_id": 20,
                    "as_of": AS_OF,
                    "loyalty": 30.0,
                    **comps,
                    "churn_risk": True,
                },
            ],
        )
    with engine.connect() as conn:
        assert q.fetch_mart_as_of(conn) == AS_OF
        mart = q.fetch_loyalty_mart(conn, Selection())
        mass = q.fetch_loyalty_mart(conn, Selection(tiers=("mass",)))
        b1 = q.fetch_loyalty_mart(conn, Selection(Scope.branch(1)))
        contacts = q.fetch_contacts(conn, Scope.branch(1, reveal=KINDS), (1, 3))
    assert mart.columns == list(q.MART_SCHEMA)
    assert mart["loyalty"].to_list() == [70.0, 20.0, 30.0]
    assert mart["aum"].to_list() == [100_000.0, 2_000.0, None]
    assert mass["customer_id"].to_list() == [2]
    assert b1["customer_id"].to_list() == [1, 2]
    assert contacts.rows() == [(1, "张三", "13812341234", 1, 10)]  # customer 3 is out of scope


def test_no_customers_no_contacts_and_no_in_list(monkeypatch: pytest.MonkeyPatch) -> None:
    """An empty churn list runs no query and gives the contact columns, empty. (Building IN () first
    sent SQLAlchemy through its ORM inspection hook, which raced a lazy import of the ORM under
    20 concurrent sessions: the load test's loyalty page crashed for a selection without churn
    risk.)"""
    built: list[object] = []
    monkeypatch.setattr(q, "frame", lambda *a, **k: built.append(a) or pl.DataFrame())
    empty = q.fetch_contacts(None, Scope.branch(1), ())  # type: ignore[arg-type]
    assert empty.columns == ["customer_id", "name", "phone", "branch_id", "officer_id"]
    assert empty.is_empty() and built == []


def test_empty_database_gives_empty_frames(empty_engine: sa.Engine) -> None:
    with empty_engine.connect() as conn:
        assert q.fetch_loyalty_inputs(conn, Selection(), AS_OF).is_empty()
        assert q.fetch_cohort_activity(conn, Selection(), date(2026, 1, 1), AS_OF).is_empty()
        assert q.fetch_weekly_activity(conn, Selection(), date(2026, 1, 1), AS_OF).is_empty()
        assert q.fetch_mart_as_of(conn) is None
