"""Per-customer footprint-signal features, aggregated in SQL for many customers at once.

One row per customer in scope; ``metrics.signals.compute_signals`` turns the features into the
boolean signals of the standard. Windows end on ``as_of`` (inclusive): 12 months for remittances
and family events, 3 months for pensions, 90 days for outflows; holdings are those open on ``as_of``.
"""

from __future__ import annotations

import calendar
from datetime import date, timedelta

import polars as pl
import sqlalchemy as sa

from data_access.errors import DataUnavailable
from data_access.filters import Filters, Scope, apply_scope
from data_access.queries._frames import frame
from data_access.queries._sql import OUTFLOW_COUNTERPARTIES, count_if, sum_if, ts
from data_access.schema import (
    customer_signals,
    customer_value,
    customers,
    external_credit_limits,
    footprints,
    product_holdings,
    soft_footprints,
)
from metrics.signals import FEATURE_COLUMNS

# The feature columns are the input contract of metrics.signals: defined there, once.
FEATURE_SCHEMA: dict[str, pl.DataType] = {
    "customer_id": pl.Int64,
    "branch_id": pl.Int64,
    "officer_id": pl.Int64,
    **FEATURE_COLUMNS,
}


def months_back(day: date, months: int) -> date:
    """The same day ``months`` months earlier (clamped to the month's last day)."""
    y, m = divmod(day.year * 12 + day.month - 1 - months, 12)
    return date(y, m + 1, min(day.day, calendar.monthrange(y, m + 1)[1]))


def _restrict(
    stmt: sa.Select,
    table: sa.Table,
    scope: Scope,
    flt: Filters | None,
    customer_ids: tuple[int, ...],
) -> sa.Select:
    """Cheap pre-filters on a fact table (branch, customer ids) before its per-customer aggregate."""
    if customer_ids:
        stmt = stmt.where(table.c.customer_id.in_(customer_ids))
    if scope.level != "bank":
        stmt = stmt.where(table.c.branch_id == scope.branch_id)
    if flt is not None and flt.branch_ids:
        stmt = stmt.where(table.c.branch_id.in_(flt.branch_ids))
    return stmt


