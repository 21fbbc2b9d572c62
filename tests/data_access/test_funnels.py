"""Funnel queries on DuckDB and PostgreSQL: campaign list, stage pivot and drop list, exact numbers."""

from __future__ import annotations

from datetime import date, datetime

import polars as pl
import pytest
import sqlalchemy as sa

from data_access.filters import Scope
from data_access.queries.funnels import fetch_campaigns, fetch_drop_list, fetch_stage_pivot
from data_access.schema import (
    FUNNEL_STAGES,
    campaigns,
    customer_value,
    customers,
    marketing_events,
)
from data_access.selection import Selection
from metrics.funnels import dropped_at, mark_reached, stage_counts
from tests.conftest import fetched
from tests.data_access.scopes import CLEAR
from tests.rows import campaign_row, insert_staff

BANK = Selection()


def d(day: int, hour: int = 0) -> datetime:
    """A timestamp in January 2026."""
    return datetime(2026, 1, day, hour)


# (customer, officer, branch, stage, time) for campaign 1; mirrors tests/metrics/test_funnels.py
EVENTS_C1 = [
    (1, 10, 1, "targeted", d(5)),
    (1, 10, 1, "contacted", d(6)),
    (1, 10, 1, "contacted", d(7)),  # a second contact: the pivot keeps the first
    (1, 10, 1, "interested", d(7)),
    (1, 10, 1, "applied", d(8)),
    (1, 10, 1, "converted", d(9, 12)),
    (2, 10, 1, "targeted", d(5)),
    (2, 10, 1, "contacted", d(7)),
    (3, 11, 1, "contacted", d(4)),  # contacted before being targeted: out of order
    (3, 11, 1, "targeted", d(6)),
    (3, 11, 1, "interested", d(8)),
    (4, 11, 1, "targeted", d(1)),
    (4, 11, 1, "contacted", d(2)),
    (4, 11, 1, "interested", d(3)),
    (4, 11, 1, "applied", d(4)),
    (4, 11, 1, "converted", datetime(2026, 2, 10)),  # 40 days after being targeted
    (5, 12, 2, "contacted", d(6)),  # never targeted
    (6, 12, 2, "targeted", d(12)),
    (6, 12, 2, "contacted", d(13)),
    (6, 12, 2, "interested", d(14)),
    (6, 12, 2, "applied", d(20)),
    (6, 12, 2, "converted", d(22)),
    (7, 12, 2, "targeted", d(12)),
    (7, 12, 2, "interested", d(14)),  # skipped contacted
]
# campaign 2: one customer of branch 2 only
EVENTS_C2 = [(6, 12, 2, "targeted", d(15)), (6, 12, 2, "contacted", d(16))]


@pytest.fixture
def engine(empty_engine: sa.Engine) -> sa.Engine:
    """Two branches, three officers, seven customers, two campaigns and a partly filled value mart."""
    with empty_engine.begin() as conn:
        staff = ((10, 1, "李娜"), (11, 1, "王强"), (12, 2, "赵敏"))
        insert_staff(conn, (1, 2), staff, name="网点{}", town="城关")
        conn.execute(
            sa.insert(customers),
            [
                {"customer_id": c, "branch_id": 1 if c <= 4 else 2, "officer_id": None,
                 "name": f"张{c}三", "opened_on": date(2010, 1, 1), "phone": f"1380000{c:04d}"}
                for c in range(1, 8)
            ],
        )  # fmt: skip
        conn.execute(
            sa.insert(campaigns),
            [
                campaign_row(1, "CARD26", ("信用卡", "Credit card"), "credit_card",
                             (date(2026, 1, 1), date(2026, 2, 28)), 30),
                campaign_row(2, "WEALTH26", ("理财", "Wealth"), "wealth",
                             (date(2026, 1, 10), date(2026, 3, 31)), 45),
                campaign_row(3, "EMPTY", ("空", "Empty"), "insurance",
                             (date(2025, 6, 1), date(2025, 7, 1)), 30),
            ],
        )  # fmt: skip
        rows = [(1, *e) for e in EVENTS_C1] + [(2, *e) for e in EVENTS_C2]
        conn.execute(
            sa.insert(marketing_events),
            [
                {"event_id": i, "campaign_id": cp, "customer_id": c, "officer_id": o,
                 "branch_id": b, "stage": s, "occurred_at": ts}
                for i, (cp, c, o, b, s, ts) in enumerate(rows, start=1)
            ],
        )  # fmt: skip
        conn.execute(
            sa.insert(customer_value),
            [
                {"customer_id": c, "branch_id": 1 if c <= 4 else 2, "officer_id": None,
                 "as_of": date(2026, 1, 31), "aum": 1.0, "tier": tier, "effective": True,
                 "recency_days": 1, "frequency_count": 1, "monetary_amount": 1.0, "r_score": 3,
                 "f_score": 3, "m_score": 3, "rfm_segment": seg, "p_alive": None,
                 "expected_transactions": None, "clv": None}
                for c, tier, seg in ((1, "vip", "champions"), (2, "mass", "lost"),
                                     (6, "vip", "loyal"), (7, "mass", "lost"))
            ],
        )  # fmt: skip
    return empty_engine


