"""Every ``fetch_*`` of data_access.queries, given a branch scope, returns nothing of another branch.

The functions are found by name, so a new fetch is covered the day it is written; one without a
``scope`` parameter must be listed in ``UNSCOPED`` with the reason it may see the whole bank.
Rows are traced to a branch by their branch_id, else their customer's, else their officer's, else
their campaign's; a customer-level fetch is asked about a customer of another branch and must
return nothing. Run on the session's demo bank (DuckDB), marts refreshed.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from dataclasses import replace
from datetime import date, timedelta

import polars as pl
import pytest
import sqlalchemy as sa

from data_access.filters import Scope
from data_access.queries import loyalty, officers, quality
from data_access.queries.signals import SignalQuery
from data_access.queries.value import SegmentDefinition
from data_access.schema import customers, marketing_events
from data_access.schema import officers as officers_table
from data_access.selection import Period, Selection
from metrics.footprint_rules import load_rules
from metrics.standards import load_standards
from tests.conftest import DEMO_END_DATE
from tests.data_access.fetches import all_fetches

BRANCH = 2
# Fetches that take no scope (nor a selection, which carries one), and why they may: bank-level facts with no customer in them.
UNSCOPED = {
    "org.fetch_meta": "bank_meta: data dates and load stamps",
    "org.fetch_data_as_of": "one date",
    "loyalty.fetch_latest_tier_months": "two month dates",
    "loyalty.fetch_mart_as_of": "one date",
    "nbp.fetch_peer_counts": "bank-wide counts per peer group, no customer (the bench and shares)",
    "officers.fetch_trainings": "the training calendar",
    "value.fetch_saved_segments": "the asking user's own saved definitions (owner)",
}


FETCHES = all_fetches()


def test_every_fetch_without_a_scope_is_listed_with_its_reason() -> None:
    unscoped = {k for k, fn in FETCHES.items() if not _scoped(fn)}
    assert unscoped == set(UNSCOPED)


@pytest.fixture(scope="module")
def bank(demo_engine: sa.Engine) -> dict:
    """Lookups from the demo bank: each customer's, officer's and campaign's branches."""
    with demo_engine.connect() as conn:
        cust = dict(conn.execute(sa.select(customers.c.customer_id, customers.c.branch_id)).all())
        offi = dict(
            conn.execute(sa.select(officers_table.c.officer_id, officers_table.c.branch_id)).all()
        )
        other = conn.execute(
            sa.select(sa.func.min(customers.c.customer_id)).where(customers.c.branch_id != BRANCH)
        ).scalar_one()
        campaigns = (
            conn.execute(sa.select(marketing_events.c.campaign_id).distinct()).scalars().all()
        )
    return {"customer": cust, "officer": offi, "other_customer": other, "campaigns": campaigns}


def _scoped(fn: Callable) -> bool:
    """Whether ``fn`` takes a scope, alone or inside a Selection or a SignalQuery."""
    return bool({"scope", "selection", "query"} & set(inspect.signature(fn).parameters))


def _with_scope(args: dict, scope: Scope) -> dict:
    """``args`` with ``scope`` in place of theirs, alone or inside the Selection or query."""
    if "query" in args:
        query = args["query"]
        return args | {"query": replace(query, selection=replace(query.selection, scope=scope))}
    if "selection" in args:
        return args | {"selection": replace(args["selection"], scope=scope)}
    return args | {"scope": scope}


