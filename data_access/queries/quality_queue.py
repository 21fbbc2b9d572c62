"""The information-quality queue: customers of a book with profile fields missing, most valuable
first; and a validated, audited correction of those fields (one transaction, nothing partial)."""

from __future__ import annotations

import math
import unicodedata
from datetime import date, datetime
from typing import Any

import polars as pl
import sqlalchemy as sa

from data_access import audit
from data_access.filters import Scope, apply_scope
from data_access.masking import personal
from data_access.queries._frames import frame
from data_access.queries.quality import NAMED_CUSTOMER
from data_access.schema import audit_log, customer_value, customers
from data_access.selection import Period, Selection, restrict
from data_access.soft_entry import InvalidSoftFootprint, Problem
from metrics.codes import (  # the values the bank's records hold
    EDUCATION,
    MARITAL,
    OCCUPATIONS,
    PROFILE_FIELDS,
)

# every profile field except the ID number, which the queue neither shows nor edits
FIXABLE = tuple(f for f in PROFILE_FIELDS if f != "id_number")
CHOICES: dict[str, tuple[str, ...]] = {
    "gender": ("M", "F"),
    "occupation": OCCUPATIONS,
    "education": EDUCATION,
    "marital_status": MARITAL,
}
MAX_TEXT = 64
MAX_INCOME = 100_000_000.0


class InvalidProfileFix(InvalidSoftFootprint):
    """The correction breaks one or more rules; nothing was written."""


def _missing(col: sa.Column) -> sa.ColumnElement[bool]:
    if isinstance(col.type, sa.String):
        return sa.or_(col.is_(None), sa.func.trim(col) == "")
    return col.is_(None)


def select_queue(period: Period, selection: Selection, fields: tuple[str, ...]) -> sa.Select:
    """Open customers in view with at least one of ``fields`` missing: ids, name, AUM (value
    mart), one ``missing__<field>`` flag per field and their count; most valuable first."""
    unknown = [f for f in fields if f not in customers.c]
    if unknown:
        raise ValueError(f"profile fields not in customers: {unknown}")
    c = customers.c
    flags = [sa.case((_missing(c[f]), 1), else_=0) for f in fields]
    n_missing = sum(flags, sa.literal(0))
    stmt = (
        sa.select(
            *NAMED_CUSTOMER,
            sa.func.coalesce(customer_value.c.aum, 0.0).label("aum"),
            n_missing.label("missing"),
            *(flag.label(f"missing__{f}") for f, flag in zip(fields, flags, strict=True)),
        )
        .select_from(
            customers.outerjoin(customer_value, customer_value.c.customer_id == c.customer_id)
        )
        .where(
            c.opened_on <= period.end,
            sa.or_(c.closed_on.is_(None), c.closed_on > period.end),
            n_missing > 0,
        )
    )
    stmt = restrict(stmt, selection, branch_col=c.branch_id, officer_col=c.officer_id)
    return stmt.order_by(sa.desc("aum"), c.customer_id)


@personal
def fetch_queue(
    conn: sa.Connection,
    period: Period,
    selection: Selection,
    fields: tuple[str, ...],
    limit: int = 200,
) -> pl.DataFrame:
    """The queue (``select_queue``), at most ``limit`` customers; names masked for the scope."""
    schema: dict[str, pl.DataType] = {
        "customer_id": pl.Int64(),
        "branch_id": pl.Int64(),
        "officer_id": pl.Int64(),
        "name": pl.String(),
        "aum": pl.Float64(),
        "missing": pl.Int64(),
    } | {f"missing__{f}": pl.Int64() for f in fields}
    return frame(conn, select_queue(period, selection, fields).limit(int(limit)), schema)


def count_queue(
    conn: sa.Connection, period: Period, selection: Selection, fields: tuple[str, ...]
) -> int:
    """How many customers the queue holds (``fetch_queue`` returns the most valuable of them)."""
    queue = select_queue(period, selection, fields).order_by(None).subquery()
    return int(conn.execute(sa.select(sa.func.count()).select_from(queue)).scalar_one())