@pytest.mark.parametrize(
    ("selection", "expected"),
    [
        pytest.param(BANK, [(2, 1), (1, 6), (3, 0)], id="bank-all-campaigns"),
        pytest.param(Selection(Scope.branch(1)), [(1, 4)], id="branch-1-only-campaign-1"),
        pytest.param(
            Selection(branch_ids=(2,)), [(2, 1), (1, 2)],
            id="branch-filter",
        ),
        pytest.param(Selection(Scope.officer(1, 11)), [(1, 2)], id="officer-scope"),
        pytest.param(
            Selection(tiers=("mass",)), [(1, 2)], id="tier-filter"
        ),
    ],
)  # fmt: skip
def test_fetch_campaigns(
    engine: sa.Engine, selection: Selection, expected: list[tuple[int, int]]
) -> None:
    out = fetched(engine, fetch_campaigns, selection)
    assert list(zip(out["campaign_id"], out["targeted"], strict=True)) == expected
    if 1 in out["campaign_id"].to_list():
        row = out.filter(pl.col("campaign_id") == 1).row(0, named=True)
        assert (row["name"], row["name_en"], row["conversion_window_days"]) == (
            "信用卡",
            "Credit card",
            30,
        )


def test_stage_pivot_has_first_time_of_each_stage(engine: sa.Engine) -> None:
    pv = fetched(engine, fetch_stage_pivot, BANK, [1])
    assert pv.height == 7
    assert pv["customer_id"].to_list() == [1, 2, 3, 4, 5, 6, 7]
    one = pv.row(0, named=True)
    assert one["contacted_at"] == d(6)  # first of two contacts
    assert (one["officer_id"], one["branch_id"], one["product"]) == (10, 1, "credit_card")
    assert (one["tier"], one["rfm_segment"]) == ("vip", "champions")
    three = pv.row(2, named=True)
    assert (three["targeted_at"], three["contacted_at"], three["applied_at"]) == (d(6), d(4), None)
    assert pv["tier"].to_list() == ["vip", "mass", None, None, None, "vip", "mass"]
    five = pv.row(4, named=True)
    assert five["targeted_at"] is None and five["officer_id"] == 12  # falls back to any event


def test_stage_pivot_feeds_the_metrics(engine: sa.Engine) -> None:
    pv = fetched(engine, fetch_stage_pivot, BANK, [1])
    counts = stage_counts(mark_reached(pv, FUNNEL_STAGES, 30), FUNNEL_STAGES)
    assert counts["customers"].to_list() == [6, 4, 3, 3, 2]


@pytest.mark.parametrize(
    ("selection", "customers_"),
    [
        pytest.param(Selection(Scope.branch(2)), [5, 6, 7], id="branch-scope"),
        pytest.param(Selection(Scope.officer(1, 10)), [1, 2], id="officer-scope"),
        pytest.param(Selection(officer_ids=(11, 12)),
                     [3, 4, 5, 6, 7], id="officer-filter"),
        pytest.param(Selection(tiers=("vip",)), [1, 6],
                     id="tier-filter-via-value-mart"),
    ],
)  # fmt: skip
def test_stage_pivot_honours_scope_and_filters(
    engine: sa.Engine, selection: Selection, customers_: list[int]
) -> None:
    pv = fetched(engine, fetch_stage_pivot, selection, [1])
    assert pv["customer_id"].to_list() == customers_


