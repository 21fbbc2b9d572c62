"""What a page asks for, as two frozen values, and the one function that scopes every query.

- ``Period``: the time window (inclusive dates).
- ``Selection``: who asks (``Scope``) and what they picked — branches, officers, tiers.

``restrict(stmt, selection, period=…, time_col=…, branch_col=…, officer_col=…, tier_col=… |
customer_col=…)`` applies them, always with bound parameters: the scope (``branch = :b``, or
``IN`` the listed branches, or no row for a scope of none; an officer scope also
``officer = :o``, or nothing at all when the table has no officer column), then the period on
the time column when one is given (``within``), then the picks
(``IN`` lists; tiers on the table's own tier column, else through the value mart's current tier
of ``customer_col``). ``data_access.filters.apply_scope`` and its kin are this function too, so
every ``fetch_*`` scopes through it (tests/data_access/test_scope_every_fetch.py). A fetch takes
``(conn, selection, …)`` when it reads no time window, ``(conn, period, selection, …)`` when it
does; the sidebar makes both (``dashboard.state.PageContext``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

import sqlalchemy as sa

from data_access.errors import InvalidFilter
from data_access.filters import TIERS, Scope


@dataclass(frozen=True)
class Period:
    """A time window of whole days, both ends included."""

    start: date
    end: date

    def __post_init__(self) -> None:
        if not isinstance(self.start, date) or not isinstance(self.end, date):
            raise InvalidFilter("start and end must be dates")
        if self.end < self.start:
            raise InvalidFilter(f"period ends ({self.end}) before it starts ({self.start})")

    @property
    def start_ts(self) -> datetime:
        """Start of the period as a timestamp (inclusive)."""
        return datetime.combine(self.start, time.min)

    @property
    def end_ts(self) -> datetime:
        """Midnight after the last day (exclusive bound for timestamps)."""
        return datetime.combine(self.end + timedelta(days=1), time.min)


@dataclass(frozen=True)
class Selection:
    """Who asks and what they picked (empty picks: everything the scope may see)."""

    scope: Scope = field(default_factory=Scope.bank)
    branch_ids: tuple[int, ...] = ()
    officer_ids: tuple[int, ...] = ()
    tiers: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if not isinstance(self.scope, Scope):
            raise InvalidFilter("a selection needs a Scope")
        for name in ("branch_ids", "officer_ids"):
            values = getattr(self, name)
            if not isinstance(values, tuple) or not all(
                isinstance(v, int) and not isinstance(v, bool) for v in values
            ):
                raise InvalidFilter(f"{name} must be a tuple of integers")
        unknown = [t for t in self.tiers if t not in TIERS]
        if unknown:
            raise InvalidFilter(f"unknown tier(s) {unknown}; expected some of {list(TIERS)}")

    def branches_only(self) -> Selection:
        """The branch part alone: a cheap pre-filter on a fact table whose branch is the
        customer's, before grouping; officers and tiers are then applied on the customers."""
        scope = self.scope
        if scope.level == "officer":  # the officer's branch; the book is then read on customers
            scope = Scope.branch(scope.branch_id, scope.reveal)  # type: ignore[arg-type]
        return Selection(scope, self.branch_ids)


def tier_customers(tiers: tuple[str, ...]) -> sa.Select:
    """Customers whose current tier (value mart) is one of ``tiers``."""
    from data_access.schema import customer_value  # the schema imports nothing from here

    v = customer_value.c
    return sa.select(v.customer_id).where(v.tier.in_(tiers))


def within(stmt: sa.Select, period: Period, time_col: sa.ColumnElement) -> sa.Select:
    """Only the rows whose ``time_col`` (a date, or a timestamp) falls in the period."""
    if isinstance(time_col.type, sa.DateTime):
        return stmt.where(time_col >= period.start_ts, time_col < period.end_ts)
    return stmt.where(time_col >= period.start, time_col <= period.end)


def restrict(
    stmt: sa.Select,
    selection: Selection,
    *,
    period: Period | None = None,
    time_col: sa.ColumnElement | None = None,
    branch_col: sa.ColumnElement | None = None,
    officer_col: sa.ColumnElement | None = None,
    tier_col: sa.ColumnElement | None = None,
    customer_col: sa.ColumnElement | None = None,
) -> sa.Select:
    """Restrict ``stmt`` to the selection: its scope, then the ``period`` on ``time_col`` when
    given, then its branch, officer and tier picks."""
    if (period is None) != (time_col is None):
        raise InvalidFilter("a period needs the table's time column, and a time column a period")
    scope = selection.scope
    visible = scope.visible_branch_ids  # None: every branch; (): no rows at all
    if visible is not None:
        if branch_col is None:
            raise InvalidFilter("a scoped query needs the table's branch column")
        if not visible:
            return stmt.where(sa.false())
        if len(visible) == 1:
            stmt = stmt.where(branch_col == sa.bindparam(None, visible[0], type_=sa.Integer))
        else:
            stmt = stmt.where(branch_col.in_(sa.bindparam(None, list(visible), expanding=True)))
        if scope.level == "officer":
            if officer_col is None:
                return stmt.where(sa.false())  # no officer on the rows: an officer sees none
            stmt = stmt.where(officer_col == sa.bindparam(None, scope.officer_id, type_=sa.Integer))
    if period is not None:
        stmt = within(stmt, period, time_col)  # type: ignore[arg-type]
    if branch_col is not None and selection.branch_ids:
        stmt = stmt.where(branch_col.in_(selection.branch_ids))
    if officer_col is not None and selection.officer_ids:
        stmt = stmt.where(officer_col.in_(selection.officer_ids))
    if selection.tiers:
        if tier_col is not None:
            stmt = stmt.where(tier_col.in_(selection.tiers))
        elif customer_col is not None:
            stmt = stmt.where(customer_col.in_(tier_customers(selection.tiers)))
    return stmt


def restrict_table(
    stmt: sa.Select,
    selection: Selection,
    table: sa.Table,
    *,
    period: Period | None = None,
    time_col: sa.ColumnElement | None = None,
    tier_picks: bool = True,
) -> sa.Select:
    """``restrict`` by the columns ``table`` carries: its ``branch_id`` and ``officer_id``, the
    ``period`` on ``time_col`` when given, and the tier picks on its ``tier``, else on its
    customers' current tier through ``customer_id`` (customers, a per-customer mart, a mart of
    cells by tier).

    ``tier_picks=False`` leaves the tier picks out: for rows that count officers' work
    (activities, soft footprints captured, conversions credited), which is not split by customer
    tier (the officers page says the picks are ignored) even where the rows name a customer."""
    c = table.c
    return restrict(
        stmt,
        selection,
        period=period,
        time_col=time_col,
        branch_col=c.branch_id,
        officer_col=c.get("officer_id"),
        tier_col=c.get("tier") if tier_picks else None,
        customer_col=c.get("customer_id") if tier_picks else None,
    )
