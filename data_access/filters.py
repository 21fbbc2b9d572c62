"""Frozen filters and the scope of who asks, applied to Core selects one ``.where()`` at a time.

Every query builder takes a ``Scope`` and a ``Filters`` and calls ``apply_scope`` /
``apply_filters`` on the table it reads. Values are always bound parameters.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Literal

import sqlalchemy as sa

from data_access.errors import InvalidFilter

TIERS = ("mass", "affluent", "vip", "private")


@dataclass(frozen=True)
class Scope:
    """Who asks: the whole bank, one branch, or one officer (and that officer's branch)."""

    level: Literal["bank", "branch", "officer"] = "bank"
    branch_id: int | None = None
    officer_id: int | None = None

    def __post_init__(self) -> None:
        if self.level not in ("bank", "branch", "officer"):
            raise InvalidFilter(f"unknown scope level {self.level!r}")
        if self.level in ("branch", "officer") and not isinstance(self.branch_id, int):
            raise InvalidFilter(f"a {self.level} scope needs an integer branch_id")
        if self.level == "officer" and not isinstance(self.officer_id, int):
            raise InvalidFilter("an officer scope needs an integer officer_id")

    @classmethod
    def bank(cls) -> Scope:
        """The whole bank (head office, administrators)."""
        return cls("bank")

    @classmethod
    def branch(cls, branch_id: int) -> Scope:
        """One branch (its president, its marketing staff)."""
        return cls("branch", branch_id=branch_id)

    @classmethod
    def officer(cls, branch_id: int, officer_id: int) -> Scope:
        """One officer's own book."""
        return cls("officer", branch_id=branch_id, officer_id=officer_id)


@dataclass(frozen=True)
class Filters:
    """What the user picked: a period (inclusive dates) and optional branches, officers, tiers."""

    start: date
    end: date
    branch_ids: tuple[int, ...] = ()
    officer_ids: tuple[int, ...] = ()
    tiers: tuple[str, ...] = field(default=())

    def __post_init__(self) -> None:
        if not isinstance(self.start, date) or not isinstance(self.end, date):
            raise InvalidFilter("start and end must be dates")
        if self.end < self.start:
            raise InvalidFilter(f"period ends ({self.end}) before it starts ({self.start})")
        for name in ("branch_ids", "officer_ids"):
            values = getattr(self, name)
            if not isinstance(values, tuple) or not all(
                isinstance(v, int) and not isinstance(v, bool) for v in values
            ):
                raise InvalidFilter(f"{name} must be a tuple of integers")
        unknown = [t for t in self.tiers if t not in TIERS]
        if unknown:
            raise InvalidFilter(f"unknown tier(s) {unknown}; expected some of {list(TIERS)}")

    @property
    def start_ts(self) -> datetime:
        """Start of the period as a timestamp (inclusive)."""
        return datetime.combine(self.start, time.min)

    @property
    def end_ts(self) -> datetime:
        """Midnight after the last day (exclusive bound for timestamps)."""
        return datetime.combine(self.end + timedelta(days=1), time.min)

    def with_period(self, start: date, end: date) -> Filters:
        """The same filters over another period (prior week, prior year)."""
        return Filters(start, end, self.branch_ids, self.officer_ids, self.tiers)


def apply_scope(
    stmt: sa.Select,
    scope: Scope,
    branch_col: sa.ColumnElement,
    officer_col: sa.ColumnElement | None = None,
) -> sa.Select:
    """Restrict a select to what the scope may see; officer scope without an officer column sees nothing."""
    if scope.level == "bank":
        return stmt
    stmt = stmt.where(branch_col == sa.bindparam(None, scope.branch_id, type_=sa.Integer))
    if scope.level == "officer":
        if officer_col is None:
            return stmt.where(sa.false())
        stmt = stmt.where(officer_col == sa.bindparam(None, scope.officer_id, type_=sa.Integer))
    return stmt


def apply_filters(
    stmt: sa.Select,
    flt: Filters,
    *,
    time_col: sa.ColumnElement | None = None,
    branch_col: sa.ColumnElement | None = None,
    officer_col: sa.ColumnElement | None = None,
    tier_col: sa.ColumnElement | None = None,
) -> sa.Select:
    """Apply the period and the branch / officer / tier lists to the columns given."""
    if time_col is not None:
        if isinstance(time_col.type, sa.DateTime):
            stmt = stmt.where(time_col >= flt.start_ts, time_col < flt.end_ts)
        else:
            stmt = stmt.where(time_col >= flt.start, time_col <= flt.end)
    if branch_col is not None and flt.branch_ids:
        stmt = stmt.where(branch_col.in_(flt.branch_ids))
    if officer_col is not None and flt.officer_ids:
        stmt = stmt.where(officer_col.in_(flt.officer_ids))
    if tier_col is not None and flt.tiers:
        stmt = stmt.where(tier_col.in_(flt.tiers))
    return stmt


def week_start(day: date) -> date:
    """Monday of the week that holds ``day``."""
    return day - timedelta(days=day.weekday())
