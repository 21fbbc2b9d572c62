"""Audit of what two pages both show: an officer's book size (customer page and officer page),
against plain SQL."""

from __future__ import annotations

from datetime import date

import sqlalchemy as sa

import dashboard.loaders.customer as customer_loaders
from dashboard.loaders.officers import load_staleness
from data_access.filters import Filters, Scope
from data_access.selection import Selection
from tests.audit.conftest import DATA_END, one

OPEN_BOOK = """
SELECT count(*) FROM customers c
WHERE c.officer_id = :o AND c.opened_on <= :d AND (c.closed_on IS NULL OR c.closed_on > :d)"""


def test_one_book_one_size(bank: sa.Engine, busiest_officer: Scope, monkeypatch) -> None:
    monkeypatch.setattr(customer_loaders, "get_engine", lambda: bank)
    oid, branch = busiest_officer.officer_id, busiest_officer.branch_id
    expected = one(bank, OPEN_BOOK, o=oid, d=DATA_END)
    counts = customer_loaders.load_signal_counts(Selection(Scope.bank(), (branch,), (oid,)), ())
    on_customer_page = counts.filter(counts["code"] == "")["customers"][0]
    stale = load_staleness(Scope.bank(), Filters(DATA_END, DATA_END), date(2024, 11, 22))
    on_officer_page = stale.filter(stale["officer_id"] == oid)["customers"].sum()
    assert on_customer_page == on_officer_page == expected
