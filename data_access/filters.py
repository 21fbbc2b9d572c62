"""Frozen filters and the scope of who asks, applied to Core selects one ``.where()`` at a time.

Every query builder takes a ``Scope`` and a ``Filters`` and calls ``apply_scope`` /
``apply_filters`` on the table it reads. Values are always bound parameters.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import TYPE_CHECKING, Literal

import sqlalchemy as sa

from data_access.errors import InvalidFilter
from metrics.calendar import week_start as week_start  # one calendar (metrics/calendar.py)

if TYPE_CHECKING:
    from data_access.selection import Period, Selection

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
        self.period  # noqa: B018  (building the two values validates them)
        self.selection(Scope.bank())

    @property
    def start_ts(self) -> datetime:
        """Start of the period as a timestamp (inclusive)."""
        return self.period.start_ts

    @property
    def end_ts(self) -> datetime:
        """Midnight after the last day (exclusive bound for timestamps)."""
        return self.period.end_ts

    @property
    def period(self) -> Period:
        """The time window alone."""
        from data_access.selection import Period

        return Period(self.start, self.end)

    def selection(self, scope: Scope) -> Selection:
        """The picks alone, for ``scope``."""
        from data_access.selection import Selection

        return Selection(scope, self.branch_ids, self.officer_ids, self.tiers)

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
    from data_access.selection import Selection, restrict

    return restrict(stmt, Selection(scope), branch_col=branch_col, officer_col=officer_col)


def apply_filters(
    stmt: sa.Select,
    flt: Filters | Selection,
    *,
    time_col: sa.ColumnElement | None = None,
    branch_col: sa.ColumnElement | None = None,
    officer_col: sa.ColumnElement | None = None,
    tier_col: sa.ColumnElement | None = None,
) -> sa.Select:
    """Apply the period and the branch / officer / tier lists to the columns given."""
    from data_access.selection import Selection, restrict

    if time_col is not None:
        if isinstance(time_col.type, sa.DateTime):
            stmt = stmt.where(time_col >= flt.start_ts, time_col < flt.end_ts)
        else:
            stmt = stmt.where(time_col >= flt.start, time_col <= flt.end)
    # only the picks are read from here on: a Selection (no period) may stand for the Filters
    picks = Selection(Scope.bank(), flt.branch_ids, flt.officer_ids, flt.tiers)
    return restrict(stmt, picks, branch_col=branch_col, officer_col=officer_col, tier_col=tier_col)
