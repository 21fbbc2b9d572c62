"""The credit desk's evidence in SQL on DuckDB and PostgreSQL, against literal rows."""

from __future__ import annotations

from datetime import date, datetime

import sqlalchemy as sa

from data_access.filters import Scope
from data_access.queries.credit import fetch_credit_extras
from data_access.schema import (
    external_credit_limits,
    footprints,
    loan_applications,
    product_holdings,
    soft_footprints,
)
from data_access.selection import Period, Selection
from tests.data_access.customer_seed import seed

PERIOD = Period(date(2026, 1, 1), date(2026, 11, 22))


def _fp(
    fid: int, at: datetime, kind: str, direction: str, channel: str, cp: str, mc: str | None = None
) -> dict:
    return {"footprint_id": fid, "customer_id": 2, "branch_id": 1, "occurred_at": at, "kind": kind,
            "direction": direction, "channel": channel, "amount": 100.0, "place": "城关镇",
            "merchant_category": mc, "counterparty_type": cp, "self_initiated": True}  # fmt: skip


def _more(engine: sa.Engine) -> None:
    """Customer 2 applies for a business loan on 2026-11-01, with evidence of every kind."""
    with engine.begin() as conn:
        conn.execute(loan_applications.insert(), [
            {"application_id": 2, "customer_id": 2, "officer_id": 12, "branch_id": 1,
             "applied_on": date(2026, 11, 1), "product": "loan_business", "amount": 50000.0,
             "declared_income": 40000.0, "declared_business": "小超市", "declared_place": "广州",
             "status": "submitted", "decided_on": None}])  # fmt: skip
        conn.execute(footprints.insert(), [
            _fp(101, datetime(2026, 6, 1, 9), "transfer_in", "in", "pos", "merchant"),
            _fp(102, datetime(2025, 12, 1, 9), "subsidy", "in", "counter", "government"),
            _fp(103, datetime(2026, 2, 1, 9), "loan_repayment", "out", "internet", "own_bank"),
            _fp(104, datetime(2025, 10, 1, 9), "transfer_in", "in", "pos", "merchant"),  # > a year
            _fp(105, datetime(2026, 11, 2, 9), "transfer_in", "in", "pos", "merchant"),  # after
            _fp(106, datetime(2026, 3, 1, 9), "payment", "out", "pos", "merchant", "agri_supplies"),
        ])  # fmt: skip
        conn.execute(product_holdings.insert(), [
            {"holding_id": 10, "customer_id": 2, "branch_id": 1, "product": "loan_consumer",
             "opened_on": date(2026, 1, 1), "closed_on": None, "balance": 1.0, "credit_limit": None},
            {"holding_id": 11, "customer_id": 2, "branch_id": 1, "product": "loan_agri",
             "opened_on": date(2026, 10, 15), "closed_on": None, "balance": 1.0, "credit_limit": None},
        ])  # fmt: skip
        soft = {"customer_id": 2, "officer_id": 12, "branch_id": 1, "source": "visit",
                "fuel_grade": None, "litres": None, "amount": None, "place": None, "detail": "超市",
                "confidence": 0.8}  # fmt: skip
        conn.execute(soft_footprints.insert(), [
            soft | {"kind": "business_circle", "captured_at": datetime(2026, 5, 1, 9)},
            soft | {"kind": "business_circle", "captured_at": datetime(2026, 11, 5, 9)},  # after
        ])  # fmt: skip
        conn.execute(external_credit_limits.insert(), [
            {"limit_id": 10 + i, "customer_id": 2, "branch_id": 1, "platform": p,
             "credit_limit": lim, "as_of": day, "consent": ok}
            for i, (p, lim, day, ok) in enumerate([
                ("huabei", 20000.0, date(2026, 10, 1), True),
                ("huabei", 25000.0, date(2026, 10, 20), True),
                ("jiebei", 10000.0, date(2026, 12, 1), True),  # shown after the application
                ("weilidai", 9999.0, date(2026, 10, 1), False),  # no consent
            ])
        ])  # fmt: skip


def test_extras_per_application(empty_engine: sa.Engine) -> None:
    seed(empty_engine)
    _more(empty_engine)
    with empty_engine.connect() as conn:
        df = fetch_credit_extras(conn, PERIOD, Selection(), 365)
    rows = {r["application_id"]: r for r in df.iter_rows(named=True)}
    assert set(rows) == {1, 2}
    two = rows[2]
    assert (two["status"], two["declared_business"]) == ("submitted", "小超市")
    assert (two["pos_inflows"], two["merchant_inflows"]) == (1, 1)  # 2026-06-01 only
    assert two["farm_footprints"] == 2  # subsidy and farm supplies
    assert two["repayments_seen"] == 1
    assert (two["holds_pos"], two["loans_due"]) == (0, 1)  # the agri loan is too young
    assert two["instalments_due"] == 1  # the consumer loan is repaid monthly
    assert two["last_repayment_at"] == datetime(2026, 2, 1, 9)
    assert two["business_circles"] == 1
    assert (two["platform_limit"], two["platforms"]) == (25000.0, 1)
    one = rows[1]
    assert (one["holds_pos"], one["pos_inflows"], one["platform_limit"]) == (1, 0, 0.0)
    # a shorter look-back misses the February repayment
    with empty_engine.connect() as conn:
        short = fetch_credit_extras(conn, PERIOD, Selection(), 90)
    assert short.filter(short["application_id"] == 2)["repayments_seen"].to_list() == [0]


def test_scope_and_period(empty_engine: sa.Engine) -> None:
    seed(empty_engine)
    _more(empty_engine)
    with empty_engine.connect() as conn:
        branch2 = fetch_credit_extras(conn, PERIOD, Selection(Scope.branch(2)), 365)
        november = fetch_credit_extras(
            conn, Period(date(2026, 11, 1), date(2026, 11, 22)), Selection(), 365
        )
    assert branch2.is_empty()
    assert november["application_id"].to_list() == [2]
