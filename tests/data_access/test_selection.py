"""Period, Selection and the one scoping function, restrict()."""

from __future__ import annotations

from datetime import date

import pytest
import sqlalchemy as sa

from data_access.errors import InvalidFilter
from data_access.filters import Scope
from data_access.schema import customers, footprints, soft_footprints
from data_access.selection import Period, Selection, restrict, restrict_table


def _sql(stmt: sa.Select) -> str:
    return str(stmt.compile(compile_kwargs={"literal_binds": True})).replace("\n", " ")


def test_a_period_refuses_to_end_before_it_starts() -> None:
    with pytest.raises(InvalidFilter, match="ends"):
        Period(date(2026, 11, 22), date(2026, 11, 16))


def test_a_selection_refuses_unknown_tiers_and_non_integer_ids() -> None:
    with pytest.raises(InvalidFilter, match="tier"):
        Selection(tiers=("gold",))
    with pytest.raises(InvalidFilter, match="branch_ids"):
        Selection(branch_ids=("1",))  # type: ignore[arg-type]


def test_restrict_applies_scope_then_picks() -> None:
    c = customers.c
    sel = Selection(Scope.officer(3, 42), (3, 4), (42,), ("vip",))
    sql = _sql(
        restrict(
            sa.select(c.customer_id),
            sel,
            branch_col=c.branch_id,
            officer_col=c.officer_id,
            customer_col=c.customer_id,
        )
    )
    assert "customers.branch_id = 3" in sql and "customers.officer_id = 42" in sql
    assert "customers.branch_id IN (3, 4)" in sql and "customer_value.tier IN ('vip')" in sql


def test_restrict_table_takes_the_tier_picks_through_customers_unless_told_not_to() -> None:
    """Soft footprints name a customer: as customer rows the tier picks reach them through the
    customer's current tier; as an officer's work (``tier_picks=False``) they do not."""
    t = soft_footprints
    sel = Selection(Scope.branch(3), officer_ids=(42,), tiers=("vip",))
    week = Period(date(2026, 11, 16), date(2026, 11, 22))
    kept = _sql(
        restrict_table(sa.select(t.c.soft_id), sel, t, period=week, time_col=t.c.captured_at)
    )
    work = _sql(
        restrict_table(
            sa.select(t.c.soft_id), sel, t, period=week, time_col=t.c.captured_at, tier_picks=False
        )
    )
    for sql in (kept, work):
        assert (
            "soft_footprints.branch_id = 3" in sql and "soft_footprints.officer_id IN (42)" in sql
        )
        assert "soft_footprints.captured_at >= '2026-11-16 00:00:00'" in sql
        assert "soft_footprints.captured_at < '2026-11-23 00:00:00'" in sql
    assert "soft_footprints.customer_id IN (SELECT customer_value.customer_id" in kept
    assert "customer_value" not in work and "tier" not in work


def test_an_officer_scope_on_rows_without_an_officer_sees_nothing() -> None:
    sql = _sql(
        restrict(
            sa.select(footprints.c.footprint_id),
            Selection(Scope.officer(3, 42)),
            branch_col=footprints.c.branch_id,
        )
    )
    assert "false" in sql.lower()


def test_branches_only_keeps_the_branch_part() -> None:
    sel = Selection(Scope.officer(3, 42), (3,), (42,), ("vip",))
    assert sel.branches_only() == Selection(Scope.branch(3), (3,))
    assert Selection(Scope.bank(), (5,), (1,)).branches_only() == Selection(Scope.bank(), (5,))


def test_a_scoped_query_without_a_branch_column_is_refused() -> None:
    with pytest.raises(InvalidFilter, match="branch column"):
        restrict(sa.select(customers.c.customer_id), Selection(Scope.branch(1)))
