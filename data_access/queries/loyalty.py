"""Loyalty and retention, aggregated in SQL: per-customer loyalty inputs, cohort and weekly
activity counts, tier migration, the loyalty mart and contact details for the churn list.

"Active" means a self-initiated footprint (a salary credit alone is not the customer acting).
Windows end on ``as_of`` inclusive. Scope and the sidebar filters are applied in SQL: branches
and officers on ``customers``, tiers on the value mart's current tier.
"""

from __future__ import annotations

import warnings
from datetime import date, timedelta

import polars as pl
import sqlalchemy as sa

from data_access.errors import DataUnavailable
from data_access.filters import Scope, apply_scope
from data_access.masking import personal
from data_access.queries import activity
from data_access.queries._frames import frame, schema_of
from data_access.queries._sql import (
    OUTFLOW_COUNTERPARTIES,
    any_of,
    count_if,
    month_of,
    sum_if,
    ts,
    week_of,
)
from data_access.schema import (
    customer_loyalty,
    customer_tier_months,
    customer_value,
    customers,
    footprints,
    product_holdings,
)
from data_access.selection import Selection, restrict, restrict_table
from metrics.loyalty import COMPONENTS, INPUT_COLUMNS
from metrics.retention import COHORT_ACTIVITY_SCHEMA, COHORT_SIZE_SCHEMA, WEEKLY_COUNT_SCHEMA

INCOME_KINDS = ("salary", "pension", "subsidy")
COMPONENT_COLUMNS = COMPONENTS  # the loyalty standard's components, named in metrics.loyalty

# metrics.loyalty's input contract, with the scope columns and what the churn list shows.
INPUT_SCHEMA: dict[str, pl.DataType] = {
    "customer_id": pl.Int64,
    "branch_id": pl.Int64,
    "officer_id": pl.Int64,
    **{c: t for c, t in INPUT_COLUMNS.items() if c != "customer_id"},
    "aum": pl.Float64,
    "clv": pl.Float64,
    "tier": pl.String,
    "rfm_segment": pl.String,
}
MART_SCHEMA: dict[str, pl.DataType] = {
    "customer_id": pl.Int64,
    "branch_id": pl.Int64,
    "officer_id": pl.Int64,
    "loyalty": pl.Float64,
    **{c: pl.Float64 for c in COMPONENT_COLUMNS},
    "churn_risk": pl.Boolean,
    "churn_reason": pl.String,
    "aum": pl.Float64,
    "clv": pl.Float64,
    "tier": pl.String,
}
SUMMARY_SCHEMA: dict[str, pl.DataType] = {
    "customers": pl.Int64,
    "average": pl.Float64,
    **{c: pl.Float64 for c in COMPONENT_COLUMNS},
    "at_risk": pl.Int64,
    "value_at_stake": pl.Float64,
}
CHURN_SCHEMA: dict[str, pl.DataType] = {
    "customer_id": pl.Int64,
    "branch_id": pl.Int64,
    "officer_id": pl.Int64,
    "loyalty": pl.Float64,
    **{c: pl.Float64 for c in COMPONENT_COLUMNS},
    "value_at_stake": pl.Float64,
    "churn_reason": pl.String,
    "name": pl.String,
    "phone": pl.String,
}


def _bulk_frame(
    conn: sa.Connection, stmt: sa.Select, schema: dict[str, pl.DataType] | None = None
) -> pl.DataFrame:
    """``frame`` for customer-level results: on DuckDB the rows come back as Arrow (about 20×
    faster than Python rows at a million customers); elsewhere the shared ``frame``."""
    schema = schema_of(stmt) if schema is None else schema
    if conn.dialect.name != "duckdb":
        return frame(conn, stmt, schema)
    try:
        with warnings.catch_warnings():
            # the extra copy it warns about is still far cheaper than Python rows
            warnings.filterwarnings("ignore", "Arrow output on a DB-API result", UserWarning)
            table = conn.execute(stmt).cursor.to_arrow_table()
    except sa.exc.DBAPIError as exc:
        raise DataUnavailable(f"query failed: {str(exc.orig).splitlines()[0]}") from exc
    missing = [c for c in schema if c not in table.column_names]
    if missing:
        raise ValueError(f"query did not return columns {missing}")
    return pl.from_arrow(table.select(list(schema))).cast(schema)  # type: ignore[union-attr]


