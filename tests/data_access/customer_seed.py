"""A tiny literal bank for the customer and signal query tests: 2 branches, 3 officers, 4 customers.

Customer 1 (branch 1, officer 11): fuel receipt 98# 60 L, POS, remittances, consented Huabei limit.
Customer 2 (branch 1, officer 12): pension, 70% of money out to another bank.
Customer 3 (branch 2, officer 21): a wedding (family event) last month; a refused-consent limit.
Customer 4 (branch 2, officer 21): nothing at all.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime

import pytest
import sqlalchemy as sa

from data_access import schema
from tests.rows import insert_staff

AS_OF = date(2026, 11, 22)


def _fp(
    fid: int,
    cid: int,
    bid: int,
    at: datetime,
    kind: str,
    direction: str,
    amount: float,
    cp: str = "none",
    channel: str = "mobile",
    place: str | None = None,
) -> dict[str, object]:
    return {
        "footprint_id": fid,
        "customer_id": cid,
        "branch_id": bid,
        "occurred_at": at,
        "kind": kind,
        "direction": direction,
        "channel": channel,
        "amount": amount,
        "place": place,
        "merchant_category": None,
        "counterparty_type": cp,
        "self_initiated": True,
    }


def _soft(cid: int, bid: int, at: datetime, kind: str, **extra: object) -> dict[str, object]:
    row: dict[str, object] = {
        "customer_id": cid,
        "officer_id": None,
        "branch_id": bid,
        "captured_at": at,
        "kind": kind,
        "source": "counter",
        "fuel_grade": None,
        "litres": None,
        "amount": None,
        "place": None,
        "detail": None,
        "confidence": 0.9,
    }
    row.update(extra)
    return row


def _customer(cid: int, bid: int, oid: int, name: str, phone: str, **extra: object) -> dict:
    row = {
        "customer_id": cid,
        "branch_id": bid,
        "officer_id": oid,
        "name": name,
        "gender": "M",
        "birth_year": 1970,
        "occupation": "farmer",
        "town": "城关镇",
        "village": None,
        "opened_on": date(2010, 5, 1),
        "declared_income": 60000.0,
        "education": None,
        "marital_status": "married",
        "household_size": None,
        "phone": phone,
        "id_number": "430723197001011234",
        "profile_updated_on": date(2025, 1, 1),
        "closed_on": None,
    }
    row.update(extra)
    return row


def seed(engine: sa.Engine) -> None:
    """Insert the tiny bank."""
    d = datetime
    with engine.begin() as conn:
        insert_staff(conn, (1, 2), ((o, o // 10) for o in (11, 12, 21)), code="B0{}")
        conn.execute(
            schema.customers.insert(),
            [
                _customer(1, 1, 11, "张三", "13812341234"),
                _customer(2, 1, 12, "李四丰", "13900005678", occupation="retiree"),
                _customer(3, 2, 21, "王五", "13700001234"),
                _customer(4, 2, 21, "张六", None, occupation=None, town=None, birth_year=None),
            ],
        )
        conn.execute(
            schema.product_holdings.insert(),
            [
                {
                    "holding_id": 1,
                    "customer_id": 1,
                    "branch_id": 1,
                    "product": "pos_merchant",
                    "opened_on": date(2020, 1, 1),
                    "closed_on": None,
                    "balance": None,
                    "credit_limit": None,
                },
                {
                    "holding_id": 2,
                    "customer_id": 1,
                    "branch_id": 1,
                    "product": "demand_deposit",
                    "opened_on": date(2010, 5, 1),
                    "closed_on": None,
                    "balance": 80000.0,
                    "credit_limit": None,
                },
                # closed before as_of: not held
                {
                    "holding_id": 3,
                    "customer_id": 2,
                    "branch_id": 1,
                    "product": "loan_business",
                    "opened_on": date(2019, 1, 1),
                    "closed_on": date(2024, 1, 1),
                    "balance": 0.0,
                    "credit_limit": None,
                },
            ],
        )
        conn.execute(
            schema.footprints.insert(),
            [
                _fp(1, 1, 1, d(2026, 1, 20, 10), "remittance_in", "in", 5000.0, "individual"),
                _fp(2, 1, 1, d(2026, 10, 1, 9), "remittance_in", "in", 3000.0, "individual"),
                _fp(3, 1, 1, d(2025, 6, 1, 9), "remittance_in", "in", 9999.0, "individual"),  # >12m
                _fp(
                    4, 1, 1, d(2026, 11, 3, 9), "payment", "out", 200.0, "merchant", "pos", "青石镇"
                ),
                _fp(5, 2, 1, d(2026, 10, 15, 8), "pension", "in", 2100.0, "government", "counter"),
                _fp(6, 2, 1, d(2026, 11, 10, 8), "transfer_out", "out", 7000.0, "other_bank"),
                _fp(7, 2, 1, d(2026, 11, 11, 8), "withdrawal", "out", 3000.0, "none", "atm"),
                _fp(8, 2, 1, d(2026, 7, 1, 8), "pension", "in", 2100.0, "government", "counter"),
                _fp(9, 2, 1, d(2026, 11, 23, 8), "transfer_out", "out", 99999.0, "other_bank"),
                _fp(10, 3, 2, d(2026, 11, 2, 8), "deposit", "in", 1000.0, "none", "counter"),
            ],
        )
        conn.execute(
            schema.soft_footprints.insert(),
            [
                _soft(
                    1,
                    1,
                    d(2026, 3, 1, 10),
                    "fuel_receipt",
                    fuel_grade=98,
                    litres=60.0,
                    amount=520.0,
                ),
                _soft(3, 2, d(2026, 10, 20, 10), "family_event", detail="儿子结婚"),
                _soft(3, 2, d(2024, 10, 20, 10), "family_event", detail="old"),
            ],
        )
        conn.execute(
            schema.external_credit_limits.insert(),
            [
                {
                    "limit_id": 1,
                    "customer_id": 1,
                    "branch_id": 1,
                    "platform": "huabei",
                    "credit_limit": 30000.0,
                    "as_of": date(2026, 9, 1),
                    "consent": True,
                },
                {
                    "limit_id": 2,
                    "customer_id": 3,
                    "branch_id": 2,
                    "platform": "jiebei",
                    "credit_limit": 50000.0,
                    "as_of": date(2026, 9, 1),
                    "consent": False,
                },
            ],
        )
        conn.execute(
            schema.balance_snapshots.insert(),
            [
                {
                    "customer_id": 1,
                    "month": date(2026, m, 1),
                    "branch_id": 1,
                    "demand_avg": 70000.0 + m,
                    "time_avg": 0.0,
                    "wealth_avg": 0.0,
                    "loan_avg": 0.0,
                    "deposit_end": 70000.0 + m,
                    "loan_end": 0.0,
                }
                for m in (9, 10)
            ],
        )
        conn.execute(
            schema.loan_applications.insert(),
            [
                {
                    "application_id": 1,
                    "customer_id": 1,
                    "officer_id": 11,
                    "branch_id": 1,
                    "applied_on": date(2026, 4, 1),
                    "product": "loan_business",
                    "amount": 200000.0,
                    "declared_income": 120000.0,
                    "declared_business": "小卖部",
                    "declared_place": "城关镇",
                    "status": "approved",
                    "decided_on": date(2026, 4, 10),
                },
            ],
        )


def seeded_banks(backend: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[sa.Engine]:
    """The tiny bank on one backend, for a module of read-only tests (built once, not per test)."""
    from data_access.engine import create_schema
    from tests.conftest import engine_on

    with engine_on(backend, tmp_path_factory.mktemp("bank") / "bank.duckdb") as engine:
        create_schema(engine)
        seed(engine)
        yield engine
