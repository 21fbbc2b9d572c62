"""The demo generator opens mobile banking once per customer: a conversion replaces a later adoption."""

from __future__ import annotations

import sqlalchemy as sa

from data_access import schema


def test_no_customer_holds_two_open_mobile_banking_products(demo_engine: sa.Engine) -> None:
    a, b = schema.product_holdings.alias("a"), schema.product_holdings.alias("b")
    overlap = (
        sa.select(sa.func.count(sa.distinct(a.c.customer_id)))
        .select_from(a.join(b, sa.and_(a.c.customer_id == b.c.customer_id)))
        .where(
            a.c.product == "mobile_banking",
            b.c.product == "mobile_banking",
            a.c.holding_id < b.c.holding_id,
            sa.or_(a.c.closed_on.is_(None), a.c.closed_on > b.c.opened_on),
            sa.or_(b.c.closed_on.is_(None), b.c.closed_on > a.c.opened_on),
        )
    )
    converted = (
        sa.select(sa.func.count())
        .select_from(schema.marketing_events.join(schema.campaigns))
        .where(
            schema.campaigns.c.product == "mobile_banking",
            schema.marketing_events.c.stage == "converted",
        )
    )
    with demo_engine.connect() as conn:
        assert conn.execute(overlap).scalar_one() == 0
        assert conn.execute(converted).scalar_one() > 0  # the case the rule is about exists
