"""Answers to suggestions on DuckDB and PostgreSQL: validated field by field, written with an audit
entry or not at all, read back with their outcome within the window."""

from __future__ import annotations

import dataclasses
from datetime import date, datetime

import pytest
import sqlalchemy as sa

from data_access.filters import Scope
from data_access.queries.feedback import (
    FeedbackEntry,
    InvalidFeedback,
    feedback_problems,
    fetch_customer_feedback,
    fetch_feedback_outcomes,
    insert_feedback,
)
from data_access.schema import audit_log, nbp_feedback, product_holdings
from data_access.selection import Period, Selection
from tests.data_access.customer_seed import seed

TODAY = date(2026, 11, 22)
ENTRY = FeedbackEntry(
    customer_id=1,
    officer_id=11,
    product="credit_card",
    rule="car_credit_card",
    score=0.41,
    decision="accept",
    reason="will_call",
    note="下周回访",
    decided_at=datetime(2026, 10, 1, 9, 30),
)


@pytest.mark.parametrize(
    ("change", "fields"),
    [
        pytest.param({}, [], id="valid"),
        pytest.param({"decision": "maybe"}, ["decision"], id="decision"),
        pytest.param({"reason": "not_interested"}, ["reason"], id="reason-of-the-other-decision"),
        pytest.param({"product": "yacht"}, ["product"], id="product"),
        pytest.param({"product": "retention_call", "rule": None}, [], id="an-action"),
        pytest.param({"rule": "drop table"}, ["rule"], id="rule"),
        pytest.param({"score": float("nan")}, ["score"], id="score"),
        pytest.param({"note": "x" * 501}, ["note"], id="long-note"),
        pytest.param({"note": "a\x00b"}, ["note"], id="control-chars"),
        pytest.param({"decided_at": datetime(2026, 11, 23, 8)}, ["decided_at"], id="future"),
        pytest.param({"customer_id": 0, "officer_id": -3}, ["customer_id", "officer_id"], id="ids"),
    ],
)
def test_problems_per_field(change: dict, fields: list[str]) -> None:
    problems = feedback_problems(dataclasses.replace(ENTRY, **change), TODAY)
    assert [p.field for p in problems] == fields


def _count(engine: sa.Engine, table: sa.Table) -> int:
    with engine.connect() as conn:
        return conn.execute(sa.select(sa.func.count()).select_from(table)).scalar_one()


def test_insert_writes_the_answer_and_its_audit_entry(empty_engine: sa.Engine) -> None:
    seed(empty_engine)
    fid = insert_feedback(empty_engine, Scope.bank(), ENTRY, "demo", TODAY)
    with empty_engine.connect() as conn:
        row = conn.execute(sa.select(nbp_feedback)).mappings().one()
        audit = conn.execute(sa.select(audit_log)).mappings().one()
        mine = fetch_customer_feedback(conn, Scope.bank(), 1)
    assert row["feedback_id"] == fid and row["branch_id"] == 1
    assert (row["decision"], row["reason"], row["note"]) == ("accept", "will_call", "下周回访")
    assert audit["action"] == "nbp_feedback" and "credit_card" in audit["target"]
    assert mine["product"].to_list() == ["credit_card"]


@pytest.mark.parametrize(
    ("scope", "change"),
    [
        pytest.param(Scope.branch(2), {}, id="other-branch"),
        pytest.param(Scope.bank(), {"reason": "nope"}, id="invalid"),
    ],
)
def test_refused_answers_write_nothing(empty_engine: sa.Engine, scope: Scope, change: dict) -> None:
    seed(empty_engine)
    with pytest.raises(InvalidFeedback):
        insert_feedback(empty_engine, scope, dataclasses.replace(ENTRY, **change), "demo", TODAY)
    assert _count(empty_engine, nbp_feedback) == 0
    assert _count(empty_engine, audit_log) == 0


def test_outcome_within_the_window(empty_engine: sa.Engine) -> None:
    seed(empty_engine)
    answers = [
        ENTRY,  # customer 1 opens the card 20 days later: converted
        dataclasses.replace(ENTRY, product="wealth", rule="car_wealth"),  # opened 45 days later
        dataclasses.replace(ENTRY, customer_id=2, officer_id=12, product="insurance", rule=None,
                            decision="dismiss", reason="not_interested"),  # opened anyway
    ]  # fmt: skip
    for a in answers:
        insert_feedback(empty_engine, Scope.bank(), a, "demo", TODAY)
    with empty_engine.begin() as conn:
        conn.execute(product_holdings.insert(), [
            {"holding_id": 50 + i, "customer_id": c, "branch_id": 1, "product": p,
             "opened_on": d, "closed_on": None, "balance": None, "credit_limit": None}
            for i, (c, p, d) in enumerate([(1, "credit_card", date(2026, 10, 21)),
                                           (1, "wealth", date(2026, 11, 15)),
                                           (2, "insurance", date(2026, 10, 1))])
        ])  # fmt: skip
    with empty_engine.connect() as conn:
        out = fetch_feedback_outcomes(conn, Period(date(2026, 9, 1), TODAY), Selection(), 30)
        branch2 = fetch_feedback_outcomes(
            conn, Period(date(2026, 9, 1), TODAY), Selection(Scope.branch(2)), 30
        )
        later = fetch_feedback_outcomes(conn, Period(date(2026, 10, 2), TODAY), Selection(), 30)
    opened = dict(zip(out["product"], out["opened_on"], strict=True))
    assert opened == {
        "credit_card": date(2026, 10, 21),
        "wealth": None,
        "insurance": date(2026, 10, 1),
    }
    assert out["officer_name"].to_list() == ["经理11", "经理11", "经理12"]
    assert branch2.is_empty() and later.is_empty()