def select_signal_features(
    scope: Scope,
    as_of: date,
    flt: Filters | None = None,
    customer_ids: tuple[int, ...] = (),
) -> sa.Select:
    """Signal features per customer the scope may see (optionally some branches/officers/tiers/ids)."""
    end = ts(as_of + timedelta(days=1))
    t12 = ts(months_back(as_of, 12) + timedelta(days=1))
    t3 = ts(months_back(as_of, 3) + timedelta(days=1))
    t90 = ts(as_of - timedelta(days=89))

    f = footprints.c
    fp = _restrict(
        sa.select(
            f.customer_id,
            count_if(f.kind == "remittance_in").label("remittances_12m"),
            sum_if(f.kind == "remittance_in", f.amount).label("remittance_amount_12m"),
            count_if(sa.and_(f.kind == "pension", f.occurred_at >= t3)).label("pensions_3m"),
            sum_if(sa.and_(f.direction == "out", f.occurred_at >= t90), f.amount).label(
                "out_total_90d"
            ),
            sum_if(
                sa.and_(
                    f.direction == "out",
                    f.occurred_at >= t90,
                    f.counterparty_type.in_(OUTFLOW_COUNTERPARTIES),
                ),
                f.amount,
            ).label("out_other_90d"),
        ).where(f.occurred_at >= min(t12, t3, t90), f.occurred_at < end),
        footprints,
        scope,
        flt,
        customer_ids,
    )
    fp = fp.group_by(f.customer_id).subquery("fp")

    s = soft_footprints.c
    fuel = s.kind == "fuel_receipt"
    soft = _restrict(
        sa.select(
            s.customer_id,
            sa.func.max(sa.case((fuel, s.fuel_grade))).label("fuel_max_grade"),
            sa.func.max(sa.case((fuel, s.litres))).label("fuel_max_litres"),
            count_if(fuel).label("fuel_receipts"),
            count_if(s.kind == "vehicle").label("vehicles"),
            count_if(s.kind == "business_circle").label("business_circles"),
            count_if(sa.and_(s.kind == "family_event", s.captured_at >= t12)).label(
                "family_events_12m"
            ),
        ).where(s.captured_at < end),
        soft_footprints,
        scope,
        flt,
        customer_ids,
    )
    soft = soft.group_by(s.customer_id).subquery("soft")

    h = product_holdings.c
    held = _restrict(
        sa.select(
            h.customer_id,
            count_if(h.product == "pos_merchant").label("pos"),
            count_if(h.product == "loan_business").label("bloan"),
        ).where(
            h.opened_on <= as_of,
            sa.or_(h.closed_on.is_(None), h.closed_on > as_of),
            h.product.in_(("pos_merchant", "loan_business")),
        ),
        product_holdings,
        scope,
        flt,
        customer_ids,
    )
    held = held.group_by(h.customer_id).subquery("held")

    e = external_credit_limits.c
    ext = _restrict(
        sa.select(
            e.customer_id,
            sa.func.count(sa.distinct(e.platform)).label("consented_platforms"),
            sa.func.max(e.credit_limit).label("max_platform_limit"),
        ).where(e.consent.is_(True), e.as_of <= as_of),
        external_credit_limits,
        scope,
        flt,
        customer_ids,
    )
    ext = ext.group_by(e.customer_id).subquery("ext")

    c = customers.c
    zero = sa.literal(0)
    stmt = (
        sa.select(
            c.customer_id,
            c.branch_id,
            c.officer_id,
            soft.c.fuel_max_grade,
            soft.c.fuel_max_litres,
            sa.func.coalesce(soft.c.fuel_receipts, zero).label("fuel_receipts"),
            sa.func.coalesce(soft.c.vehicles, zero).label("vehicles"),
            sa.func.coalesce(soft.c.business_circles, zero).label("business_circles"),
            (sa.func.coalesce(held.c.pos, zero) > 0).label("holds_pos"),
            (sa.func.coalesce(held.c.bloan, zero) > 0).label("holds_business_loan"),
            sa.func.coalesce(fp.c.remittances_12m, zero).label("remittances_12m"),
            sa.func.coalesce(fp.c.remittance_amount_12m, 0.0).label("remittance_amount_12m"),
            sa.func.coalesce(fp.c.pensions_3m, zero).label("pensions_3m"),
            sa.func.coalesce(fp.c.out_total_90d, 0.0).label("out_total_90d"),
            sa.func.coalesce(fp.c.out_other_90d, 0.0).label("out_other_90d"),
            sa.func.coalesce(ext.c.consented_platforms, zero).label("consented_platforms"),
            ext.c.max_platform_limit,
            sa.func.coalesce(soft.c.family_events_12m, zero).label("family_events_12m"),
        )
        .select_from(
            customers.outerjoin(fp, fp.c.customer_id == c.customer_id)
            .outerjoin(soft, soft.c.customer_id == c.customer_id)
            .outerjoin(held, held.c.customer_id == c.customer_id)
            .outerjoin(ext, ext.c.customer_id == c.customer_id)
        )
        .where(c.opened_on <= as_of)
    )
    stmt = apply_scope(stmt, scope, c.branch_id, c.officer_id)
    if customer_ids:
        stmt = stmt.where(c.customer_id.in_(customer_ids))
    if flt is not None:
        if flt.branch_ids:
            stmt = stmt.where(c.branch_id.in_(flt.branch_ids))
        if flt.officer_ids:
            stmt = stmt.where(c.officer_id.in_(flt.officer_ids))
        if flt.tiers:
            tiered = sa.select(customer_value.c.customer_id).where(
                customer_value.c.tier.in_(flt.tiers)
            )
            stmt = stmt.where(c.customer_id.in_(tiered))
    return stmt.order_by(c.customer_id)


