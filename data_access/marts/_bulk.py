"""Bulk replacement of a mart table by a polars frame, in one transaction.

DuckDB drops the table, re-creates it from its declaration (indexes included) and reads the
frame as Arrow: deleting row by row from a primary-key index took 56–88 s for 1.2 million rows,
drop-and-recreate 2 s. PostgreSQL deletes every row, then gets the frame through ``COPY``
(psycopg ``cursor.copy``); Spark gets it as staged Parquet and one ``INSERT OVERWRITE``
(data_access.sparkio); other backends delete, then executemany insert. Driver errors become
``DataUnavailable`` and leave the table as it was (the DDL is transactional on both backends).
"""

from __future__ import annotations

import uuid

import polars as pl
import sqlalchemy as sa

from data_access.errors import DataUnavailable
from data_access.pgcopy import copy_csv_from_stdin


def _duckdb_insert(conn: sa.Connection, table: sa.Table, df: pl.DataFrame, view: str) -> None:
    source = sa.table(view, *[sa.column(c) for c in df.columns])
    conn.execute(table.insert().from_select(df.columns, sa.select(*source.c)))


def _postgres_copy(conn: sa.Connection, table: sa.Table, df: pl.DataFrame) -> None:
    raw = conn.connection.driver_connection
    stmt = copy_csv_from_stdin(table.name, df.columns, header=True)
    payload = df.write_csv(include_header=True).encode()
    with raw.cursor() as cur, cur.copy(stmt) as copy:
        copy.write(payload)


def clear_table(conn: sa.Connection, table: sa.Table) -> None:
    """Empty a mart table inside the caller's transaction: drop and re-create it on DuckDB
    (DELETE of 1.2 million rows took 56–88 s there, drop-and-recreate 2 s), DELETE elsewhere."""
    if conn.dialect.name == "duckdb":
        table.drop(conn, checkfirst=True)
        table.create(conn)
    else:
        conn.execute(table.delete())


def replace_rows(engine: sa.Engine, table: sa.Table, df: pl.DataFrame) -> int:
    """Replace every row of ``table`` with ``df`` (columns named as the table's) atomically."""
    unknown = [c for c in df.columns if c not in table.c]
    if unknown:
        raise ValueError(f"{table.name} has no columns {unknown}")
    if engine.dialect.name == "hive":  # Spark: staged Parquet, one INSERT OVERWRITE
        from data_access.sparkio import replace_table

        try:
            return replace_table(engine, table, df.to_arrow())
        except sa.exc.DBAPIError as exc:
            first = str(exc.orig).splitlines()[0]
            raise DataUnavailable(f"could not write {table.name}: {first}") from exc
    with engine.connect() as conn:
        backend = conn.dialect.name
        raw = conn.connection.driver_connection
        view = f"_bulk_{uuid.uuid4().hex[:12]}"  # a registered Arrow view, not user input
        if backend == "duckdb":
            raw.register(view, df.to_arrow())
        try:
            with conn.begin():
                clear_table(conn, table)
                if df.height and backend == "duckdb":
                    _duckdb_insert(conn, table, df, view)
                elif df.height and backend == "postgresql":
                    _postgres_copy(conn, table, df)
                elif df.height:
                    conn.execute(table.insert(), df.to_dicts())
        except (sa.exc.DBAPIError, conn.dialect.loaded_dbapi.Error) as exc:
            first = str(getattr(exc, "orig", exc)).splitlines()[0]
            raise DataUnavailable(f"could not write {table.name}: {first}") from exc
        finally:
            if backend == "duckdb":
                raw.unregister(view)
    return df.height
