"""Period, Selection and scope: validated on construction, applied in SQL with bound parameters."""

from __future__ import annotations

from datetime import date, datetime

import pytest
import sqlalchemy as sa
from hypothesis import given, settings
from hypothesis import strategies as st

from data_access import schema
from data_access.errors import InvalidFilter
from data_access.filters import Scope, apply_scope, week_start
from data_access.queries import org
from data_access.selection import Period, Selection, restrict, within
from tests.rows import insert_staff

WEEK = Period(date(2026, 11, 16), date(2026, 11, 22))


@pytest.mark.parametrize(
    "build",
    [
        pytest.param(lambda: Period(date(2026, 2, 1), date(2026, 1, 1)), id="end-before-start"),
        pytest.param(lambda: Period("2026-01-01", date(2026, 1, 2)), id="string-date"),
        pytest.param(
            lambda: Selection(branch_ids=("1; drop table customers",)), id="string-branch"
        ),
        pytest.param(lambda: Selection(branch_ids=[1, 2]), id="list-not-tuple"),
        pytest.param(lambda: Selection(tiers=("gold",)), id="unknown-tier"),
    ],
)
def test_bad_periods_and_picks_are_refused(build) -> None:
    with pytest.raises(InvalidFilter):
        build()


@pytest.mark.parametrize(
    "build",
    [
        pytest.param(lambda: Scope("branch"), id="branch-without-id"),
        pytest.param(lambda: Scope("officer", branch_id=1), id="officer-without-id"),
        pytest.param(lambda: Scope("region", branch_id=1), id="unknown-level"),
        pytest.param(lambda: Scope("branch", branch_id="1 or 1=1"), id="string-id"),
    ],
)
def test_bad_scopes_are_refused(build) -> None:
    with pytest.raises(InvalidFilter):
        build()


def test_values_are_bound_parameters_not_sql_text() -> None:
    stmt = sa.select(schema.footprints.c.amount)
    stmt = apply_scope(stmt, Scope.branch(3), schema.footprints.c.branch_id)
    stmt = within(
        stmt, Period(date(2026, 1, 5), date(2026, 1, 11)), schema.footprints.c.occurred_at
    )
    compiled = stmt.compile()
    assert "3" not in str(compiled).split("WHERE", 1)[1]
    assert 3 in compiled.params.values()
    assert datetime(2026, 1, 12) in compiled.params.values()


def test_week_start_is_monday() -> None:
    assert week_start(date(2026, 11, 22)) == date(2026, 11, 16)
    assert week_start(date(2026, 11, 16)) == date(2026, 11, 16)


def _seed_two_branches(engine: sa.Engine) -> None:
    with engine.begin() as conn:
        insert_staff(
            conn, (1, 2), ((10, 1), (11, 1), (20, 2)), officer_name="官{}",
            hired=date(2010, 1, 1), name="支行{}", name_en="B{}", town="镇",
        )  # fmt: skip
        conn.execute(
            schema.footprints.insert(),
            [
                {
                    "footprint_id": i,
                    "customer_id": 100 + b,
                    "branch_id": b,
                    "occurred_at": datetime(2026, 11, 17, 9),
                    "kind": "deposit",
                    "direction": "in",
                    "channel": "counter",
                    "amount": 100.0 * b,
                    "place": None,
                    "merchant_category": None,
                    "counterparty_type": "own_bank",
                    "self_initiated": True,
                }
                for i, b in enumerate((1, 1, 2, 2, 2))
            ],
        )


def _branch_total(
    conn: sa.Connection, period: Period, selection: Selection
) -> list[tuple[int, float]]:
    fp = schema.footprints
    stmt = (
        sa.select(fp.c.branch_id, sa.func.sum(fp.c.amount))
        .group_by(fp.c.branch_id)
        .order_by(fp.c.branch_id)
    )
    stmt = restrict(
        stmt, selection, period=period, time_col=fp.c.occurred_at, branch_col=fp.c.branch_id
    )
    return [tuple(r) for r in conn.execute(stmt)]


def test_scope_and_filters_on_both_databases(empty_engine: sa.Engine) -> None:
    _seed_two_branches(empty_engine)
    with empty_engine.connect() as conn:
        assert _branch_total(conn, WEEK, Selection()) == [(1, 200.0), (2, 600.0)]
        assert _branch_total(conn, WEEK, Selection(Scope.branch(1))) == [(1, 200.0)]
        # a branch scope cannot be widened by asking for another branch in the picks
        assert _branch_total(conn, WEEK, Selection(Scope.branch(1), branch_ids=(2,))) == []
        later = Period(date(2026, 11, 18), date(2026, 11, 30))
        assert _branch_total(conn, later, Selection()) == []
        assert org.fetch_officers(conn, Scope.officer(1, 11))["officer_id"].to_list() == [11]
        assert org.fetch_branches(conn, Scope.branch(2))["branch_id"].to_list() == [2]


@settings(max_examples=40, deadline=None)
@given(
    scope_branch=st.sampled_from([1, 2]),
    asked=st.lists(st.integers(min_value=-5, max_value=5), max_size=4),
)
def test_branch_scope_never_leaks_whatever_the_filter(
    scope_branch: int, asked: list[int], tmp_path_factory
) -> None:
    engine = _leak_engine(tmp_path_factory)
    with engine.connect() as conn:
        rows = _branch_total(
            conn, WEEK, Selection(Scope.branch(scope_branch), branch_ids=tuple(asked))
        )
    assert all(branch == scope_branch for branch, _ in rows)


_ENGINES: dict[str, sa.Engine] = {}


def _leak_engine(factory) -> sa.Engine:
    """One seeded DuckDB shared by the property test's examples."""
    if "e" not in _ENGINES:
        from data_access.engine import create_schema, make_engine

        engine = make_engine(f"duckdb:///{factory.mktemp('leak') / 'fp.duckdb'}")
        create_schema(engine)
        _seed_two_branches(engine)
        _ENGINES["e"] = engine
    return _ENGINES["e"]
