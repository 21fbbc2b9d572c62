"""What the next-best-product ranking reads: holdings with their dates, and the customers' profile
(tier in force, occupation, birth year) on a day — for the peer shares and the time-split bench."""

from __future__ import annotations

from datetime import date

import polars as pl
import sqlalchemy as sa

from data_access.filters import Scope, apply_scope
from data_access.queries._frames import frame
from data_access.schema import customer_tier_months, customers, product_holdings


def fetch_holding_history(conn: sa.Connection, scope: Scope) -> pl.DataFrame:
    """Every holding of the customers in scope: customer_id, product, opened_on, closed_on."""
    h = product_holdings.c
    c = customers.c
    stmt = sa.select(h.customer_id, h.product, h.opened_on, h.closed_on).select_from(
        product_holdings.join(customers, c.customer_id == h.customer_id)
    )
    stmt = apply_scope(stmt, scope, c.branch_id, c.officer_id)
    return frame(conn, stmt.order_by(h.customer_id, h.product, h.opened_on))


def _tier_month(as_of: date) -> sa.ScalarSelect:
    """The value mart's latest month on or before ``as_of`` (the tier in force then)."""
    m = customer_tier_months.c
    return sa.select(sa.func.max(m.month)).where(m.month <= as_of).scalar_subquery()


def fetch_peer_profile(conn: sa.Connection, scope: Scope, as_of: date) -> pl.DataFrame:
    """Customers open on ``as_of`` in scope with the tier in force then (the value mart's latest
    month up to ``as_of``; null when it has no row), occupation and birth year."""
    c = customers.c
    m = customer_tier_months.c
    month = _tier_month(as_of)
    stmt = (
        sa.select(c.customer_id, m.tier, c.occupation, c.birth_year)
        .select_from(
            customers.outerjoin(
                customer_tier_months,
                sa.and_(m.customer_id == c.customer_id, m.month == month),
            )
        )
        .where(c.opened_on <= as_of, sa.or_(c.closed_on.is_(None), c.closed_on > as_of))
    )
    stmt = apply_scope(stmt, scope, c.branch_id, c.officer_id)
    return frame(conn, stmt.order_by(c.customer_id))


def fetch_peer_counts(
    conn: sa.Connection, as_of: date, age_band_years: int
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Bank-wide counts for the peer shares (aggregates only: no customer leaves the database):
    customers open on ``as_of`` per tier × occupation × age band (tier, occupation, age_band,
    group_size), and holders of each product held on ``as_of`` per group (…, product, holders). Missing values read '?' / -1."""
    c = customers.c
    m = customer_tier_months.c
    h = product_holdings.c
    age = sa.literal(as_of.year) - c.birth_year
    band = sa.func.coalesce(
        sa.cast(sa.func.floor(age / float(age_band_years)), sa.Integer) * age_band_years, -1
    )
    tier = sa.func.coalesce(m.tier, "?")
    occupation = sa.func.coalesce(c.occupation, "?")
    people = (
        sa.select(
            c.customer_id,
            tier.label("tier"),
            occupation.label("occupation"),
            band.label("age_band"),
        )
        .select_from(
            customers.outerjoin(
                customer_tier_months,
                sa.and_(m.customer_id == c.customer_id, m.month == _tier_month(as_of)),
            )
        )
        .where(c.opened_on <= as_of, sa.or_(c.closed_on.is_(None), c.closed_on > as_of))
        .subquery("people")
    )
    p = people.c
    keys = (p.tier, p.occupation, p.age_band)
    groups = sa.select(*keys, sa.func.count().label("group_size")).group_by(*keys)
    held = (
        sa.select(*keys, h.product, sa.func.count(sa.distinct(h.customer_id)).label("holders"))
        .select_from(people.join(product_holdings, h.customer_id == p.customer_id))
        .where(h.opened_on <= as_of, sa.or_(h.closed_on.is_(None), h.closed_on > as_of))
        .group_by(*keys, h.product)
    )
    return frame(conn, groups), frame(conn, held)