def _fact_prefilter(stmt: sa.Select, table: sa.Table, selection: Selection) -> sa.Select:
    """Cheap branch pre-filter on a fact table (its branch_id is the customer's) before grouping;
    the officer part of the scope is applied on ``customers`` (fact rows carry no officer)."""
    return restrict(stmt, selection.branches_only(), branch_col=table.c.branch_id)


def _customers_in_view(stmt: sa.Select, selection: Selection, as_of: date) -> sa.Select:
    """Customers the scope may see, in the sidebar's branches / officers / tiers, open on as_of."""
    c = customers.c
    stmt = stmt.where(c.opened_on <= as_of, sa.or_(c.closed_on.is_(None), c.closed_on > as_of))
    return restrict_table(stmt, selection, customers)


def select_loyalty_inputs(
    selection: Selection,
    as_of: date,
    *,
    lookback_days: int = 180,
    trend_days: int = 90,
) -> sa.Select:
    """One row per customer in view: the aggregates ``metrics.loyalty.loyalty_scores`` reads,
    plus branch, officer, and the value mart's p_alive, aum, clv and tier (null when absent)."""
    end = ts(as_of + timedelta(days=1))
    signals_from = end - timedelta(days=lookback_days)
    recent_from = end - timedelta(days=trend_days)
    prior_from = end - timedelta(days=2 * trend_days)

    f = footprints.c
    fp = _fact_prefilter(
        sa.select(
            f.customer_id,
            any_of(
                sa.and_(
                    f.kind.in_(INCOME_KINDS), f.direction == "in", f.occurred_at >= signals_from
                )
            ).label("income"),
            any_of(sa.and_(f.kind == "bill_payment", f.occurred_at >= signals_from)).label("bills"),
            any_of(sa.and_(f.channel == "mobile", f.occurred_at >= signals_from)).label("mobile"),
            count_if(sa.and_(f.self_initiated.is_(True), f.occurred_at >= recent_from)).label(
                "tx_recent"
            ),
            count_if(
                sa.and_(
                    f.self_initiated.is_(True),
                    f.occurred_at >= prior_from,
                    f.occurred_at < recent_from,
                )
            ).label("tx_prior"),
            sum_if(
                sa.and_(
                    f.direction == "out",
                    f.counterparty_type.in_(OUTFLOW_COUNTERPARTIES),
                    f.occurred_at >= signals_from,
                ),
                f.amount,
            ).label("out_external"),
            sum_if(sa.and_(f.direction == "out", f.occurred_at >= signals_from), f.amount).label(
                "out_total"
            ),
        ).where(f.occurred_at >= min(signals_from, prior_from), f.occurred_at < end),
        footprints,
        selection,
    )
    fp = fp.group_by(f.customer_id).subquery("fp")

    h = product_holdings.c
    held = _fact_prefilter(
        sa.select(
            h.customer_id,
            sa.func.count(
                sa.distinct(
                    sa.case((sa.or_(h.closed_on.is_(None), h.closed_on > as_of), h.product))
                )
            ).label("product_types"),
            sa.func.min(h.opened_on).label("first_held"),
        ).where(h.opened_on <= as_of),
        product_holdings,
        selection,
    )
    held = held.group_by(h.customer_id).subquery("held")

    c, v = customers.c, customer_value.c
    zero = sa.literal(0)
    stmt = (
        sa.select(
            c.customer_id,
            c.branch_id,
            c.officer_id,
            sa.func.coalesce(held.c.product_types, zero).label("product_types"),
            sa.func.least(c.opened_on, sa.func.coalesce(held.c.first_held, c.opened_on)).label(
                "first_opened"
            ),
            (sa.func.coalesce(fp.c.income, zero) > 0).label("income_credited"),
            (sa.func.coalesce(fp.c.bills, zero) > 0).label("bills_paid"),
            (sa.func.coalesce(fp.c.mobile, zero) > 0).label("mobile_used"),
            sa.func.coalesce(fp.c.tx_recent, zero).label("tx_recent"),
            sa.func.coalesce(fp.c.tx_prior, zero).label("tx_prior"),
            sa.func.coalesce(fp.c.out_external, 0.0).label("out_external"),
            sa.func.coalesce(fp.c.out_total, 0.0).label("out_total"),
            v.p_alive,
            v.aum,
            v.clv,
            v.tier,
            v.rfm_segment,
        )
        .select_from(
            customers.outerjoin(fp, fp.c.customer_id == c.customer_id)
            .outerjoin(held, held.c.customer_id == c.customer_id)
            .outerjoin(customer_value, v.customer_id == c.customer_id)
        )
        .order_by(c.customer_id)
    )
    return _customers_in_view(stmt, selection, as_of)