def fetch_signal_features(
    conn: sa.Connection,
    scope: Scope,
    as_of: date,
    flt: Filters | None = None,
    customer_ids: tuple[int, ...] = (),
) -> pl.DataFrame:
    """Signal features (FEATURE_SCHEMA) per customer in scope, aggregated in the database."""
    stmt = select_signal_features(scope, as_of, flt, customer_ids)
    if customer_ids and len(customer_ids) <= 1_000:
        return frame(conn, stmt, FEATURE_SCHEMA)
    return _bulk_frame(conn, stmt, FEATURE_SCHEMA)


def _bulk_frame(
    conn: sa.Connection, stmt: sa.Select, schema: dict[str, pl.DataType]
) -> pl.DataFrame:
    """Like ``frame`` for a whole bank; on DuckDB the result comes as Arrow, with no Python rows.

    Measured at 1,000,000 customers on DuckDB: about 11 s against 29 s through ``frame``.
    """
    if conn.dialect.name != "duckdb":
        return frame(conn, stmt, schema)
    compiled = stmt.compile(dialect=conn.dialect, compile_kwargs={"render_postcompile": True})
    params = [compiled.params[k] for k in compiled.positiontup or ()]
    try:
        df = conn.connection.driver_connection.sql(str(compiled), params=params).pl()
    except conn.dialect.loaded_dbapi.Error as exc:
        raise DataUnavailable(f"query failed: {str(exc).splitlines()[0]}") from exc
    return df.select([pl.col(c).cast(t) for c, t in schema.items()])


# --- the signals mart, read for a book of customers ------------------------------------------------


def _mart_view(stmt: sa.Select, scope: Scope, flt: Filters | None) -> sa.Select:
    m = customer_signals.c
    stmt = apply_scope(stmt, scope, m.branch_id, m.officer_id)
    if flt is not None:
        if flt.branch_ids:
            stmt = stmt.where(m.branch_id.in_(flt.branch_ids))
        if flt.officer_ids:
            stmt = stmt.where(m.officer_id.in_(flt.officer_ids))
        if flt.tiers:
            tiered = sa.select(customer_value.c.customer_id).where(
                customer_value.c.tier.in_(flt.tiers)
            )
            stmt = stmt.where(m.customer_id.in_(tiered))
    return stmt


def fetch_signal_counts(
    conn: sa.Connection, scope: Scope, codes: tuple[str, ...], flt: Filters | None = None
) -> pl.DataFrame:
    """Customers with each signal on, from the signals mart: code, customers (one row per code);
    ``total`` customers in view is the row with code '' (0 everywhere when the mart is empty)."""
    unknown = [c for c in codes if c not in customer_signals.c]
    if unknown:
        raise ValueError(f"the signals mart has no columns {unknown}")
    m = customer_signals.c
    stmt = sa.select(
        sa.func.count().label("total"),
        *(sa.func.coalesce(count_if(m[c].is_(True)), 0).label(c) for c in codes),
    )
    row = conn.execute(_mart_view(stmt, scope, flt)).mappings().one()
    return pl.DataFrame(
        {"code": ["", *codes], "customers": [row["total"], *(row[c] for c in codes)]},
        schema={"code": pl.String, "customers": pl.Int64},
    )


LEAD_SCHEMA: dict[str, pl.DataType] = {
    "customer_id": pl.Int64,
    "name": pl.String,
    "phone": pl.String,
    "town": pl.String,
    "signals": pl.Int64,
}


def fetch_signal_leads(
    conn: sa.Connection,
    scope: Scope,
    codes: tuple[str, ...],
    flt: Filters | None = None,
    limit: int = 20,
) -> pl.DataFrame:
    """Customers in view with the most signals on (LEAD_SCHEMA), most first, then by id."""
    m = customer_signals.c
    n_on = sum((sa.case((m[c].is_(True), 1), else_=0) for c in codes), sa.literal(0))
    stmt = (
        sa.select(
            m.customer_id,
            customers.c.name,
            customers.c.phone,
            customers.c.town,
            n_on.label("signals"),
        )
        .select_from(customer_signals.join(customers, customers.c.customer_id == m.customer_id))
        .where(n_on > 0)
    )
    stmt = _mart_view(stmt, scope, flt).order_by(n_on.desc(), m.customer_id).limit(int(limit))
    return frame(conn, stmt, LEAD_SCHEMA)
