"""Audit of the Suggestion outcomes page's cards: answers, acceptance and the share of accepted
suggestions whose product was opened within the standard's conversion window — recomputed from
the raw answers and product holdings, for the bank, a branch and an officer, over the 30 days
ending on 31 October, the 30 days ending on 1 November and the 90 days to the data's end.

The demo bank holds no answers (officers give them in the app), so the test writes a realistic set
first — answers to suggestions of products that some customers then opened, some just outside the
window, and answers either side of midnight at the month's end — and takes them away after."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime, time, timedelta

import pytest
import sqlalchemy as sa

from dashboard.loaders.suggestions import load_feedback_outcomes
from data_access.filters import Scope
from data_access.selection import Period, Selection
from metrics.codes import FEEDBACK_REASONS
from metrics.standards import load_standards
from tests.audit.conftest import DATA_END, scope_sql
from tests.conftest import sql_rows as rows

WINDOW = load_standards().funnel.default_window_days
FIRST_ID = 900_000_000
PERIODS = (
    Period(date(2026, 10, 2), date(2026, 10, 31)),
    Period(date(2026, 10, 3), date(2026, 11, 1)),
    Period(DATA_END - timedelta(days=89), DATA_END),
)
# products opened in the autumn: the answers are given a few days to weeks before the opening
OPENINGS = """
SELECT h.customer_id, c.branch_id, c.officer_id, h.product, h.opened_on FROM product_holdings h
JOIN customers c ON c.customer_id = h.customer_id
WHERE h.opened_on >= :lo AND h.opened_on <= :hi AND c.officer_id IS NOT NULL
ORDER BY h.opened_on, h.customer_id, h.product"""
ANSWERS = """
SELECT f.customer_id, f.product, f.decision, f.decided_at FROM nbp_feedback f
WHERE f.decided_at >= :lo AND f.decided_at < :hi AND {scope}"""
HOLDINGS = "SELECT customer_id, product, opened_on FROM product_holdings"


@pytest.fixture
def answers(bank: sa.Engine) -> Iterator[int]:
    """About 240 answers written into the bank (their number); removed afterwards."""
    openings = rows(bank, OPENINGS, lo=date(2026, 9, 1), hi=DATA_END)
    picked = openings[:: max(len(openings) // 240, 1)][:240]
    values = []
    for i, (cid, branch, officer, product, opened) in enumerate(picked):
        decision = "accept" if i % 3 else "dismiss"
        lead = (0, 3, 12, WINDOW, WINDOW + 1, 25)[i % 6]  # days from answer to opening
        at = datetime.combine(opened - timedelta(days=lead), time(9 + i % 8, 15))
        if i % 17 == 0:  # either side of midnight at the end of October
            at = datetime(2026, 10, 31, 23, 50) if i % 2 else datetime(2026, 11, 1, 0, 5)
        reasons = FEEDBACK_REASONS[decision]
        values.append(
            {
                "feedback_id": FIRST_ID + i,
                "customer_id": cid,
                "branch_id": branch,
                "officer_id": officer,
                "product": product,
                "rule": None,
                "decision": decision,
                "reason": reasons[i % len(reasons)],
                "decided_at": at,
            }
        )
    insert = sa.text(
        "INSERT INTO nbp_feedback (feedback_id, customer_id, branch_id, officer_id, product, rule, "
        "decision, reason, decided_at) VALUES (:feedback_id, :customer_id, :branch_id, "
        ":officer_id, :product, :rule, :decision, :reason, :decided_at)"
    )
    with bank.begin() as conn:
        conn.execute(insert, values)
    try:
        yield len(values)
    finally:
        with bank.begin() as conn:
            conn.execute(
                sa.text("DELETE FROM nbp_feedback WHERE feedback_id >= :f"), {"f": FIRST_ID}
            )


def test_suggestion_outcome_cards(
    bank: sa.Engine, largest_branch: int, busiest_officer: Scope, answers: int
) -> None:
    opened: dict[tuple[int, str], list[date]] = {}
    for cid, product, day in rows(bank, HOLDINGS):
        opened.setdefault((cid, product), []).append(day)
    seen_any = False
    for period in PERIODS:
        for scope in (Scope.bank(), Scope.branch(largest_branch), busiest_officer):
            where = f"{scope.level} {period.start}..{period.end}"
            given = rows(
                bank,
                ANSWERS.format(scope=scope_sql(scope, "f")),
                lo=datetime.combine(period.start, time.min),
                hi=datetime.combine(period.end + timedelta(days=1), time.min),
            )
            accepted = [g for g in given if g[2] == "accept"]
            # converted: the product opened from the day of the answer to the window's end
            converted = [
                (cid, product)
                for cid, product, _, at in accepted
                if any(
                    at.date() <= day and datetime.combine(day, time.min) <= at + timedelta(WINDOW)
                    for day in opened.get((cid, product), [])
                )
            ]
            # the page's way (dashboard/pages/suggestions.py)
            outcomes = load_feedback_outcomes(period, Selection(scope), WINDOW)
            got_accepted = outcomes.filter(outcomes["decision"] == "accept")
            assert outcomes.height == len(given), where
            assert got_accepted.height == len(accepted), where
            got_converted = got_accepted.filter(got_accepted["opened_on"].is_not_null()).height
            assert got_converted == len(converted), f"{where}: converted"
            seen_any = seen_any or bool(converted and len(converted) < len(accepted))
    assert seen_any, "no period had both converted and unconverted answers: nothing was tested"
    assert answers > 100
