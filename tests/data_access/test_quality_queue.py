"""The information-quality queue on DuckDB and PostgreSQL: gaps most valuable first, and a
correction validated field by field, written with its audit entry or not at all."""

from __future__ import annotations

from datetime import date, datetime

import pytest
import sqlalchemy as sa

from data_access.filters import Scope
from data_access.queries.quality_queue import (
    InvalidProfileFix,
    fetch_fix_counts,
    fetch_queue,
    fix_problems,
    fix_profile,
)
from data_access.schema import audit_log, customer_value, customers
from data_access.selection import Period, Selection
from tests.data_access.customer_seed import seed

FIELDS = ("occupation", "town", "birth_year", "phone", "household_size")
PERIOD = Period(date(2026, 11, 1), date(2026, 11, 22))
NOW = datetime(2026, 11, 20, 10, 0)


def _value(engine: sa.Engine) -> None:
    """Customer 4 is worth most, then 2; 1 and 3 are not in the value mart."""
    rows = [(4, 2, 21, 900_000.0), (2, 1, 12, 60_000.0)]
    with engine.begin() as conn:
        conn.execute(customer_value.insert(), [
            {"customer_id": c, "branch_id": b, "officer_id": o, "as_of": date(2026, 11, 22),
             "aum": aum, "tier": "vip", "effective": True, "recency_days": 1,
             "frequency_count": 1, "monetary_amount": 1.0, "r_score": 3, "f_score": 3,
             "m_score": 3, "rfm_segment": "loyal", "p_alive": None}
            for c, b, o, aum in rows
        ])  # fmt: skip


def test_queue_most_valuable_first(empty_engine: sa.Engine) -> None:
    seed(empty_engine)
    _value(empty_engine)
    with empty_engine.connect() as conn:
        q = fetch_queue(conn, PERIOD, Selection(), FIELDS)
        branch1 = fetch_queue(conn, PERIOD, Selection(Scope.branch(1)), FIELDS)
    # every seeded customer lacks household_size; 4 also occupation, town, birth_year and phone
    assert q["customer_id"].to_list()[:2] == [4, 2]
    four = q.row(0, named=True)
    assert four["missing"] == 5 and four["missing__phone"] == 1
    assert q.filter(q["customer_id"] == 1)["missing"].to_list() == [1]
    assert set(branch1["customer_id"]) == {1, 2}


@pytest.mark.parametrize(
    ("changes", "fields"),
    [
        pytest.param({"occupation": "farmer", "household_size": 4}, [], id="valid"),
        pytest.param({}, ["entry"], id="nothing"),
        pytest.param({"occupation": "astronaut"}, ["occupation"], id="occupation"),
        pytest.param({"name": "x"}, ["name"], id="not-fixable"),
        pytest.param({"town": "x" * 65}, ["town"], id="long-town"),
        pytest.param({"village": "a\x07b"}, ["village"], id="control"),
        pytest.param({"declared_income": -5.0}, ["declared_income"], id="income"),
        pytest.param({"declared_income": float("inf")}, ["declared_income"], id="income-inf"),
        pytest.param({"household_size": 0, "birth_year": 2020}, ["household_size", "birth_year"], id="ranges"),
        pytest.param({"phone": "12345"}, ["phone"], id="phone"),
        pytest.param({"gender": ""}, ["gender"], id="blank"),
    ],
)  # fmt: skip
def test_problems_per_field(changes: dict, fields: list[str]) -> None:
    assert [p.field for p in fix_problems(changes, NOW.date())] == fields


def test_fix_writes_the_row_and_the_audit(empty_engine: sa.Engine) -> None:
    seed(empty_engine)
    fix_profile(
        empty_engine, Scope.bank(), 4, {"occupation": "merchant", "phone": "13712345678"}, "li", NOW
    )
    with empty_engine.connect() as conn:
        row = (
            conn.execute(sa.select(customers).where(customers.c.customer_id == 4)).mappings().one()
        )
        audit = conn.execute(sa.select(audit_log)).mappings().one()
        counts = fetch_fix_counts(conn, PERIOD, Selection())
    assert (row["occupation"], row["phone"], row["profile_updated_on"]) == (
        "merchant", "13712345678", NOW.date()
    )  # fmt: skip
    assert audit["action"] == "profile_fix" and audit["target"] == "customer 4"
    assert "phone: — → 137****5678" in audit["detail"]  # the number is masked in the log
    assert counts.to_dicts() == [{"officer_id": 21, "fixes": 1}]


@pytest.mark.parametrize(
    ("scope", "changes"),
    [
        pytest.param(Scope.branch(1), {"occupation": "farmer"}, id="other-branch"),
        pytest.param(Scope.bank(), {"occupation": "farmer", "phone": "1"}, id="one-bad-field"),
    ],
)
def test_refused_fix_writes_nothing(empty_engine: sa.Engine, scope: Scope, changes: dict) -> None:
    seed(empty_engine)
    with pytest.raises(InvalidProfileFix):
        fix_profile(empty_engine, scope, 4, changes, "li", NOW)
    with empty_engine.connect() as conn:
        occupation = conn.execute(
            sa.select(customers.c.occupation).where(customers.c.customer_id == 4)
        ).scalar_one()
        n_audit = conn.execute(sa.select(sa.func.count()).select_from(audit_log)).scalar_one()
    assert occupation is None and n_audit == 0
