"""Information quality, aggregated in SQL: filled profile fields, stale profiles, contradiction evidence.

Everything is counted per officer or per customer in the database; no raw footprints leave it.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

import polars as pl
import sqlalchemy as sa

from data_access.filters import apply_owner_scope
from data_access.masking import personal
from data_access.queries import activity
from data_access.queries._frames import frame
from data_access.schema import customers, footprints, loan_applications
from data_access.selection import Period, Selection, restrict, within

# how a list of customers names each one (the link to the customer page, the officer, the name)
NAMED_CUSTOMER = (
    customers.c.customer_id,
    customers.c.branch_id,
    customers.c.officer_id,
    customers.c.name,
)
FILL_SCHEMA = {
    "officer_id": pl.Int64,
    "branch_id": pl.Int64,
    "field": pl.String,
    "customers": pl.Int64,
    "filled": pl.Int64,
}
PROFILE_EVIDENCE_SCHEMA = {
    "customer_id": pl.Int64,
    "branch_id": pl.Int64,
    "officer_id": pl.Int64,
    "name": pl.String,
    "declared_income": pl.Float64,
    "observed_inflow": pl.Float64,
    "inflow_count": pl.Int64,
}
APPLICATION_EVIDENCE_SCHEMA = {
    "application_id": pl.Int64,
    "customer_id": pl.Int64,
    "branch_id": pl.Int64,
    "officer_id": pl.Int64,
    "name": pl.String,
    "applied_on": pl.Date,
    "product": pl.String,
    "amount": pl.Float64,
    "declared_income": pl.Float64,
    "declared_place": pl.String,
    "observed_inflow": pl.Float64,
    "inflow_count": pl.Int64,
    "declared_place_seen": pl.Int64,
}
PLACES_SCHEMA = {"customer_id": pl.Int64, "place": pl.String, "n": pl.Int64}

# Money in that is not income: a loan drawn is the bank's own money, interest is the bank's.
NOT_INCOME_KINDS = ("loan_draw", "interest")
INFLOW_LOOKBACK_DAYS = 365


def _open_on(day: date) -> sa.ColumnElement[bool]:
    """Customers open on ``day`` (opened by then, not closed yet)."""
    c = customers.c
    return sa.and_(c.opened_on <= day, sa.or_(c.closed_on.is_(None), c.closed_on > day))


def _filled(col: sa.Column) -> sa.ColumnElement:
    """COUNT of filled values; an empty string is not filled."""
    if isinstance(col.type, sa.String):
        return sa.func.count(sa.func.nullif(sa.func.trim(col), ""))
    return sa.func.count(col)


def select_profile_fill(period: Period, selection: Selection, fields: tuple[str, ...]) -> sa.Select:
    """Per officer: open customers at the period end and COUNT(field) for each profile field."""
    unknown = [f for f in fields if f not in customers.c]
    if unknown:
        raise ValueError(f"profile fields not in customers: {unknown}")
    c = customers.c
    stmt = (
        sa.select(
            c.officer_id,
            c.branch_id,
            sa.func.count().label("customers"),
            *(_filled(c[f]).label(f"filled__{f}") for f in fields),
        )
        .where(_open_on(period.end))
        .group_by(c.officer_id, c.branch_id)
    )
    stmt = restrict(stmt, selection, branch_col=c.branch_id, officer_col=c.officer_id)
    return stmt.order_by(c.branch_id, c.officer_id)


def fetch_profile_fill(
    conn: sa.Connection, period: Period, selection: Selection, fields: tuple[str, ...]
) -> pl.DataFrame:
    """officer_id, branch_id, field, customers, filled: one row per officer's book and field."""
    schema = {"officer_id": pl.Int64, "branch_id": pl.Int64, "customers": pl.Int64}
    schema |= {f"filled__{f}": pl.Int64 for f in fields}
    wide = frame(conn, select_profile_fill(period, selection, fields), schema)
    long = wide.unpivot(
        index=["officer_id", "branch_id", "customers"],
        on=[f"filled__{f}" for f in fields],
        variable_name="field",
        value_name="filled",
    ).with_columns(pl.col("field").str.strip_prefix("filled__"))
    return long.select(list(FILL_SCHEMA)).cast(FILL_SCHEMA)  # type: ignore[arg-type]


