"""The credit desk's evidence per loan application, aggregated in SQL (beyond income and place,
which ``data_access.queries.quality`` already gathers): business and farm footprints, loans held
(and those repaid by monthly instalments) and repayments seen (how many, the last one),
internet-platform limits shown with consent — each up to the application day.
"""

from __future__ import annotations

from datetime import timedelta

import polars as pl
import sqlalchemy as sa

from data_access.queries._frames import frame
from data_access.queries.quality import _applications
from data_access.schema import (
    external_credit_limits,
    footprints,
    loan_applications,
    product_holdings,
    soft_footprints,
)
from data_access.selection import Period, Selection

LOANS = ("loan_agri", "loan_business", "loan_consumer")
# repaid by monthly instalments (the farm loan is repaid once, after the harvest)
INSTALMENT_LOANS = ("loan_business", "loan_consumer")
YEAR_DAYS = 365
# a loan younger than this has no repayment due yet
FIRST_REPAYMENT_DAYS = 90


def _days(name: str, days: int) -> sa.BindParameter:
    return sa.bindparam(name, timedelta(days=days), type_=sa.Interval)


def select_credit_extras(period: Period, selection: Selection, lookback_days: int) -> sa.Select:
    """Per application of the period in view: business, farm, loan and platform evidence."""
    la = loan_applications
    apps = _applications(
        sa.select(
            la.c.application_id,
            la.c.customer_id,
            la.c.applied_on,
            la.c.status,
            la.c.declared_business,
        ),
        period,
        selection,
    ).subquery("apps")
    applied_ts = sa.cast(apps.c.applied_on, sa.DateTime)
    year = applied_ts - _days("year", YEAR_DAYS)
    back = applied_ts - _days("lookback", lookback_days)
    earliest = applied_ts - _days("earliest", max(YEAR_DAYS, lookback_days))

    f = footprints.c
    in_year = f.occurred_at >= year
    fp = (
        sa.select(
            apps.c.application_id,
            sa.func.count()
            .filter(in_year, f.direction == "in", f.channel == "pos")
            .label("pos_inflows"),
            sa.func.count()
            .filter(in_year, f.direction == "in", f.counterparty_type == "merchant")
            .label("merchant_inflows"),
            sa.func.count()
            .filter(in_year, sa.or_(f.kind == "subsidy", f.merchant_category == "agri_supplies"))
            .label("farm_footprints"),
            sa.func.count()
            .filter(f.kind == "loan_repayment", f.occurred_at >= back)
            .label("repayments_seen"),
            sa.func.max(f.occurred_at)
            .filter(f.kind == "loan_repayment")
            .label("last_repayment_at"),
        )
        .select_from(
            apps.join(
                footprints,
                sa.and_(
                    f.customer_id == apps.c.customer_id,
                    f.occurred_at >= earliest,
                    f.occurred_at < applied_ts,
                ),
            )
        )
        .group_by(apps.c.application_id)
        .subquery("fp")
    )

    h = product_holdings.c
    open_then = sa.and_(
        h.opened_on <= apps.c.applied_on,
        sa.or_(h.closed_on.is_(None), h.closed_on > apps.c.applied_on),
    )
    due = sa.cast(h.opened_on, sa.DateTime) <= applied_ts - _days("first_due", FIRST_REPAYMENT_DAYS)
    held = (
        sa.select(
            apps.c.application_id,
            sa.func.count().filter(open_then, h.product == "pos_merchant").label("holds_pos"),
            sa.func.count().filter(open_then, h.product.in_(LOANS), due).label("loans_due"),
            sa.func.count()
            .filter(open_then, h.product.in_(INSTALMENT_LOANS), due)
            .label("instalments_due"),
        )
        .select_from(apps.join(product_holdings, h.customer_id == apps.c.customer_id))
        .group_by(apps.c.application_id)
        .subquery("held")
    )

    s = soft_footprints.c
    soft = (
        sa.select(apps.c.application_id, sa.func.count().label("business_circles"))
        .select_from(
            apps.join(
                soft_footprints,
                sa.and_(
                    s.customer_id == apps.c.customer_id,
                    s.kind == "business_circle",
                    s.captured_at < applied_ts,
                ),
            )
        )
        .group_by(apps.c.application_id)
        .subquery("soft")
    )

    e = external_credit_limits.c
    per_platform = (
        sa.select(apps.c.application_id, e.platform, sa.func.max(e.credit_limit).label("lim"))
        .select_from(
            apps.join(
                external_credit_limits,
                sa.and_(
                    e.customer_id == apps.c.customer_id,
                    e.consent.is_(True),
                    e.as_of <= apps.c.applied_on,
                ),
            )
        )
        .group_by(apps.c.application_id, e.platform)
        .subquery("per_platform")
    )
    ext = (
        sa.select(
            per_platform.c.application_id,
            sa.func.sum(per_platform.c.lim).label("platform_limit"),
            sa.func.count().label("platforms"),
        )
        .group_by(per_platform.c.application_id)
        .subquery("ext")
    )

    zero = sa.literal(0)
    return (
        sa.select(
            apps.c.application_id,
            apps.c.status,
            apps.c.declared_business,
            sa.func.coalesce(fp.c.pos_inflows, zero).label("pos_inflows"),
            sa.func.coalesce(fp.c.merchant_inflows, zero).label("merchant_inflows"),
            sa.func.coalesce(fp.c.farm_footprints, zero).label("farm_footprints"),
            sa.func.coalesce(fp.c.repayments_seen, zero).label("repayments_seen"),
            fp.c.last_repayment_at,
            sa.func.coalesce(held.c.holds_pos, zero).label("holds_pos"),
            sa.func.coalesce(held.c.loans_due, zero).label("loans_due"),
            sa.func.coalesce(held.c.instalments_due, zero).label("instalments_due"),
            sa.func.coalesce(soft.c.business_circles, zero).label("business_circles"),
            sa.func.coalesce(ext.c.platform_limit, 0.0).label("platform_limit"),
            sa.func.coalesce(ext.c.platforms, zero).label("platforms"),
        )
        .select_from(
            apps.outerjoin(fp, fp.c.application_id == apps.c.application_id)
            .outerjoin(held, held.c.application_id == apps.c.application_id)
            .outerjoin(soft, soft.c.application_id == apps.c.application_id)
            .outerjoin(ext, ext.c.application_id == apps.c.application_id)
        )
        .order_by(apps.c.application_id)
    )


def fetch_credit_extras(
    conn: sa.Connection, period: Period, selection: Selection, lookback_days: int
) -> pl.DataFrame:
    """``select_credit_extras``: one row per application of the period in view."""
    return frame(conn, select_credit_extras(period, selection, lookback_days))