def fetch_loyalty_inputs(
    conn: sa.Connection,
    selection: Selection,
    as_of: date,
    *,
    lookback_days: int = 180,
    trend_days: int = 90,
) -> pl.DataFrame:
    """Per-customer loyalty inputs (INPUT_SCHEMA) for the customers in view on ``as_of``."""
    stmt = select_loyalty_inputs(
        selection, as_of, lookback_days=lookback_days, trend_days=trend_days
    )
    return _bulk_frame(conn, stmt, INPUT_SCHEMA)


def select_cohort_sizes(selection: Selection, since: date, as_of: date) -> sa.Select:
    """Customers in view per month of first opening, for cohorts from ``since``'s month."""
    c = customers.c
    cohort = month_of(c.opened_on)
    stmt = sa.select(cohort.label("cohort_month"), sa.func.count().label("customers")).where(
        c.opened_on >= since.replace(day=1)
    )
    stmt = _customers_in_view(stmt, selection, as_of)
    return stmt.group_by(cohort).order_by(cohort)


def fetch_cohort_sizes(
    conn: sa.Connection, selection: Selection, since: date, as_of: date
) -> pl.DataFrame:
    """cohort_month, customers."""
    return frame(conn, select_cohort_sizes(selection, since, as_of), COHORT_SIZE_SCHEMA)


def select_cohort_activity(selection: Selection, since: date, as_of: date) -> sa.Select:
    """cohort_month, month, active (customers active that month), last_active (customers whose
    last active month up to as_of it is), for cohorts from ``since``'s month."""
    start = since.replace(day=1)
    f, c = footprints.c, customers.c
    month = month_of(f.occurred_at)
    active_months = _fact_prefilter(
        sa.select(f.customer_id, month.label("month"))
        .where(
            f.self_initiated.is_(True),
            f.occurred_at >= ts(start),
            f.occurred_at < ts(as_of + timedelta(days=1)),
        )
        .distinct(),
        footprints,
        selection,
    ).subquery("am")
    cohort = month_of(c.opened_on)
    per_customer = _customers_in_view(
        sa.select(c.customer_id, cohort.label("cohort_month"), active_months.c.month.label("month"))
        .select_from(customers.join(active_months, active_months.c.customer_id == c.customer_id))
        .where(c.opened_on >= start, active_months.c.month >= cohort),
        selection,
        as_of,
    ).subquery("pc")
    last = (
        sa.select(
            per_customer.c.cohort_month, sa.func.max(per_customer.c.month).label("last_month")
        )
        .group_by(per_customer.c.customer_id, per_customer.c.cohort_month)
        .subquery("last")
    )
    both = sa.union_all(
        sa.select(
            per_customer.c.cohort_month,
            per_customer.c.month,
            sa.literal(1).label("a"),
            sa.literal(0).label("l"),
        ),
        sa.select(
            last.c.cohort_month,
            last.c.last_month.label("month"),
            sa.literal(0).label("a"),
            sa.literal(1).label("l"),
        ),
    ).subquery("both")
    return (
        sa.select(
            both.c.cohort_month,
            both.c.month,
            sa.func.sum(both.c.a).label("active"),
            sa.func.sum(both.c.l).label("last_active"),
        )
        .group_by(both.c.cohort_month, both.c.month)
        .order_by(both.c.cohort_month, both.c.month)
    )


# The activity mart answers when it was refreshed for as_of (likewise the weekly counts below).
fetch_cohort_activity = activity.mart_first(
    select_cohort_activity,
    activity.fetch_cohort_activity,
    COHORT_ACTIVITY_SCHEMA,
    "cohort_month, month, active, last_active (see ``select_cohort_activity``).",
)


