"""Every fetch × every role's scope, with hostile filters, on the demo bank (DuckDB and PostgreSQL):
no row outside the scope. The list of fetches is read from the modules, so a new fetch is either
called here or named in ``NOT_CUSTOMER_DATA`` with its reason — otherwise the meta-test fails."""

from __future__ import annotations

import inspect
from collections.abc import Callable
from dataclasses import replace
from datetime import date, timedelta

import polars as pl
import pytest
import sqlalchemy as sa

from data_access.filters import Scope
from data_access.masking import PERSONAL_COLUMN_NAMES, protect
from data_access.queries.signals import SignalQuery
from data_access.queries.value import SegmentDefinition
from data_access.roles import ROLES, scope_for
from data_access.schema import FUNNEL_STAGES, campaigns, customers, officers
from data_access.selection import Period, Selection
from metrics.standards import load_standards
from tests.data_access.fetches import all_fetches
from tests.data_access.personal import stored_personal

AS_OF = date(2026, 11, 22)

# Fetches that take no scope, and why that is right.
NOT_CUSTOMER_DATA = {
    "loyalty.fetch_mart_as_of": "a date",
    "org.fetch_data_as_of": "a date",
    "org.fetch_meta": "load stamps",
    "officers.fetch_trainings": "the training calendar, no customer",
    "value.fetch_saved_segments": "segment definitions, filtered by their owner",
    "loyalty.fetch_latest_tier_months": "input of the mart refresher, never called by a page",
    "nbp.fetch_peer_counts": "bank-wide counts per peer group: aggregates, no customer row",
}
# The activity mart's readers are reached through the live fetches of the same name (they take
# the frame schema of their caller), so they are enumerated through those.
THROUGH_LIVE = {
    "activity.fetch_activity_weekly": "officers.fetch_activity_weekly",
    "activity.fetch_applicant_places": "quality.fetch_applicant_places",
    "activity.fetch_application_evidence": "quality.fetch_application_evidence",
    "activity.fetch_cohort_activity": "loyalty.fetch_cohort_activity",
    "activity.fetch_profile_income_evidence": "quality.fetch_profile_income_evidence",
    "activity.fetch_weekly_activity": "loyalty.fetch_weekly_activity",
}


def scoped_fetches() -> list[str]:
    return sorted(set(all_fetches()) - set(NOT_CUSTOMER_DATA) - set(THROUGH_LIVE))


def test_meta_every_fetch_is_enumerated_or_explained() -> None:
    fetches = all_fetches()
    for name in scoped_fetches():
        params = inspect.signature(fetches[name]).parameters
        assert {"scope", "selection", "query"} & set(params), f"{name} takes no scope"
    assert set(THROUGH_LIVE.values()) <= set(fetches)
    assert set(NOT_CUSTOMER_DATA) | set(THROUGH_LIVE) <= set(fetches), "stale entry"


class Bank:
    """What the enumeration needs to know about the demo bank."""

    def __init__(self, engine: sa.Engine) -> None:
        with engine.connect() as conn:
            ids = conn.execute(sa.select(officers.c.branch_id).distinct()).scalars().all()
            self.mine, self.other = sorted(ids)[:2]
            self.officer = conn.execute(
                sa.select(sa.func.min(customers.c.officer_id)).where(
                    customers.c.branch_id == self.mine
                )
            ).scalar_one()
            self.other_officer = conn.execute(
                sa.select(sa.func.min(officers.c.officer_id)).where(
                    officers.c.branch_id == self.other
                )
            ).scalar_one()
            rows = conn.execute(
                sa.select(customers.c.customer_id, customers.c.branch_id, customers.c.officer_id)
            ).all()
            self.campaigns = conn.execute(sa.select(campaigns.c.campaign_id)).scalars().all()
        self.owner = {r.customer_id: (r.branch_id, r.officer_id) for r in rows}
        self.mine_customer = next(c for c, (b, o) in self.owner.items() if o == self.officer)
        self.other_customer = next(c for c, (b, _) in self.owner.items() if b == self.other)