def select_staleness(period: Period, selection: Selection, cutoff: date) -> sa.Select:
    """Per officer: open customers, profiles never updated, profiles last updated before ``cutoff``."""
    c = customers.c
    cut = sa.bindparam("stale_cutoff", cutoff, type_=sa.Date)
    stmt = (
        sa.select(
            c.officer_id,
            c.branch_id,
            sa.func.count().label("customers"),
            sa.func.count().filter(c.profile_updated_on.is_(None)).label("never_updated"),
            sa.func.count().filter(c.profile_updated_on < cut).label("stale"),
        )
        .where(_open_on(period.end))
        .group_by(c.officer_id, c.branch_id)
    )
    stmt = restrict(stmt, selection, branch_col=c.branch_id, officer_col=c.officer_id)
    return stmt.order_by(c.branch_id, c.officer_id)


def fetch_staleness(
    conn: sa.Connection, period: Period, selection: Selection, cutoff: date
) -> pl.DataFrame:
    """officer_id, branch_id, customers, never_updated, stale (updated before ``cutoff``)."""
    return frame(conn, select_staleness(period, selection, cutoff))


def _is_income(fp: sa.Table) -> sa.ColumnElement[bool]:
    return sa.and_(
        fp.c.direction == sa.bindparam(None, "in", type_=sa.String),
        fp.c.kind.not_in(NOT_INCOME_KINDS),
    )


def select_profile_income_evidence(
    period: Period, selection: Selection, min_ratio: float
) -> sa.Select:
    """Open customers whose declared income is at least ``min_ratio`` × inflows in the year to the period end.

    The ratio prefilter keeps the answer to the candidates (a county bank has a million profiles);
    the metric applies the standard's rule again and builds the evidence.
    """
    end_ts = period.end_ts
    start_ts = end_ts - timedelta(days=INFLOW_LOOKBACK_DAYS)
    fp = footprints
    inflows = sa.select(
        fp.c.customer_id,
        sa.func.sum(fp.c.amount).label("observed_inflow"),
        sa.func.count().label("inflow_count"),
    ).where(_is_income(fp), fp.c.occurred_at >= start_ts, fp.c.occurred_at < end_ts)
    return income_evidence_from(inflows, fp, period, selection, min_ratio)


def income_evidence_from(
    inflows: sa.Select, source: sa.Table, period: Period, selection: Selection, min_ratio: float
) -> sa.Select:
    """Open customers with declared income ≥ ``min_ratio`` × the per-customer ``inflows``.

    ``inflows`` selects customer_id, observed_inflow, inflow_count (ungrouped) from ``source``,
    a table with customer_id and branch_id; the live query and the mart read share the rest.
    """
    c = customers.c
    # the branch part alone, a cheap pre-filter before grouping; the officers apply on customers
    inflows = restrict(inflows, selection.branches_only(), branch_col=source.c.branch_id)
    inflows = inflows.group_by(source.c.customer_id).subquery("inflows")
    observed = sa.func.coalesce(inflows.c.observed_inflow, 0.0)
    stmt = (
        sa.select(
            *NAMED_CUSTOMER,
            c.declared_income,
            observed.label("observed_inflow"),
            sa.func.coalesce(inflows.c.inflow_count, 0).label("inflow_count"),
        )
        .select_from(customers.outerjoin(inflows, inflows.c.customer_id == c.customer_id))
        .where(_open_on(period.end), c.declared_income > 0)
        .where(c.declared_income >= sa.bindparam("min_ratio", min_ratio, sa.Double) * observed)
    )
    stmt = restrict(stmt, selection, branch_col=c.branch_id, officer_col=c.officer_id)
    return stmt.order_by(c.customer_id)


# The activity mart answers when it was refreshed for the period's end (likewise below).
fetch_profile_income_evidence = personal(
    activity.mart_first(
        select_profile_income_evidence,
        activity.fetch_profile_income_evidence,
        PROFILE_EVIDENCE_SCHEMA,
        "customer_id, branch_id, officer_id, name, declared_income, observed_inflow, inflow_count.",
    )
)


def _applications(stmt: sa.Select, period: Period, selection: Selection) -> sa.Select:
    """Restrict a select on loan_applications to the scope, the period and the sidebar lists."""
    la, c = loan_applications, customers.c
    # current-owner rule: the application follows its customer's branch and officer of today
    stmt = apply_owner_scope(stmt, selection.scope, la.c.customer_id)
    if selection.branch_ids or selection.officer_ids:
        picks = Selection(branch_ids=selection.branch_ids, officer_ids=selection.officer_ids)
        listed = restrict(
            sa.select(c.customer_id), picks, branch_col=c.branch_id, officer_col=c.officer_id
        )
        stmt = stmt.where(la.c.customer_id.in_(listed))
    return within(stmt, period, la.c.applied_on)


