"""Run a Core select and return a typed polars frame (row by row, or in bulk through Arrow);
driver errors become DataUnavailable.

A frame's schema follows its select: each column's SQLAlchemy type gives its polars dtype
(``schema_of``), so a fetch states its columns once, in SQL.
"""

from __future__ import annotations

import warnings

import polars as pl
import pyarrow as pa
import sqlalchemy as sa

from data_access.arrowtypes import arrow_type
from data_access.errors import DataUnavailable


def dtype_of(sql_type: sa.types.TypeEngine) -> pl.DataType:
    """The polars dtype of a column of ``sql_type`` in a fetched frame: its Arrow type, with
    every integer as Int64 (ids and counts alike)."""
    if isinstance(sql_type, sa.types.NullType):
        raise TypeError("a selected column has no SQL type: give it one (type_coerce or cast)")
    dtype = pl.Series(pa.array([], arrow_type(sql_type))).dtype
    return pl.Int64() if dtype.is_integer() else dtype


def schema_of(stmt: sa.Select | sa.CompoundSelect) -> dict[str, pl.DataType]:
    """Column name -> polars dtype of what ``stmt`` returns, in its column order."""
    return {name: dtype_of(col.type) for name, col in stmt.selected_columns.items()}


def frame(
    conn: sa.Connection,
    stmt: sa.Select | sa.CompoundSelect,
    schema: dict[str, pl.DataType] | None = None,
) -> pl.DataFrame:
    """Execute ``stmt`` and cast the result to ``schema`` (column order as in the schema), by
    default the select's own (``schema_of``)."""
    schema = schema_of(stmt) if schema is None else schema
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


def bulk_frame(
    conn: sa.Connection, stmt: sa.Select, schema: dict[str, pl.DataType] | None = None
) -> pl.DataFrame:
    """Like ``frame`` but through ``pl.read_database`` (Arrow on DuckDB), for large results: the
    value mart's inputs (a row per customer × month, millions at county scale), a campaign's stage
    pivot (hundreds of thousands of rows, about 5× faster), the activity mart's weeks."""
    schema = schema_of(stmt) if schema is None else schema
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)  # DuckDB's DB-API copies Arrow once
            df = pl.read_database(stmt, conn)
    except sa.exc.DBAPIError as exc:
        raise DataUnavailable(f"query failed: {str(exc.orig).splitlines()[0]}") from exc
    if df.is_empty() and not df.columns:
        return pl.DataFrame(schema=schema)
    missing = [c for c in schema if c not in df.columns]
    if missing:
        raise ValueError(f"query did not return columns {missing}")
    return df.select(pl.col(c).cast(t, strict=False) for c, t in schema.items())
