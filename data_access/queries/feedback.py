"""Officers' answers to next-best-product suggestions: validated, written with an audit entry in one
transaction, and read back with their outcome (the product opened within the standard's window)."""

from __future__ import annotations

import math
import unicodedata
from dataclasses import asdict, dataclass
from datetime import date, datetime, timedelta

import polars as pl
import sqlalchemy as sa

from data_access import audit
from data_access.filters import Scope, apply_scope
from data_access.queries._frames import frame
from data_access.queries.customer import home_branch
from data_access.queries.signals import OFFER_ACTIONS
from data_access.schema import (
    FEEDBACK_DECISIONS,
    FEEDBACK_REASONS,
    PRODUCTS,
    nbp_feedback,
    officers,
    product_holdings,
)
from data_access.selection import Period, Selection, restrict
from data_access.soft_entry import InvalidSoftFootprint, Problem

MAX_NOTE = 500


@dataclass(frozen=True)
class FeedbackEntry:
    """One answer to one suggestion, as the form collects it."""

    customer_id: int
    officer_id: int | None
    product: str
    rule: str | None
    score: float | None
    decision: str
    reason: str
    note: str | None
    decided_at: datetime


class InvalidFeedback(InvalidSoftFootprint):
    """The answer breaks one or more rules; nothing was written."""


def feedback_problems(entry: FeedbackEntry, today: date) -> list[Problem]:
    """Every rule the answer breaks, field by field ([] when it may be saved)."""
    out: list[Problem] = []
    if not isinstance(entry.customer_id, int) or entry.customer_id <= 0:
        out.append(Problem("customer_id", "greater_than", {"gt": 0}))
    if entry.officer_id is not None and (
        not isinstance(entry.officer_id, int) or entry.officer_id <= 0
    ):
        out.append(Problem("officer_id", "greater_than", {"gt": 0}))
    if entry.product not in (*PRODUCTS, *OFFER_ACTIONS):
        out.append(Problem("product", "not_a_choice", {}))
    if entry.rule is not None and (len(entry.rule) > 32 or not entry.rule.isidentifier()):
        out.append(Problem("rule", "not_a_choice", {}))
    if entry.score is not None and not math.isfinite(entry.score):
        out.append(Problem("score", "finite_number", {}))
    if entry.decision not in FEEDBACK_DECISIONS:
        out.append(Problem("decision", "not_a_choice", {}))
    elif entry.reason not in FEEDBACK_REASONS[entry.decision]:
        out.append(Problem("reason", "not_a_choice", {}))
    note = entry.note or ""
    if len(note) > MAX_NOTE:
        out.append(Problem("note", "string_too_long", {"max_length": MAX_NOTE}))
    if any(unicodedata.category(ch) == "Cc" and ch not in "\n\t\r" for ch in note):
        out.append(Problem("note", "control_chars", {}))
    if not isinstance(entry.decided_at, datetime):
        out.append(Problem("decided_at", "datetime_type", {}))
    elif entry.decided_at.date() > today:
        out.append(Problem("decided_at", "future_date", {"today": today.isoformat()}))
    return out


def insert_feedback(
    engine: sa.Engine, scope: Scope, entry: FeedbackEntry, username: str, today: date
) -> int:
    """Validate and record one answer plus its audit entry in one transaction; its feedback_id."""
    problems = feedback_problems(entry, today)
    if problems:
        raise InvalidFeedback(problems)
    with engine.begin() as conn:
        branch_id = home_branch(conn, scope, entry.customer_id)
        if branch_id is None:
            raise InvalidFeedback([Problem("customer_id", "out_of_scope", {})])
        note = (entry.note or "").strip() or None
        row = asdict(entry) | {"branch_id": branch_id, "note": note}  # fields are its columns
        feedback_id = conn.execute(
            nbp_feedback.insert().values(row).returning(nbp_feedback.c.feedback_id)
        ).scalar_one()
        audit.record(
            conn,
            username,
            "nbp_feedback",
            target=f"customer {entry.customer_id}: {entry.product}",
            detail=f"{entry.decision} ({entry.reason}); rule {entry.rule or '—'}",
            at=entry.decided_at,
        )
    return int(feedback_id)


def select_feedback_outcomes(period: Period, selection: Selection, window_days: int) -> sa.Select:
    """Answers given in the period in view, each with the first opening of the suggested product
    from the day of the answer to ``window_days`` after it (null: not opened in the window)."""
    f = nbp_feedback.c
    h = product_holdings.c
    day = sa.cast(f.decided_at, sa.Date)
    opened = (
        sa.select(sa.func.min(h.opened_on))
        .where(
            h.customer_id == f.customer_id,
            h.product == f.product,
            h.opened_on >= day,
            sa.cast(h.opened_on, sa.DateTime)
            <= f.decided_at + sa.bindparam("window", timedelta(days=window_days), sa.Interval),
        )
        .scalar_subquery()
    )
    stmt = (
        sa.select(
            f.feedback_id,
            f.customer_id,
            f.branch_id,
            f.officer_id,
            officers.c.name.label("officer_name"),
            f.product,
            f.rule,
            f.decision,
            f.reason,
            f.decided_at,
            opened.label("opened_on"),
        )
        .select_from(nbp_feedback.outerjoin(officers, officers.c.officer_id == f.officer_id))
        .where(f.decided_at >= period.start_ts, f.decided_at < period.end_ts)
    )
    stmt = restrict(stmt, selection, branch_col=f.branch_id, officer_col=f.officer_id)
    return stmt.order_by(f.decided_at, f.feedback_id)


def fetch_feedback_outcomes(
    conn: sa.Connection, period: Period, selection: Selection, window_days: int
) -> pl.DataFrame:
    """OUTCOME_SCHEMA: one row per answer of the period in view."""
    return frame(conn, select_feedback_outcomes(period, selection, window_days))


def fetch_customer_feedback(conn: sa.Connection, scope: Scope, customer_id: int) -> pl.DataFrame:
    """The customer's answers, newest first: product, decision, reason, decided_at."""
    f = nbp_feedback.c
    stmt = sa.select(f.product, f.decision, f.reason, f.decided_at).where(
        f.customer_id == customer_id
    )
    stmt = apply_scope(stmt, scope, f.branch_id, f.officer_id)
    schema = {
        "product": pl.String(),
        "decision": pl.String(),
        "reason": pl.String(),
        "decided_at": pl.Datetime("us"),
    }
    return frame(conn, stmt.order_by(f.decided_at.desc(), f.feedback_id.desc()), schema)