def select_application_evidence(period: Period, selection: Selection) -> sa.Select:
    """Loan applications made in the period with inflows in the year before each, and place hits.

    One join of the applications to their customers' footprints with filtered aggregates (not
    correlated subqueries): one pass over the footprints, whatever the number of applications.
    """
    la = loan_applications
    apps = _applications(
        sa.select(la.c.application_id, la.c.customer_id, la.c.applied_on, la.c.declared_place),
        period,
        selection,
    ).subquery("apps")
    evidence = application_inflows(apps, period.end_ts).subquery("evidence")
    return applications_with_evidence(evidence, period, selection)


def application_inflows(apps: sa.Subquery, seen_until: datetime) -> sa.Select:
    """Per application of ``apps``: income inflows in the year before it, and footprints at the
    declared place, both from footprints before ``seen_until`` (the live query and the mart)."""
    fp = footprints
    applied_ts = sa.cast(apps.c.applied_on, sa.DateTime)
    since = applied_ts - sa.bindparam(
        "lookback", timedelta(days=INFLOW_LOOKBACK_DAYS), type_=sa.Interval
    )
    in_year = sa.and_(_is_income(fp), fp.c.occurred_at >= since, fp.c.occurred_at < applied_ts)
    return (
        sa.select(
            apps.c.application_id,
            sa.func.sum(fp.c.amount).filter(in_year).label("observed_inflow"),
            sa.func.count().filter(in_year).label("inflow_count"),
            sa.func.count().filter(fp.c.place == apps.c.declared_place).label("place_seen"),
        )
        .select_from(
            apps.join(
                fp,
                sa.and_(
                    fp.c.customer_id == apps.c.customer_id,
                    fp.c.occurred_at < sa.bindparam("seen_until", seen_until, sa.DateTime),
                ),
            )
        )
        .group_by(apps.c.application_id)
    )


def applications_with_evidence(
    evidence: sa.FromClause, period: Period, selection: Selection
) -> sa.Select:
    """The period's applications in view joined to ``evidence`` (application_id, observed_inflow,
    inflow_count, place_seen: a subquery or the mart), no evidence read as zero."""
    la = loan_applications
    stmt = sa.select(
        la.c.application_id,
        la.c.customer_id,
        customers.c.branch_id,
        customers.c.officer_id,
        customers.c.name,
        la.c.applied_on,
        la.c.product,
        la.c.amount,
        la.c.declared_income,
        la.c.declared_place,
        sa.func.coalesce(evidence.c.observed_inflow, 0.0).label("observed_inflow"),
        sa.func.coalesce(evidence.c.inflow_count, 0).label("inflow_count"),
        sa.func.coalesce(evidence.c.place_seen, 0).label("declared_place_seen"),
    ).select_from(
        la.outerjoin(customers, customers.c.customer_id == la.c.customer_id).outerjoin(
            evidence, evidence.c.application_id == la.c.application_id
        )
    )
    return _applications(stmt, period, selection).order_by(la.c.applied_on, la.c.application_id)


fetch_application_evidence = personal(
    activity.mart_first(
        select_application_evidence,
        activity.fetch_application_evidence,
        APPLICATION_EVIDENCE_SCHEMA,
        "One row per application in the period with declared income / place and observed evidence.",
    )
)


def select_applicant_places(period: Period, selection: Selection) -> sa.Select:
    """Places where applicants of the period left footprints (up to the period end), with counts."""
    la = loan_applications
    fp = footprints
    applicants = _applications(sa.select(la.c.customer_id), period, selection)
    stmt = (
        sa.select(fp.c.customer_id, fp.c.place, sa.func.count().label("n"))
        .where(fp.c.customer_id.in_(applicants.scalar_subquery()))
        .where(fp.c.place.is_not(None), fp.c.occurred_at < period.end_ts)
        .group_by(fp.c.customer_id, fp.c.place)
    )
    return stmt.order_by(fp.c.customer_id, sa.desc("n"), fp.c.place)


fetch_applicant_places = activity.mart_first(
    select_applicant_places,
    activity.fetch_applicant_places,
    PLACES_SCHEMA,
    "customer_id, place, n: where the period's applicants were seen.",
)
