"""Weekly KPI queries on DuckDB and PostgreSQL: a handful of inserted rows, exact weekly figures."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import polars as pl
import pytest
import sqlalchemy as sa

from data_access import schema as s
from data_access.errors import InvalidFilter
from data_access.filters import Scope
from data_access.marts.kpis import refresh_kpis
from data_access.queries import kpis as q
from data_access.selection import Period, Selection
from metrics.standards import load_standards
from tests.rows import branch_rows, officer_rows

W = date(2026, 11, 16)  # Monday
W1 = date(2026, 11, 9)
RULE = load_standards().effective_customer  # AUM >= 5,000 or a loan or >= 3 self-initiated tx
PERIOD = Period(W1, W + timedelta(days=6))
BANK = Selection()


def _customer(cid: int, branch: int, officer: int | None, opened: date) -> dict:
    return {
        "customer_id": cid,
        "branch_id": branch,
        "officer_id": officer,
        "name": f"c{cid}",
        "opened_on": opened,
    }


def _fp(
    fid: int,
    cid: int,
    branch: int,
    at: datetime,
    kind: str,
    cp: str,
    amount: float,
    self_initiated: bool = True,
) -> dict:
    return {
        "footprint_id": fid,
        "customer_id": cid,
        "branch_id": branch,
        "occurred_at": at,
        "kind": kind,
        "direction": "out" if kind in ("transfer_out", "payment") else "in",
        "channel": "mobile",
        "amount": amount,
        "counterparty_type": cp,
        "self_initiated": self_initiated,
    }


def _snap(cid: int, month: date, branch: int, aum: float, loan: float) -> dict:
    return {
        "customer_id": cid,
        "month": month,
        "branch_id": branch,
        "demand_avg": aum / 2,
        "time_avg": aum / 2,
        "wealth_avg": 0.0,
        "loan_avg": loan,
        "deposit_end": aum,
        "loan_end": loan,
    }


@pytest.fixture
def bank(empty_engine: sa.Engine) -> sa.Engine:
    """Two branches, three officers, five customers and their week of activity."""
    nov, oct_ = date(2026, 11, 1), date(2026, 10, 1)
    rows: list[tuple[sa.Table, list[dict]]] = [
        (s.branches, branch_rows((1, 2), name="支行{}", town="T")),
        (
            s.officers,
            officer_rows(((10, 1), (11, 1), (20, 2)), name="o{}", hired=date(2020, 1, 1)),
        ),
        (
            s.customers,
            [
                _customer(1, 1, 10, date(2026, 11, 10)),  # W1
                _customer(2, 1, 11, date(2026, 11, 16)),  # W, Monday
                _customer(3, 1, 10, date(2026, 11, 22)),  # W, Sunday
                _customer(4, 2, 20, date(2026, 11, 18)),  # W
                _customer(5, 2, None, date(2026, 1, 5)),  # outside the period
            ],
        ),
        (
            s.branch_weekly_balances,
            [
                {
                    "branch_id": 1,
                    "week_start": W1,
                    "deposit_balance": 1000.0,
                    "loan_balance": 500.0,
                    "wealth_balance": 200.0,
                },
                {
                    "branch_id": 1,
                    "week_start": W,
                    "deposit_balance": 1100.0,
                    "loan_balance": 550.0,
                    "wealth_balance": 300.0,
                },
                {
                    "branch_id": 2,
                    "week_start": W,
                    "deposit_balance": 700.0,
                    "loan_balance": 100.0,
                    "wealth_balance": 0.0,
                },
                {
                    "branch_id": 1,
                    "week_start": date(2026, 1, 5),
                    "deposit_balance": 1.0,
                    "loan_balance": 1.0,
                    "wealth_balance": 1.0,
                },
            ],
        ),
        (
            s.product_holdings,
            [
                {"holding_id": i, "customer_id": c, "branch_id": b, "product": p, "opened_on": d}
                for i, (c, b, p, d) in enumerate(
                    [
                        (1, 1, "mobile_banking", date(2026, 11, 11)),
                        (2, 1, "mobile_banking", date(2026, 11, 17)),
                        (4, 2, "mobile_banking", date(2026, 11, 20)),
                        (3, 1, "wealth", date(2026, 11, 17)),
                        (5, 2, "mobile_banking", date(2026, 1, 6)),
                    ]
                )
            ],
        ),
        (
            s.campaigns,
            [
                {
                    "campaign_id": 1,
                    "code": "C1",
                    "name": "活动",
                    "name_en": "Campaign",
                    "product": "wealth",
                    "start_date": date(2026, 11, 1),
                    "end_date": date(2026, 12, 31),
                    "conversion_window_days": 30,
                    "target_definition": "{}",
                }
            ],
        ),
        (
            s.marketing_events,
            [
                {
                    "event_id": i,
                    "campaign_id": 1,
                    "customer_id": c,
                    "officer_id": o,
                    "branch_id": b,
                    "stage": st,
                    "occurred_at": at,
                }
                for i, (c, o, b, st, at) in enumerate(
                    [
                        (1, 10, 1, "converted", datetime(2026, 11, 16, 9)),
                        (2, 11, 1, "converted", datetime(2026, 11, 22, 23, 59)),
                        (3, 10, 1, "contacted", datetime(2026, 11, 17, 9)),
                        (4, 20, 2, "converted", datetime(2026, 11, 13, 9)),
                        (5, None, 2, "converted", datetime(2026, 11, 18, 9)),
                    ]
                )
            ],
        ),
        (
            s.footprints,
            [
                _fp(1, 1, 1, datetime(2026, 11, 17, 10), "transfer_out", "other_bank", 100.0),
                _fp(2, 2, 1, datetime(2026, 11, 18, 10), "transfer_out", "internet_platform", 50.0),
                _fp(3, 1, 1, datetime(2026, 11, 18, 11), "transfer_out", "own_bank", 999.0),
                _fp(4, 1, 1, datetime(2026, 11, 18, 12), "transfer_in", "other_bank", 999.0),
                _fp(5, 4, 2, datetime(2026, 11, 12, 10), "transfer_out", "other_bank", 30.0),
                _fp(6, 4, 2, datetime(2026, 1, 12, 10), "transfer_out", "other_bank", 999.0),
                # customer 3: three self-initiated payments in November -> effective
                _fp(7, 3, 1, datetime(2026, 11, 3, 10), "payment", "merchant", 10.0),
                _fp(8, 3, 1, datetime(2026, 11, 5, 10), "payment", "merchant", 10.0),
                _fp(9, 3, 1, datetime(2026, 11, 20, 10), "payment", "merchant", 10.0),
                # customer 4: in November two self-initiated (5, 10) and one automatic -> not effective
                _fp(10, 4, 2, datetime(2026, 11, 3, 10), "payment", "merchant", 10.0),
                _fp(11, 4, 2, datetime(2026, 10, 28, 10), "payment", "merchant", 10.0),
                _fp(12, 4, 2, datetime(2026, 11, 5, 10), "payment", "merchant", 10.0, False),
            ],
        ),
        (
            s.balance_snapshots,
            [
                _snap(1, nov, 1, 6000.0, 0.0),  # AUM
                _snap(2, nov, 1, 0.0, 1000.0),  # loan
                _snap(3, nov, 1, 100.0, 0.0),  # transactions
                _snap(4, nov, 2, 100.0, 0.0),  # none
                _snap(1, oct_, 1, 100.0, 0.0),
                _snap(2, oct_, 1, 0.0, 1000.0),
            ],
        ),
        (
            s.officer_activities,
            [
                {
                    "activity_id": i,
                    "officer_id": o,
                    "branch_id": b,
                    "customer_id": None,
                    "kind": "visit",
                    "occurred_at": at,
                }
                for i, (o, b, at) in enumerate(
                    [
                        (10, 1, datetime(2026, 11, 16, 8)),
                        (10, 1, datetime(2026, 11, 20, 8)),
                        (11, 1, datetime(2026, 11, 10, 8)),
                    ]
                )
            ],
        ),
        (
            s.weekly_targets,
            [
                {"branch_id": 1, "week_start": W, "kpi": "deposit_balance", "target": 1000.0},
                {"branch_id": 2, "week_start": W, "kpi": "new_customers", "target": 2.0},
                {"branch_id": 1, "week_start": date(2026, 1, 5), "kpi": "aum", "target": 9.0},
            ],
        ),
    ]
    with empty_engine.begin() as conn:
        for table, values in rows:
            conn.execute(sa.insert(table), values)
    return empty_engine


def _as_dict(frame: pl.DataFrame) -> dict[tuple, float]:
    return {(r["branch_id"], r["week_start"], r["kpi"]): r["value"] for r in frame.to_dicts()}


EXPECTED_BANK = {
    (1, W1, "deposit_balance"): 1000.0,
    (1, W, "deposit_balance"): 1100.0,
    (2, W, "deposit_balance"): 700.0,
    (1, W1, "loan_balance"): 500.0,
    (1, W, "loan_balance"): 550.0,
    (2, W, "loan_balance"): 100.0,
    (1, W1, "aum"): 1200.0,
    (1, W, "aum"): 1400.0,
    (2, W, "aum"): 700.0,
    (1, W1, "new_customers"): 1.0,
    (1, W, "new_customers"): 2.0,
    (2, W, "new_customers"): 1.0,
    (1, W1, "mobile_signups"): 1.0,
    (1, W, "mobile_signups"): 1.0,
    (2, W, "mobile_signups"): 1.0,
    (1, W, "conversions"): 2.0,
    (2, W1, "conversions"): 1.0,
    (2, W, "conversions"): 1.0,
    (1, W, "outflow_other_banks"): 150.0,
    (2, W1, "outflow_other_banks"): 30.0,
    (1, W1, "effective_customers"): 3.0,
    (1, W, "effective_customers"): 3.0,
    (2, W1, "effective_customers"): 0.0,
    (2, W, "effective_customers"): 0.0,
}


def _refresh(engine: sa.Engine) -> int:
    return refresh_kpis(engine, load_standards(), date(2026, 11, 29), lambda *_: None)


@pytest.mark.parametrize("source", ["live", "mart"])
def test_weekly_kpis_whole_bank(bank: sa.Engine, source: str) -> None:
    if source == "mart":
        assert _refresh(bank) > 0
    with bank.connect() as conn:
        assert q.has_facts(conn) is (source == "mart")
        out = q.fetch_weekly_kpis(conn, PERIOD, BANK, RULE)
    assert out.columns == ["branch_id", "week_start", "kpi", "value"]
    assert _as_dict(out) == EXPECTED_BANK
    assert out.height == len(EXPECTED_BANK)  # no duplicate keys


@pytest.mark.parametrize(
    ("period", "selection", "expected"),
    [
        pytest.param(
            PERIOD,
            Selection(Scope.branch(2)),
            {k: v for k, v in EXPECTED_BANK.items() if k[0] == 2},
            id="branch-scope",
        ),
        pytest.param(
            PERIOD,
            Selection(branch_ids=(2,)),
            {k: v for k, v in EXPECTED_BANK.items() if k[0] == 2},
            id="branch-filter",
        ),
        pytest.param(
            PERIOD,
            Selection(officer_ids=(10,)),
            {
                **{
                    k: v
                    for k, v in EXPECTED_BANK.items()
                    if k[2] in ("deposit_balance", "loan_balance", "aum")
                },
                (1, W1, "new_customers"): 1.0,
                (1, W, "new_customers"): 1.0,
                (1, W1, "mobile_signups"): 1.0,
                (1, W, "conversions"): 1.0,
                (1, W, "outflow_other_banks"): 100.0,
                (1, W1, "effective_customers"): 2.0,
                (1, W, "effective_customers"): 2.0,
            },
            id="officer-filter-balances-stay-branch-level",
        ),
        pytest.param(
            PERIOD,
            Selection(Scope.officer(2, 20)),
            {
                (2, W, "new_customers"): 1.0,
                (2, W, "mobile_signups"): 1.0,
                (2, W1, "conversions"): 1.0,
                (2, W1, "outflow_other_banks"): 30.0,
                (2, W1, "effective_customers"): 0.0,
                (2, W, "effective_customers"): 0.0,
            },
            id="officer-scope-sees-no-ledger",
        ),
        pytest.param(
            Period(W, W),
            BANK,
            {
                (1, W, "deposit_balance"): 1100.0,
                (2, W, "deposit_balance"): 700.0,
                (1, W, "loan_balance"): 550.0,
                (2, W, "loan_balance"): 100.0,
                (1, W, "aum"): 1400.0,
                (2, W, "aum"): 700.0,
                (1, W, "new_customers"): 1.0,
                (1, W, "conversions"): 1.0,
                (1, W, "effective_customers"): 3.0,
                (2, W, "effective_customers"): 0.0,
            },
            id="one-day",
        ),
    ],
)
def test_weekly_kpis_scoped(
    bank: sa.Engine, period: Period, selection: Selection, expected: dict[tuple, float]
) -> None:
    with bank.connect() as conn:
        got = q.fetch_weekly_kpis(conn, period, selection, RULE, source="live")
        assert _as_dict(got) == expected
    if period.start.weekday() == 0 and period.end.weekday() == 6:  # the mart holds whole weeks
        _refresh(bank)
        with bank.connect() as conn:
            got = q.fetch_weekly_kpis(conn, period, selection, RULE, source="mart")
        assert _as_dict(got) == expected


def test_mart_rows_per_officer(bank: sa.Engine) -> None:
    _refresh(bank)
    with bank.connect() as conn:
        rows = conn.execute(sa.select(s.kpi_facts).where(s.kpi_facts.c.branch_id == 1)).all()
    got = sorted((r.officer_id, r.kpi, r.period_start, r.value) for r in rows)
    nov, oct_ = date(2026, 11, 1), date(2026, 10, 1)
    assert got == [
        (10, "conversions", W, 1.0),
        (10, "effective_customers", oct_, 0.0),
        (10, "effective_customers", nov, 2.0),
        (10, "mobile_signups", W1, 1.0),
        (10, "new_customers", W1, 1.0),
        (10, "new_customers", W, 1.0),
        (10, "outflow_other_banks", W, 100.0),
        (11, "conversions", W, 1.0),
        (11, "effective_customers", oct_, 1.0),
        (11, "effective_customers", nov, 1.0),
        (11, "mobile_signups", W, 1.0),
        (11, "new_customers", W, 1.0),
        (11, "outflow_other_banks", W, 50.0),
    ]
    # refreshing again replaces, never doubles
    assert _refresh(bank) == _refresh(bank)


def test_mart_source_is_checked() -> None:
    with pytest.raises(ValueError, match="source"):
        q.fetch_weekly_kpis(None, PERIOD, BANK, RULE, source="cache")  # type: ignore[arg-type]


def test_effective_customers_follow_the_month(bank: sa.Engine) -> None:
    period = Period(date(2026, 10, 26), date(2026, 11, 8))  # weeks of 26 Oct (October), 2 Nov
    with bank.connect() as conn:
        monthly = q.frame(conn, q.select_effective_monthly(period, BANK, RULE), q.MONTHLY_SCHEMA)
        weekly = q.fetch_effective_weekly(conn, period, BANK, RULE)
    assert sorted(monthly.rows()) == [
        (1, date(2026, 10, 1), 1.0),
        (1, date(2026, 11, 1), 3.0),
        (2, date(2026, 11, 1), 0.0),
    ]
    assert sorted(weekly.select("branch_id", "week_start", "value").rows()) == [
        (1, date(2026, 10, 26), 1.0),
        (1, date(2026, 11, 2), 3.0),
        (2, date(2026, 11, 2), 0.0),
    ]


def test_effective_rule_with_aum_only(bank: sa.Engine) -> None:
    rule = type(RULE)(RULE.info, 5000.0, False, None)
    with bank.connect() as conn:
        monthly = q.frame(conn, q.select_effective_monthly(PERIOD, BANK, rule), q.MONTHLY_SCHEMA)
    assert sorted(monthly.rows()) == [(1, date(2026, 11, 1), 1.0), (2, date(2026, 11, 1), 0.0)]


def test_targets(bank: sa.Engine) -> None:
    with bank.connect() as conn:
        out = q.fetch_targets(conn, PERIOD, BANK)
        scoped = q.fetch_targets(conn, PERIOD, Selection(Scope.branch(1)))
    assert sorted(out.rows()) == [(1, W, "deposit_balance", 1000.0), (2, W, "new_customers", 2.0)]
    assert scoped.rows() == [(1, W, "deposit_balance", 1000.0)]


def test_officer_weekly(bank: sa.Engine) -> None:
    with bank.connect() as conn:
        out = q.fetch_officer_weekly(conn, PERIOD, BANK)
        mine = q.fetch_officer_weekly(conn, PERIOD, Selection(Scope.officer(1, 10)))
    assert out.columns == ["officer_id", "branch_id", "week_start", "measure", "value"]
    assert sorted(out.rows()) == [
        (10, 1, W1, "new_customers", 1),
        (10, 1, W, "activities", 2),
        (10, 1, W, "conversions", 1),
        (10, 1, W, "new_customers", 1),
        (11, 1, W1, "activities", 1),
        (11, 1, W, "conversions", 1),
        (11, 1, W, "new_customers", 1),
        (20, 2, W1, "conversions", 1),
        (20, 2, W, "new_customers", 1),
    ]
    assert {r[0] for r in mine.rows()} == {10}


def test_weeks_of_and_truncate_unit() -> None:
    assert q.weeks_of(Period(date(2026, 11, 10), date(2026, 11, 30))) == [
        date(2026, 11, 16),
        date(2026, 11, 23),
        date(2026, 11, 30),
    ]
    with pytest.raises(ValueError, match="unit"):
        q.truncate("day", s.footprints.c.occurred_at)


def test_no_bound_unit_in_sql() -> None:
    sql = str(q.select_outflows(PERIOD, BANK).compile(compile_kwargs={}))
    assert "date_trunc('week'" in sql


def test_bad_scope_is_refused() -> None:
    with pytest.raises(InvalidFilter):
        Scope("officer", branch_id=1)


def test_falls_back_to_live_without_the_mart_table(bank: sa.Engine) -> None:
    """A bank loaded before the KPI mart existed has no kpi_facts table: the live selects answer."""
    s.kpi_facts.drop(bank)
    with bank.connect() as conn:
        assert not q.has_facts(conn)
        assert _as_dict(q.fetch_weekly_kpis(conn, PERIOD, BANK, RULE)) == EXPECTED_BANK
    assert _refresh(bank) > 0  # the refresh creates the missing table
    with bank.connect() as conn:
        assert q.has_facts(conn)
        assert _as_dict(q.fetch_weekly_kpis(conn, PERIOD, BANK, RULE)) == EXPECTED_BANK
