"""Run a Core select and return a typed polars frame; driver errors become DataUnavailable."""

from __future__ import annotations

import polars as pl
import sqlalchemy as sa

from data_access.errors import DataUnavailable


def frame(conn: sa.Connection, stmt: sa.Select, schema: dict[str, pl.DataType]) -> pl.DataFrame:
    """Execute ``stmt`` and cast the result to ``schema`` (column order as in the schema)."""
    try:
        result = conn.execute(stmt)
        rows = result.fetchall()
        names = list(result.keys())
    except sa.exc.DBAPIError as exc:
        raise DataUnavailable(f"query failed: {str(exc.orig).splitlines()[0]}") from exc
    data = {name: [row[i] for row in rows] for i, name in enumerate(names)}
    missing = [c for c in schema if c not in data]
    if missing:
        raise ValueError(f"query did not return columns {missing}")
    return pl.DataFrame(
        {c: pl.Series(c, data[c], dtype=schema[c], strict=False) for c in schema},
        schema=schema,
    )
