"""The personal columns as stored, to compare with what a fetch lets a role see."""

from __future__ import annotations

import polars as pl
import sqlalchemy as sa

from data_access.schema import customers


def stored_personal(conn: sa.Connection) -> pl.DataFrame:
    """Every customer's stored name, phone and ID number, unmasked."""
    c = customers.c
    return pl.DataFrame(
        conn.execute(sa.select(c.customer_id, c.name, c.phone, c.id_number)).all(),
        schema=["customer_id", "name", "phone", "id_number"],
        orient="row",
    )