def _args(name: str, fn: Callable, scope: Scope, bank: Bank, customer_id: int) -> dict:
    """Arguments by parameter name; the filters ask for the other branch and officer too."""
    standards = load_standards()
    period = Period(AS_OF - timedelta(days=83), AS_OF)
    hostile = Selection(  # the picks ask for the other branch and officer too
        Scope.bank(),
        branch_ids=(bank.mine, bank.other),
        officer_ids=(bank.officer, bank.other_officer),
    )
    months = [date(2026, m, 1) for m in range(6, 12)]
    values = {
        "as_of": AS_OF,
        "since": AS_OF - timedelta(days=365),
        "until": AS_OF,
        "start": AS_OF - timedelta(days=90),
        "end": AS_OF,
        "month": date(2026, 10, 1),
        "first_month": date(2026, 6, 1),
        "last_month": date(2026, 10, 1),
        "months": months,
        "observation_end": AS_OF,
        "cutoff": AS_OF - timedelta(days=730),
        "customer_id": customer_id,
        "customer_ids": (bank.mine_customer, bank.other_customer),
        "campaign_ids": bank.campaigns,
        "step": 1,
        "window_days": 30,
        "stages": FUNNEL_STAGES,
        "codes": tuple(s.code for s in standards.signals),
        "rule": standards.effective_customer,
        "min_ratio": 2.0,
        "fields": standards.profile_fields,
        "defn": SegmentDefinition(),
        "branch_ids": (bank.mine, bank.other),
        "limit": 100_000,
        "bin_width": 10,
        "lookback_days": 365,
        "through_day": 22,
        "standards": standards,
    }
    out = {}
    for p in inspect.signature(fn).parameters.values():
        if p.name == "conn":
            continue
        if p.name == "scope":
            out["scope"] = scope
        elif p.name == "selection":
            out["selection"] = replace(hostile, scope=scope)
        elif p.name == "period":
            out["period"] = period
        elif p.name == "query":
            out["query"] = SignalQuery(replace(hostile, scope=scope), AS_OF, values["customer_ids"])
        elif p.name in values:
            out[p.name] = values[p.name]
        elif p.default is inspect.Parameter.empty:
            raise AssertionError(f"{name}: no value for parameter {p.name!r} — add it here")
    return out


def _outside(df: pl.DataFrame, scope: Scope, bank: Bank) -> list[str]:
    """Rows the scope may not see, described."""
    visible = scope.visible_branch_ids
    bad = []
    if "customer_id" in df.columns:
        for cid in df["customer_id"].drop_nulls().unique().to_list():
            branch, officer = bank.owner.get(cid, (None, None))
            if visible is not None and branch not in visible:
                bad.append(f"customer {cid} of branch {branch}")
            elif scope.level == "officer" and officer != scope.officer_id:
                bad.append(f"customer {cid} of officer {officer}")
    if "branch_id" in df.columns and visible is not None:
        bad += [f"branch {b}" for b in df["branch_id"].drop_nulls().unique() if b not in visible]
    if "officer_id" in df.columns and scope.level == "officer":
        bad += [
            f"officer {o}"
            for o in df["officer_id"].drop_nulls().unique()
            if o != scope.officer_id and "customer_id" not in df.columns
        ]
    return bad


@pytest.fixture(params=["duckdb", "postgresql"], scope="module")
def demo(request: pytest.FixtureRequest) -> sa.Engine:
    return request.getfixturevalue("demo_engine" if request.param == "duckdb" else "demo_pg_engine")


def role_scopes(bank: Bank) -> dict[str, Scope]:
    """Every role of ``data_access.roles``, with its narrowest assignment on the first branch
    (built by ``scope_for`` as at sign-in, so a new role is enumerated the day it exists)."""
    assignment = {
        "bank": (None, None, ()),
        "bank_or_branch": (bank.mine, None, ()),
        "bank_or_branches": (None, None, (bank.mine,)),
        "branch": (bank.mine, None, ()),
        "officer": (bank.mine, bank.officer, ()),
        "none": (None, None, ()),
    }
    return {code: scope_for(code, *assignment[r.scope]) for code, r in ROLES.items()}


def _clear_personal(df: pl.DataFrame, scope: Scope, stored: pl.DataFrame) -> list[str]:
    """Personal columns that left the data layer other than masked for the scope."""
    columns = {c: k for c, k in PERSONAL_COLUMN_NAMES.items() if c in df.columns}
    if not columns or "customer_id" not in df.columns or df.is_empty():
        return []
    source = {c: "name" if k == "name" else c for c, k in columns.items()}
    raw = df.select("customer_id").join(stored, on="customer_id", how="left")
    expected = protect(
        raw.select("customer_id", *(pl.col(s).alias(c) for c, s in source.items())),
        scope.reveal,
        columns,
    )
    return [
        f"column {c}" for c in columns if df[c].cast(pl.String).to_list() != expected[c].to_list()
    ]


def test_no_fetch_returns_a_row_outside_any_roles_scope(demo: sa.Engine) -> None:
    bank = Bank(demo)
    scopes = role_scopes(bank)
    assert set(scopes) == set(ROLES)
    with demo.connect() as conn:
        stored = stored_personal(conn)
    fetches = all_fetches()
    calls, leaks = 0, []
    with demo.connect() as conn:
        for role, scope in scopes.items():
            for name in scoped_fetches():
                fn = fetches[name]
                # a customer of another branch, asked for by id: nothing comes back
                for customer_id in (bank.mine_customer, bank.other_customer):
                    kwargs = _args(name, fn, scope, bank, customer_id)
                    df = fn(conn, **kwargs)
                    calls += 1
                    if isinstance(df, pl.DataFrame):
                        leaks += [f"{role} {name}: {b}" for b in _outside(df, scope, bank)]
                        leaks += [
                            f"{role} {name}: {c} in clear"
                            for c in _clear_personal(df, scope, stored)
                        ]
                        if role == "auditor":
                            assert not {"customer_id", "name", "phone"} & set(df.columns) or (
                                df.is_empty()
                            ), f"{name} gave the auditor customer rows"
                    if "customer_id" not in inspect.signature(fn).parameters:
                        break
    assert calls > 300
    assert leaks == []
