"""The audit log: one row per sign-in, failed attempt, page view, customer search and customer
opened, export, unmasking.

Every entry is written by ``record`` (which knows every action). The app only ever inserts here;
the one delete is ``prune``, the retention purge of entries older than the standard's
``alerts.audit_retention_days`` (six months at the least). On PostgreSQL the database itself
refuses any other change (``data_access.audit_guard``). Large exports wait for an admin's approval
(``export_approvals``): ``request_export`` / ``decide`` / ``use_approval``.
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta

import polars as pl
import sqlalchemy as sa

from data_access.audit_guard import RETENTION_FLOOR_DAYS
from data_access.errors import InvalidFilter
from data_access.queries._frames import frame
from data_access.schema import audit_log, export_approvals
from data_access.selection import Period
from metrics.codes import AUDIT_ACTIONS

RETENTION_DAYS = RETENTION_FLOOR_DAYS  # the least any standard may keep entries (six months)

ACTIONS = AUDIT_ACTIONS  # defined once in the code registry, labelled in locales

AUDIT_SCHEMA = {
    "audit_id": pl.Int64,
    "occurred_at": pl.Datetime("us"),
    "username": pl.String,
    "action": pl.String,
    "target": pl.String,
    "detail": pl.String,
    "row_count": pl.Int64,
}
APPROVAL_SCHEMA = {
    "approval_id": pl.Int64,
    "requested_by": pl.String,
    "requested_at": pl.Datetime("us"),
    "target": pl.String,
    "row_count": pl.Int64,
    "filters": pl.String,
    "status": pl.String,
    "decided_by": pl.String,
    "decided_at": pl.Datetime("us"),
}


def now() -> datetime:
    """The time written into the log (local wall clock, to the second)."""
    return datetime.now().replace(microsecond=0)


def record(
    conn: sa.Connection,
    username: str,
    action: str,
    *,
    target: str | None = None,
    detail: dict | str | None = None,
    row_count: int | None = None,
    at: datetime | None = None,
) -> None:
    """Append one entry (the caller commits). ``detail`` is JSON text (filters, reason, file)."""
    if action not in ACTIONS:
        raise InvalidFilter(f"unknown audit action {action!r}")
    if isinstance(detail, dict):
        detail = json.dumps(detail, ensure_ascii=False, sort_keys=True, default=str)
    conn.execute(
        audit_log.insert().values(
            occurred_at=at or now(),
            username=(username or "?")[:64],
            action=action,
            target=None if target is None else str(target)[:128],
            detail=detail,
            row_count=row_count,
        )
    )


def log(engine: sa.Engine, username: str, action: str, **kwargs: object) -> None:
    """``record`` in its own transaction."""
    with engine.begin() as conn:
        record(conn, username, action, **kwargs)  # type: ignore[arg-type]


def fetch_audit(
    conn: sa.Connection,
    period: Period,
    username: str | None = None,
    actions: tuple[str, ...] = (),
    limit: int = 5_000,
) -> pl.DataFrame:
    """Entries of the period's days, newest first, optionally of one user and some actions."""
    a = audit_log.c
    stmt = sa.select(*(a[c] for c in AUDIT_SCHEMA)).where(
        a.occurred_at >= period.start_ts, a.occurred_at < period.end_ts
    )
    if username:
        stmt = stmt.where(a.username == username)
    if actions:
        stmt = stmt.where(a.action.in_(list(actions)))
    return frame(conn, stmt.order_by(a.audit_id.desc()).limit(int(limit)), AUDIT_SCHEMA)


def prune(conn: sa.Connection, older_than_days: int, at: datetime | None = None) -> int:
    """The retention purge: delete entries older than ``older_than_days`` (the standard's
    ``alerts.audit_retention_days``, never under RETENTION_DAYS); rows deleted."""
    if older_than_days < RETENTION_DAYS:
        raise InvalidFilter(
            f"the audit log is kept at least {RETENTION_DAYS} days; refusing {older_than_days}"
        )
    cutoff = (at or now()) - timedelta(days=older_than_days)
    return conn.execute(audit_log.delete().where(audit_log.c.occurred_at < cutoff)).rowcount


# --- approvals of large exports ----------------------------------------------------------------


def request_export(
    conn: sa.Connection, username: str, target: str, row_count: int, filters: dict
) -> int:
    """Ask an admin to approve an export; the approval id (an open request is reused)."""
    e = export_approvals.c
    text = json.dumps(filters, ensure_ascii=False, sort_keys=True, default=str)
    open_ = conn.execute(
        sa.select(e.approval_id).where(
            e.requested_by == username,
            e.target == target[:128],
            e.filters == text,
            e.status.in_(["pending", "approved"]),
        )
    ).scalar()
    if open_ is not None:
        return int(open_)
    conn.execute(
        export_approvals.insert().values(
            requested_by=username,
            requested_at=now(),
            target=target[:128],
            row_count=row_count,
            filters=text,
            status="pending",
        )
    )
    approval_id = conn.execute(
        sa.select(sa.func.max(e.approval_id)).where(e.requested_by == username)
    ).scalar_one()
    record(conn, username, "export_request", target=target, detail=text, row_count=row_count)
    return int(approval_id)


def approval_status(conn: sa.Connection, username: str, target: str, filters: dict) -> str | None:
    """Status of the user's latest request for this export ('pending', 'approved', ...) or None."""
    e = export_approvals.c
    text = json.dumps(filters, ensure_ascii=False, sort_keys=True, default=str)
    return conn.execute(
        sa.select(e.status)
        .where(e.requested_by == username, e.target == target[:128], e.filters == text)
        .order_by(e.approval_id.desc())
        .limit(1)
    ).scalar()


def use_approval(conn: sa.Connection, username: str, target: str, filters: dict) -> bool:
    """Consume an approved request for this export (one approval, one file); True if there was one."""
    e = export_approvals.c
    text = json.dumps(filters, ensure_ascii=False, sort_keys=True, default=str)
    done = conn.execute(
        export_approvals.update()
        .where(
            e.requested_by == username,
            e.target == target[:128],
            e.filters == text,
            e.status == "approved",
        )
        .values(status="used")
    ).rowcount
    return done > 0


def decide(conn: sa.Connection, approval_id: int, admin: str, approve: bool) -> None:
    """An admin approves or rejects a pending request (never their own)."""
    e = export_approvals.c
    row = conn.execute(
        sa.select(e.requested_by, e.status, e.target, e.row_count).where(
            e.approval_id == approval_id
        )
    ).one_or_none()
    if row is None or row.status != "pending":
        raise InvalidFilter(f"no pending export request {approval_id}")
    if row.requested_by == admin:
        raise InvalidFilter("an export request is decided by another administrator")
    status = "approved" if approve else "rejected"
    conn.execute(
        export_approvals.update()
        .where(e.approval_id == approval_id)
        .values(status=status, decided_by=admin, decided_at=now())
    )
    record(
        conn,
        admin,
        "export_decision",
        target=row.target,
        detail={"approval_id": approval_id, "status": status, "requested_by": row.requested_by},
        row_count=row.row_count,
    )


def fetch_approvals(conn: sa.Connection, status: str | None = "pending") -> pl.DataFrame:
    """Export requests (pending by default), newest first."""
    e = export_approvals.c
    stmt = sa.select(*(e[c] for c in APPROVAL_SCHEMA))
    if status:
        stmt = stmt.where(e.status == status)
    return frame(conn, stmt.order_by(e.approval_id.desc()), APPROVAL_SCHEMA)