def test_stage_pivot_of_two_campaigns_and_of_none(engine: sa.Engine) -> None:
    with engine.connect() as conn:
        both = fetch_stage_pivot(conn, BANK, [1, 2])
        none = fetch_stage_pivot(conn, BANK, [])
    assert both.group_by("campaign_id").len().sort("campaign_id")["len"].to_list() == [7, 1]
    assert both.filter(pl.col("campaign_id") == 2)["product"].to_list() == ["wealth"]
    assert none.height == 0 and none.columns == both.columns


def test_drop_list_in_sql_agrees_with_the_metric(engine: sa.Engine) -> None:
    # one database, every step and window: the SQL rule and metrics.funnels must pick the same
    with engine.connect() as conn:
        pv = fetch_stage_pivot(conn, BANK, [1])
        for window in (0, 3, 30, 60):
            reached = mark_reached(pv, FUNNEL_STAGES, window)
            for step in range(1, len(FUNNEL_STAGES)):
                dropped = fetch_drop_list(conn, BANK, [1], step, window)
                expected = dropped_at(reached, FUNNEL_STAGES, step)["customer_id"].to_list()
                assert dropped["customer_id"].to_list() == expected, (window, step)


def test_drop_list_rows(engine: sa.Engine) -> None:
    with engine.connect() as conn:
        out = fetch_drop_list(conn, Selection(CLEAR), [1], 1, 30)
        late = fetch_drop_list(conn, BANK, [1], 4, 30)
        scoped = fetch_drop_list(conn, Selection(Scope.branch(1)), [1], 1, 30)
    assert out.select("customer_id", "name", "phone", "officer_name", "last_stage").rows() == [
        (3, "张3三", "13800000003", "王强", "targeted"),
        (7, "张7三", "13800000007", "赵敏", "targeted"),
    ]
    assert out["last_stage_at"].to_list() == [d(6), d(12)]
    assert late.select("customer_id", "last_stage", "last_stage_at").rows() == [
        (4, "applied", d(4))
    ]
    assert scoped["customer_id"].to_list() == [3]


def test_drop_list_over_two_campaigns_and_none(engine: sa.Engine) -> None:
    with engine.connect() as conn:
        both = fetch_drop_list(conn, BANK, [1, 2], 2, 30)
        none = fetch_drop_list(conn, BANK, [], 2, 30)
    # campaign 1: customer 2 contacted, not interested; campaign 2: customer 6 likewise
    assert both.select("campaign_id", "customer_id").rows() == [(1, 2), (2, 6)]
    assert none.height == 0 and none.columns == both.columns


def test_drop_list_rejects_bad_step(engine: sa.Engine) -> None:
    with engine.connect() as conn, pytest.raises(ValueError, match="step must be between"):
        fetch_drop_list(conn, BANK, [1], 0, 30)


def test_call_list_follows_the_customer_to_the_new_branch_and_officer(engine: sa.Engine) -> None:
    # customer 3 was targeted by branch 1 (officer 11); today branch 2's officer 12 holds them
    with engine.begin() as conn:
        conn.execute(
            customers.update()
            .where(customers.c.customer_id == 3)
            .values(branch_id=2, officer_id=12)
        )
    with engine.connect() as conn:
        old_branch = fetch_drop_list(conn, Selection(Scope.branch(1)), [1], 1, 30)
        new_branch = fetch_drop_list(conn, Selection(Scope.branch(2)), [1], 1, 30)
        new_officer = fetch_drop_list(conn, Selection(Scope.officer(2, 12)), [1], 1, 30)
        old_officer = fetch_drop_list(conn, Selection(Scope.officer(1, 11)), [1], 1, 30)
        listed_old = fetch_drop_list(conn, Selection(branch_ids=(1,)), [1], 1, 30)
    assert 3 not in old_branch["customer_id"].to_list()
    assert 3 not in old_officer["customer_id"].to_list()
    assert 3 not in listed_old["customer_id"].to_list()
    row = new_branch.filter(pl.col("customer_id") == 3)
    assert row.select("branch_id", "officer_id", "officer_name").rows() == [(2, 12, "赵敏")]
    assert 3 in new_officer["customer_id"].to_list()