def _arguments(name: str, fn: Callable, conn: sa.Connection, bank: dict) -> dict:
    end = DEMO_END_DATE
    standards = load_standards()
    values = {
        "conn": conn,
        "scope": Scope.branch(BRANCH),
        "selection": Selection(Scope.branch(BRANCH)),
        "period": Period(end - timedelta(days=400), end),
        "as_of": end,
        "since": end - timedelta(days=400),
        "customer_id": bank["other_customer"],
        "customer_ids": tuple(bank["customer"]),
        "query": SignalQuery(Selection(Scope.branch(BRANCH)), end, tuple(bank["customer"])),
        "start": end - timedelta(days=400),
        "end": end,
        "until": end,
        "first_month": date(2025, 1, 1),
        "last_month": date(2026, 10, 1),
        "month": date(2026, 10, 1),
        "months": (date(2026, 9, 1), date(2026, 10, 1)),
        "observation_end": end,
        "lookback_days": 365,
        "campaign_ids": tuple(bank["campaigns"]),
        "step": 1,
        "window_days": 30,
        "limit": 100_000,
        "codes": tuple(s.code for s in load_rules().signals),
        "fields": ("occupation", "phone"),
        "cutoff": end - timedelta(days=365),
        "min_ratio": 0.0,
        "rule": standards.effective_customer,
        "through_day": 15,
        "standards": standards,
        "defn": SegmentDefinition(),
        "open_on": end,
        "branch_ids": (),
        "time_unit": "D",
        "bin_width": 10,
    }
    schemas = {  # the activity-mart readers take their caller's frame schema
        "activity.fetch_weekly_activity": loyalty.WEEKLY_COUNT_SCHEMA,
        "activity.fetch_cohort_activity": loyalty.COHORT_ACTIVITY_SCHEMA,
        "activity.fetch_activity_weekly": officers.ACTIVITY_SCHEMA,
        "activity.fetch_profile_income_evidence": quality.PROFILE_EVIDENCE_SCHEMA,
        "activity.fetch_application_evidence": quality.APPLICATION_EVIDENCE_SCHEMA,
        "activity.fetch_applicant_places": quality.PLACES_SCHEMA,
    }
    if name in schemas:
        values["schema"] = schemas[name]
    params = inspect.signature(fn).parameters
    missing = [
        p for p, v in params.items() if v.default is inspect.Parameter.empty and p not in values
    ]
    assert not missing, f"{name}: teach this test a value for {missing}"
    return {p: values[p] for p in params if p in values}


def _frames(result: object) -> list[pl.DataFrame]:
    if result is None:
        return []
    if isinstance(result, pl.DataFrame):
        return [result]
    if isinstance(result, dict):
        if any(isinstance(v, pl.DataFrame | dict | None) for v in result.values()):
            return [f for v in result.values() for f in _frames(v)]
        return [pl.DataFrame([result])]  # one row as a mapping
    if isinstance(result, tuple | list):
        return [f for v in result for f in _frames(v)]
    pytest.fail(f"unexpected result type {type(result)}")


def _branches_of(frame: pl.DataFrame, bank: dict) -> set[int]:
    if "branch_id" in frame.columns:
        return set(frame["branch_id"].drop_nulls().to_list())
    if "customer_id" in frame.columns:
        return {bank["customer"][c] for c in frame["customer_id"].drop_nulls().to_list()}
    if "officer_id" in frame.columns:
        return {bank["officer"][o] for o in frame["officer_id"].drop_nulls().to_list()}
    return set()


@pytest.mark.parametrize("name", sorted(set(FETCHES) - set(UNSCOPED)))
def test_a_branch_scope_returns_nothing_of_another_branch(
    name: str, demo_engine: sa.Engine, bank: dict
) -> None:
    fn = FETCHES[name]
    with demo_engine.connect() as conn:
        result = fn(**_arguments(name, fn, conn, bank))
    frames = _frames(result)
    if "customer_id" in inspect.signature(fn).parameters:  # asked about another branch's customer
        assert all(f.height == 0 for f in frames), f"{name} shows another branch's customer"
        return
    seen = set().union(*(_branches_of(f, bank) for f in frames)) if frames else set()
    assert seen <= {BRANCH}, f"{name} returned rows of branches {sorted(seen - {BRANCH})}"


def test_the_tracing_sees_other_branches_under_the_bank_scope(
    demo_engine: sa.Engine, bank: dict
) -> None:
    """The control: with the whole-bank scope most fetches do return several branches, so the
    test above would notice a fetch that ignored the branch scope."""
    spanning, shown = [], []
    with demo_engine.connect() as conn:
        for name in sorted(set(FETCHES) - set(UNSCOPED)):
            fn = FETCHES[name]
            args = _with_scope(_arguments(name, fn, conn, bank), Scope.bank())
            frames = _frames(fn(**args))
            if "customer_id" in inspect.signature(fn).parameters:
                if any(f.height for f in frames):
                    shown.append(name)
            elif len(set().union(*(_branches_of(f, bank) for f in frames)) if frames else ()) > 1:
                spanning.append(name)
    assert len(spanning) >= 35, spanning  # 38 on the demo bank of 2026-12-07
    assert len(shown) >= 5, shown  # the other branch's customer is there for the bank