def select_weekly_activity(selection: Selection, since: date, as_of: date) -> sa.Select:
    """week, prev_gap (0 first activity ever, 1 active the week before, 2 earlier), next_consecutive,
    customers — for weeks from the one before ``since``'s week up to ``as_of``'s week.

    Active weeks are listed only inside that window; before it, one row per customer (the last
    active week) is enough to tell "returning" / "resurrecting" from "new" (first activity ever)."""
    f, c = footprints.c, customers.c
    first_week = since - timedelta(days=since.weekday() + 7)
    start, end = ts(first_week), ts(as_of + timedelta(days=1))
    in_view = _customers_in_view(sa.select(c.customer_id), selection, as_of)
    active = (f.self_initiated.is_(True), f.customer_id.in_(in_view))
    inside = _fact_prefilter(
        sa.select(f.customer_id, week_of(f.occurred_at).label("week"))
        .where(*active, f.occurred_at >= start, f.occurred_at < end)
        .distinct(),
        footprints,
        selection,
    )
    before = _fact_prefilter(
        sa.select(f.customer_id, week_of(sa.func.max(f.occurred_at)).label("week"))
        .where(*active, f.occurred_at < start)
        .group_by(f.customer_id),
        footprints,
        selection,
    )
    weeks = sa.union_all(inside, before).subquery("w")
    order = {"partition_by": weeks.c.customer_id, "order_by": weeks.c.week}
    gaps = sa.select(
        weeks.c.week,
        (weeks.c.week - sa.func.lag(weeks.c.week).over(**order)).label("gap_before"),
        (sa.func.lead(weeks.c.week).over(**order) - weeks.c.week).label("gap_after"),
    ).subquery("g")
    prev_gap = sa.case((gaps.c.gap_before.is_(None), 0), (gaps.c.gap_before == 7, 1), else_=2)
    next_consecutive = sa.case((gaps.c.gap_after == 7, True), else_=False)
    return (
        sa.select(
            gaps.c.week,
            prev_gap.label("prev_gap"),
            next_consecutive.label("next_consecutive"),
            sa.func.count().label("customers"),
        )
        .where(gaps.c.week >= first_week)
        .group_by(gaps.c.week, prev_gap, next_consecutive)
        .order_by(gaps.c.week, prev_gap, next_consecutive)
    )


fetch_weekly_activity = activity.mart_first(
    select_weekly_activity,
    activity.fetch_weekly_activity,
    WEEKLY_COUNT_SCHEMA,
    "Weekly activity counts for ``metrics.retention.lifecycle``.",
)


def fetch_latest_tier_months(conn: sa.Connection, as_of: date) -> tuple[date, date] | None:
    """The last two months in customer_tier_months on or before ``as_of`` (None when fewer)."""
    t = customer_tier_months.c
    months = (
        conn.execute(
            sa.select(t.month).where(t.month <= as_of).distinct().order_by(t.month.desc()).limit(2)
        )
        .scalars()
        .all()
    )
    return (months[1], months[0]) if len(months) == 2 else None


def _mart_in_view(stmt: sa.Select, selection: Selection) -> sa.Select:
    """The mart rows of the customers in view (the value mart joined for tier and AUM)."""
    m, v = customer_loyalty.c, customer_value.c
    stmt = stmt.select_from(
        customer_loyalty.outerjoin(customer_value, v.customer_id == m.customer_id)
    )
    return restrict(
        stmt, selection, branch_col=m.branch_id, officer_col=m.officer_id, tier_col=v.tier
    )


def _churn_reason(m: sa.ColumnCollection, v: sa.ColumnCollection) -> sa.ColumnElement:
    """The reason behind the mart's churn flag (metrics.loyalty.churn_reason, same order)."""
    return sa.case(
        (m.churn_risk.is_not(True), sa.null()),
        (v.rfm_segment == "cant_lose", sa.literal("rfm_cant_lose")),
        (v.rfm_segment == "at_risk", sa.literal("rfm_at_risk")),
        else_=sa.literal("low_loyalty"),
    ).label("churn_reason")


def select_loyalty_mart(selection: Selection) -> sa.Select:
    """The loyalty mart for the customers in view, with the value mart's aum, clv and tier."""
    m, v = customer_loyalty.c, customer_value.c
    stmt = sa.select(
        m.customer_id,
        m.branch_id,
        m.officer_id,
        m.loyalty,
        *(m[col] for col in COMPONENT_COLUMNS),
        m.churn_risk,
        _churn_reason(m, v),
        v.aum,
        v.clv,
        v.tier,
    )
    return _mart_in_view(stmt, selection).order_by(m.customer_id)


def fetch_loyalty_mart(conn: sa.Connection, selection: Selection) -> pl.DataFrame:
    """Loyalty scores and components of the customers in view (MART_SCHEMA)."""
    return _bulk_frame(conn, select_loyalty_mart(selection), MART_SCHEMA)


def select_mart_summary(selection: Selection) -> sa.Select:
    """One row: customers, average loyalty, mean of each component, customers at churn risk and
    their AUM (value at stake)."""
    m, v = customer_loyalty.c, customer_value.c
    stmt = sa.select(
        sa.func.count().label("customers"),
        sa.func.avg(m.loyalty).label("average"),
        *(sa.func.avg(m[col]).label(col) for col in COMPONENT_COLUMNS),
        count_if(m.churn_risk.is_(True)).label("at_risk"),
        sum_if(m.churn_risk.is_(True), sa.func.coalesce(v.aum, 0.0)).label("value_at_stake"),
    )
    return _mart_in_view(stmt, selection)


