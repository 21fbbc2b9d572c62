"""Roles as data: which pages and actions a role grants, and how a user's scope is built.

A role grants pages (by their URL path in ``dashboard/nav.py``) and actions; a scope limits rows
(``data_access.filters.Scope``, applied by ``apply_scope`` in every query). The ``roles`` table is
written from this list, so that the database describes the roles it holds users for.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Literal

from data_access.errors import InvalidFilter
from data_access.filters import FINDABLE, Scope
from metrics.standards import Label

# Pages of the dashboard by URL path (dashboard/nav.py holds the same paths; a test checks both).
DATA_PAGES = (
    "kpis",
    "segments",
    "loyalty",
    "funnels",
    "officers",
    "suggestions",
    "customer",
    "quality",
    "credit",
)
ALL_PAGES = ("home", *DATA_PAGES, "data_import", "audit", "admin")

# What a role may do besides reading its pages.
ACTIONS = (
    "export",  # files through dashboard/export.py
    "unmask",  # ask to see one customer unmasked (with a reason; logged)
    "record_soft_footprint",  # the recorder is the signed-in officer
    "save_segment",
    "view_audit",
    "manage_users",
    "approve_exports",
)

# How a role's scope is built from the user's row (see ``scope_for``).
ScopeKind = Literal["bank", "bank_or_branch", "bank_or_branches", "branch", "officer", "none"]


@dataclass(frozen=True)
class Role(Label):
    """One role: its code and labels (as every entry of the standard has them), pages, actions,
    scope kind, the personal data it sees unmasked (``reveal``) and the personal data it may find
    customers by (``find_by``)."""

    pages: tuple[str, ...]
    actions: tuple[str, ...]
    scope: ScopeKind
    reveal: tuple[str, ...] = ()
    find_by: tuple[str, ...] = ()


# Finding a customer by phone or ID number confirms who holds that number: a right of the roles
# that serve customers one by one (and may ask to unmask one), not of those who read aggregates.
FIND_BY_PERSONAL = FINDABLE

ROLES: dict[str, Role] = {
    r.code: r
    for r in (
        Role(
            "admin",
            "系统管理员",
            "Administrator",
            "Manages users, roles and scopes, approves large exports, reads the audit log.",
            ALL_PAGES,
            ACTIONS,
            "bank",
            find_by=FIND_BY_PERSONAL,
        ),
        Role(
            "president",
            "行长",
            "President",
            "Runs one branch (branch president) or the whole bank: every business page.",
            ("home", *DATA_PAGES),
            ("export", "unmask", "save_segment"),
            "bank_or_branch",
            find_by=FIND_BY_PERSONAL,
        ),
        Role(
            "marketing",
            "营销团队",
            "Marketing",
            "Builds segments and follows campaigns for the bank or listed branches.",
            ("home", "segments", "loyalty", "funnels"),
            ("export", "save_segment"),
            "bank_or_branches",
        ),
        Role(
            "training",
            "培训负责人",
            "Training lead",
            "Follows officers' engagement and the effect of training.",
            ("home", "officers", "suggestions", "quality"),
            ("export",),
            "bank_or_branch",
        ),
        Role(
            "officer",
            "客户经理",
            "Officer",
            "Serves the own book: customers, call lists, soft footprints.",
            ("home", "customer", "quality", "funnels", "segments"),
            ("export", "unmask", "record_soft_footprint", "save_segment"),
            "officer",
            find_by=FIND_BY_PERSONAL,
        ),
        Role(
            "credit",
            "信贷员",
            "Credit staff",
            "Checks the loan applications of the own branch against customers' footprints.",
            ("home", "customer", "credit", "officers"),
            ("export", "unmask"),
            "branch",
            find_by=FIND_BY_PERSONAL,
        ),
        Role(
            "auditor",
            "审计",
            "Auditor",
            "Reads and exports the audit log; sees no customer data.",
            ("home", "audit"),
            ("view_audit", "export"),
            "none",
        ),
    )
}


def role(code: str) -> Role:
    """The role called ``code``; a clear error for an unknown one."""
    try:
        return ROLES[code]
    except KeyError:
        raise InvalidFilter(f"unknown role {code!r}; expected one of {sorted(ROLES)}") from None


def may_open(role_code: str, page: str) -> bool:
    """Whether the role grants the page (by URL path)."""
    return role_code in ROLES and page in ROLES[role_code].pages


def may(role_code: str, action: str) -> bool:
    """Whether the role grants the action."""
    return role_code in ROLES and action in ROLES[role_code].actions


def scope_for(
    role_code: str,
    branch_id: int | None,
    officer_id: int | None,
    branch_ids: tuple[int, ...] = (),
) -> Scope:
    """The scope of a user with this role and assignment; a missing assignment is an error."""
    scope = _rows_for(role_code, branch_id, officer_id, branch_ids)
    find_by = role(role_code).find_by
    return replace(scope, find_by=find_by) if find_by and scope.level != "none" else scope


def _rows_for(
    role_code: str,
    branch_id: int | None,
    officer_id: int | None,
    branch_ids: tuple[int, ...],
) -> Scope:
    r = role(role_code)
    kind = r.scope
    if kind == "none":
        return Scope.nothing()
    if kind == "bank":
        return Scope.bank(reveal=r.reveal)
    if kind == "bank_or_branch":
        return Scope.branch(branch_id, r.reveal) if branch_id else Scope.bank(reveal=r.reveal)
    if kind == "bank_or_branches":
        if branch_ids:
            return Scope.branches(branch_ids, r.reveal)
        return Scope.branch(branch_id, r.reveal) if branch_id else Scope.bank(reveal=r.reveal)
    if kind == "branch":
        if not branch_id:
            raise InvalidFilter(f"a {r.code} user needs a branch")
        return Scope.branch(branch_id, r.reveal)
    if not (branch_id and officer_id):
        raise InvalidFilter("an officer user needs an officer (and that officer's branch)")
    return Scope.officer(branch_id, officer_id, r.reveal)
