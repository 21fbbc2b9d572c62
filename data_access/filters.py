"""The scope of who asks (``Scope``), and the helpers that apply it alone to a Core select.

A fetch takes the scope inside a ``data_access.selection.Selection`` (with the branch, officer
and tier picks) and, when it reads a time window, a ``Period``; ``selection.restrict`` applies
them. ``apply_scope`` / ``apply_branch_scope`` / ``apply_owner_scope`` are that function for a
scope alone. Values are always bound parameters.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import sqlalchemy as sa

from data_access.errors import InvalidFilter
from data_access.schema import customers
from metrics.calendar import week_start as week_start  # one calendar (metrics/calendar.py)

TIERS = ("mass", "affluent", "vip", "private")


# Personal data a customer search may match on for the roles granted it (``Scope.find_by``).
FINDABLE = ("phone", "id_number")

ScopeLevel = Literal["bank", "branches", "branch", "officer", "none"]


@dataclass(frozen=True)
class Scope:
    """Who asks: the whole bank, listed branches, one branch, one officer's book, or no rows.

    A scope means the customers a person is responsible for now (see ``apply_owner_scope``).
    ``reveal`` names the personal-data kinds (``data_access.masking.KINDS``) this person sees
    unmasked; everything else leaves the data layer masked. ``find_by`` names the kinds this
    person may find customers by (``phone``: its last 4 digits or the whole number;
    ``id_number``: the whole number) without seeing them: the customer search matches on them
    only when listed here (``data_access.roles`` grants them by role).
    """

    level: ScopeLevel = "bank"
    branch_id: int | None = None
    officer_id: int | None = None
    branch_ids: tuple[int, ...] = ()
    reveal: tuple[str, ...] = ()
    find_by: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if self.level not in ("bank", "branches", "branch", "officer", "none"):
            raise InvalidFilter(f"unknown scope level {self.level!r}")
        if self.level in ("branch", "officer") and not _is_int(self.branch_id):
            raise InvalidFilter(f"a {self.level} scope needs an integer branch_id")
        if self.level == "officer" and not _is_int(self.officer_id):
            raise InvalidFilter("an officer scope needs an integer officer_id")
        unknown = [k for k in self.find_by if k not in FINDABLE]
        if unknown:
            raise InvalidFilter(f"cannot find customers by {unknown}; only by {list(FINDABLE)}")
        if self.level == "branches" and not (
            isinstance(self.branch_ids, tuple)
            and self.branch_ids
            and all(_is_int(b) for b in self.branch_ids)
        ):
            raise InvalidFilter("a branches scope needs a non-empty tuple of integer branch ids")

    @classmethod
    def bank(cls, reveal: tuple[str, ...] = ()) -> Scope:
        """The whole bank (head office, administrators)."""
        return cls("bank", reveal=reveal)

    @classmethod
    def branches(cls, branch_ids: tuple[int, ...], reveal: tuple[str, ...] = ()) -> Scope:
        """Listed branches (a marketing team that serves some outlets)."""
        return cls("branches", branch_ids=tuple(sorted(set(branch_ids))), reveal=reveal)

    @classmethod
    def branch(cls, branch_id: int, reveal: tuple[str, ...] = ()) -> Scope:
        """One branch (its president, its marketing staff)."""
        return cls("branch", branch_id=branch_id, reveal=reveal)

    @classmethod
    def officer(cls, branch_id: int, officer_id: int, reveal: tuple[str, ...] = ()) -> Scope:
        """One officer's own book."""
        return cls("officer", branch_id=branch_id, officer_id=officer_id, reveal=reveal)

    @classmethod
    def nothing(cls) -> Scope:
        """No customer rows at all (the auditor reads the audit log, not the bank)."""
        return cls("none")

    @property
    def visible_branch_ids(self) -> tuple[int, ...] | None:
        """Branches whose rows the scope may see; ``None`` for every branch."""
        if self.level == "bank":
            return None
        if self.level == "branches":
            return self.branch_ids
        if self.level == "none":
            return ()
        return (self.branch_id,)  # type: ignore[return-value]


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def apply_scope(
    stmt: sa.Select,
    scope: Scope,
    branch_col: sa.ColumnElement,
    officer_col: sa.ColumnElement | None = None,
) -> sa.Select:
    """Restrict a select to what the scope may see; officer scope without an officer column sees nothing."""
    from data_access.selection import Selection, restrict

    return restrict(stmt, Selection(scope), branch_col=branch_col, officer_col=officer_col)


def apply_branch_scope(stmt: sa.Select, scope: Scope, branch_col: sa.ColumnElement) -> sa.Select:
    """Only the branch part of the scope (a cheap pre-filter on a fact table before grouping;
    the officer part is then applied on ``customers``)."""
    from data_access.selection import Selection, restrict

    return restrict(stmt, Selection(scope).branches_only(), branch_col=branch_col)


def owned_customers(scope: Scope) -> sa.Select:
    """Ids of the customers the scope is responsible for now (their current branch and officer)."""
    c = customers.c
    return apply_scope(sa.select(c.customer_id), scope, c.branch_id, c.officer_id)


def apply_owner_scope(stmt: sa.Select, scope: Scope, customer_col: sa.ColumnElement) -> sa.Select:
    """The current-owner rule, written once: a list of customers (call list, application
    evidence) follows the customer's current branch and officer, not the event's."""
    if scope.level == "bank":
        return stmt
    return stmt.where(customer_col.in_(owned_customers(scope)))
