"""Branches, officers and the data-as-of stamp: the lists the sidebar offers."""

from __future__ import annotations

from datetime import date

import polars as pl
import sqlalchemy as sa

from data_access.filters import Scope, apply_branch_scope, apply_scope
from data_access.queries._frames import frame
from data_access.schema import bank_meta, branches, officers


def select_branches(scope: Scope) -> sa.Select:
    """Branches the scope may see (an officer sees the own branch), by code."""
    stmt = sa.select(
        branches.c.branch_id, branches.c.code, branches.c.name, branches.c.name_en, branches.c.town
    )
    return apply_branch_scope(stmt, scope, branches.c.branch_id).order_by(branches.c.code)


def fetch_branches(conn: sa.Connection, scope: Scope) -> pl.DataFrame:
    """Branches the scope may see."""
    return frame(conn, select_branches(scope))


def select_officers(scope: Scope, branch_ids: tuple[int, ...] = ()) -> sa.Select:
    """Active officers the scope may see, optionally of some branches."""
    stmt = sa.select(
        officers.c.officer_id,
        officers.c.branch_id,
        officers.c.name,
        officers.c.role,
        officers.c.hire_date,
    )
    stmt = apply_scope(
        stmt.where(officers.c.active.is_(True)), scope, officers.c.branch_id, officers.c.officer_id
    )
    if branch_ids:
        stmt = stmt.where(officers.c.branch_id.in_(branch_ids))
    return stmt.order_by(officers.c.branch_id, officers.c.officer_id)


def fetch_officers(
    conn: sa.Connection, scope: Scope, branch_ids: tuple[int, ...] = ()
) -> pl.DataFrame:
    """Active officers the scope may see."""
    return frame(conn, select_officers(scope, branch_ids))


def fetch_meta(conn: sa.Connection) -> dict[str, str]:
    """All bank_meta entries (data_as_of, seed, generator version, loaded_at)."""
    return {
        key: value for key, value in conn.execute(sa.select(bank_meta.c.key, bank_meta.c.value))
    }


def fetch_data_as_of(conn: sa.Connection) -> date | None:
    """Last day covered by the data, from bank_meta (None when never loaded)."""
    value = fetch_meta(conn).get("data_as_of")
    return date.fromisoformat(value) if value else None