def fix_problems(changes: dict[str, Any], today: date) -> list[Problem]:
    """Every rule the correction breaks, field by field ([] when it may be saved)."""
    out: list[Problem] = []
    if not changes:
        out.append(Problem("entry", "nothing_to_save", {}))
    for field, value in changes.items():
        if field not in FIXABLE:
            out.append(Problem(field, "not_a_field", {}))
        elif value is None or (isinstance(value, str) and not value.strip()):
            out.append(Problem(field, "missing", {}))
        elif field in CHOICES:
            if value not in CHOICES[field]:
                out.append(Problem(field, "not_a_choice", {}))
        elif field in ("town", "village"):
            text = str(value)
            if len(text) > MAX_TEXT:
                out.append(Problem(field, "string_too_long", {"max_length": MAX_TEXT}))
            if any(unicodedata.category(ch) == "Cc" for ch in text):
                out.append(Problem(field, "control_chars", {}))
        elif field == "declared_income":
            ok = isinstance(value, int | float) and not isinstance(value, bool)
            if not ok or not math.isfinite(value) or not 0 < value <= MAX_INCOME:
                out.append(Problem(field, "out_of_range", {"gt": 0, "le": MAX_INCOME}))
        elif field == "household_size":
            if not isinstance(value, int) or isinstance(value, bool) or not 1 <= value <= 30:
                out.append(Problem(field, "out_of_range", {"ge": 1, "le": 30}))
        elif field == "birth_year":
            latest = today.year - 16
            if not isinstance(value, int) or isinstance(value, bool) or not 1900 <= value <= latest:
                out.append(Problem(field, "out_of_range", {"ge": 1900, "le": latest}))
        elif field == "phone":
            text = str(value)
            if not (len(text) == 11 and text.isdigit() and text.startswith("1")):
                out.append(Problem(field, "phone_format", {}))
    return out


def fix_profile(
    engine: sa.Engine,
    scope: Scope,
    customer_id: int,
    changes: dict[str, Any],
    username: str,
    now: datetime,
) -> None:
    """Validate and write a correction of the customer's profile, with an audit entry naming each
    field's old and new value (personal numbers masked), in one transaction."""
    problems = fix_problems(changes, now.date())
    if problems:
        raise InvalidProfileFix(problems)
    c = customers.c
    with engine.begin() as conn:
        stmt = apply_scope(
            sa.select(*(c[f] for f in changes)).where(c.customer_id == customer_id),
            scope,
            c.branch_id,
            c.officer_id,
        )
        before = conn.execute(stmt).mappings().one_or_none()
        if before is None:
            raise InvalidProfileFix([Problem("customer_id", "out_of_scope", {})])
        conn.execute(
            customers.update()
            .where(c.customer_id == customer_id)
            .values(**changes, profile_updated_on=now.date())
        )

        def shown(field: str, value: object) -> str:
            if field == "phone" and value:
                return f"{str(value)[:3]}****{str(value)[-4:]}"
            return "—" if value is None else str(value)

        detail = "; ".join(
            f"{f}: {shown(f, before[f])} → {shown(f, v)}" for f, v in changes.items()
        )
        audit.record(
            conn, username, "profile_fix", target=f"customer {customer_id}", detail=detail, at=now
        )


def fetch_fix_counts(conn: sa.Connection, period: Period, selection: Selection) -> pl.DataFrame:
    """Profile corrections made in the period per officer of the corrected customer's book:
    officer_id, fixes (from the audit log)."""
    c = customers.c
    a = audit_log.c
    target = sa.literal("customer ") + sa.cast(c.customer_id, sa.String)
    stmt = (
        sa.select(c.officer_id, sa.func.count().label("fixes"))
        .select_from(audit_log.join(customers, a.target == target))
        .where(
            a.action == "profile_fix",
            a.occurred_at >= period.start_ts,
            a.occurred_at < period.end_ts,
        )
        .group_by(c.officer_id)
    )
    stmt = restrict(stmt, selection, branch_col=c.branch_id, officer_col=c.officer_id)
    return frame(conn, stmt.order_by(c.officer_id), {"officer_id": pl.Int64(), "fixes": pl.Int64()})