def fetch_mart_summary(conn: sa.Connection, selection: Selection) -> pl.DataFrame:
    """The one-row summary of ``select_mart_summary`` (SUMMARY_SCHEMA)."""
    return frame(conn, select_mart_summary(selection), SUMMARY_SCHEMA)


def select_mart_bands(selection: Selection, bin_width: int = 10) -> sa.Select:
    """band_start, customers: loyalty bands of ``bin_width`` points (100 in the top band)."""
    if bin_width <= 0 or 100 % bin_width:
        raise ValueError("bin_width must divide 100")
    m = customer_loyalty.c
    band = sa.cast(
        sa.func.least(sa.func.floor(m.loyalty / bin_width) * bin_width, 100 - bin_width),
        sa.Integer,
    )
    stmt = sa.select(band.label("band_start"), sa.func.count().label("customers"))
    return _mart_in_view(stmt, selection).group_by(band).order_by(band)


def fetch_mart_bands(
    conn: sa.Connection, selection: Selection, bin_width: int = 10
) -> pl.DataFrame:
    """Customers per loyalty band present (complete with ``metrics.loyalty.complete_bands``)."""
    return frame(conn, select_mart_bands(selection, bin_width))


def select_mart_churn(selection: Selection, limit: int) -> sa.Select:
    """The first ``limit`` customers at churn risk, most AUM at stake first (then lowest loyalty),
    with components and contact details (unmasked: mask before showing)."""
    m, v, c = customer_loyalty.c, customer_value.c, customers.c
    stake = sa.func.coalesce(v.aum, 0.0)
    stmt = sa.select(
        m.customer_id,
        m.branch_id,
        m.officer_id,
        m.loyalty,
        *(m[col] for col in COMPONENT_COLUMNS),
        stake.label("value_at_stake"),
        _churn_reason(m, v),
        c.name,
        c.phone,
    ).where(m.churn_risk.is_(True))
    stmt = _mart_in_view(stmt, selection).join(customers, c.customer_id == m.customer_id)
    return stmt.order_by(stake.desc(), m.loyalty, m.customer_id).limit(limit)


@personal
def fetch_mart_churn(conn: sa.Connection, selection: Selection, limit: int) -> pl.DataFrame:
    """Top of the churn-risk list from the mart (CHURN_SCHEMA)."""
    return frame(conn, select_mart_churn(selection, limit), CHURN_SCHEMA)


def fetch_mart_as_of(conn: sa.Connection) -> date | None:
    """The day the loyalty mart was computed for (None when empty)."""
    value = conn.execute(sa.select(sa.func.max(customer_loyalty.c.as_of))).scalar()
    return value if value is None or isinstance(value, date) else date.fromisoformat(str(value))


@personal
def fetch_contacts(
    conn: sa.Connection, scope: Scope, customer_ids: tuple[int, ...]
) -> pl.DataFrame:
    """Name and phone (unmasked: mask before showing) of some customers the scope may see."""
    c = customers.c
    stmt = sa.select(c.customer_id, c.name, c.phone, c.branch_id, c.officer_id)
    if not customer_ids:  # before in_(): an empty tuple would be coerced as one value
        return pl.DataFrame(schema=schema_of(stmt))
    stmt = stmt.where(c.customer_id.in_(customer_ids))
    return frame(conn, apply_scope(stmt, scope, c.branch_id, c.officer_id))


def fetch_tier_months(
    conn: sa.Connection, selection: Selection, months: tuple[date, ...]
) -> pl.DataFrame:
    """customer_id, month, tier for some months (input of ``metrics.value.tier_migration``)."""
    t, c = customer_tier_months.c, customers.c
    stmt = sa.select(t.customer_id, t.month, t.tier).where(t.month.in_(months))
    stmt = _fact_prefilter(stmt, customer_tier_months, selection)
    if selection.scope.level == "officer" or selection.officer_ids:
        # the officer part on today's owner (the branch part was the pre-filter above)
        book = Selection(selection.scope, officer_ids=selection.officer_ids)
        owned = restrict(
            sa.select(c.customer_id), book, branch_col=c.branch_id, officer_col=c.officer_id
        )
        stmt = stmt.where(t.customer_id.in_(owned))
    return _bulk_frame(conn, stmt.order_by(t.customer_id, t.month))
