"""Audit of what two pages both show: an officer's book size (customer page and officer page),
against plain SQL — the officer page's at each audit date, the customer page's (which has no date)
at the data's end."""

from __future__ import annotations

from datetime import date

import sqlalchemy as sa

import dashboard.loaders.customer as customer_loaders
from dashboard.loaders.officers import load_staleness
from data_access.filters import Scope
from data_access.selection import Period, Selection
from tests.audit.conftest import AS_OF_DATES, DATA_END
from tests.conftest import sql_one as one
from tests.conftest import sql_rows as rows

OPEN_BOOK = """
SELECT count(*) FROM customers c
WHERE c.officer_id = :o AND c.opened_on <= :d AND (c.closed_on IS NULL OR c.closed_on > :d)"""


def test_one_book_one_size(bank: sa.Engine, busiest_officer: Scope, monkeypatch) -> None:
    monkeypatch.setattr(customer_loaders, "get_engine", lambda: bank)
    oid, branch = busiest_officer.officer_id, busiest_officer.branch_id
    expected = one(bank, OPEN_BOOK, o=oid, d=DATA_END)
    counts = customer_loaders.load_signal_counts(Selection(Scope.bank(), (branch,), (oid,)), ())
    on_customer_page = counts.filter(counts["code"] == "")["customers"][0]
    stale = load_staleness(Period(DATA_END, DATA_END), Selection(), date(2024, 11, 22))
    on_officer_page = stale.filter(stale["officer_id"] == oid)["customers"].sum()
    assert on_customer_page == on_officer_page == expected


def test_books_on_the_officer_page_at_each_date(
    bank: sa.Engine, largest_branch: int, busiest_officer: Scope
) -> None:
    """Every officer's book (customers open on the day) in the officer page's quality tab."""
    for day in AS_OF_DATES:
        for scope in (Scope.bank(), Scope.branch(largest_branch), busiest_officer):
            stale = load_staleness(Period(day, day), Selection(scope), date(2024, 11, 22))
            got: dict[int | None, int] = {}  # customers without an officer: one row a branch
            for oid, n in zip(stale["officer_id"], stale["customers"], strict=True):
                got[oid] = got.get(oid, 0) + n
            where = "" if scope.level == "bank" else f"AND c.branch_id = {scope.branch_id}"
            if scope.level == "officer":
                where += f" AND c.officer_id = {scope.officer_id}"
            expected = {
                r[0]: r[1]
                for r in rows(
                    bank,
                    "SELECT c.officer_id, count(*) FROM customers c WHERE c.opened_on <= :d "
                    f"AND (c.closed_on IS NULL OR c.closed_on > :d) {where} GROUP BY c.officer_id",
                    d=day,
                )
            }
            assert got == expected, f"{scope.level} {day}"
