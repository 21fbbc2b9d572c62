"""Bulk loading: Arrow into DuckDB, ``COPY … FROM STDIN`` into PostgreSQL — never row by row.

A ``Sink`` writes whole Arrow tables. The large fact tables lose their secondary indexes during
the load and get them back afterwards (one sort instead of millions of index inserts).
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Protocol

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import sqlalchemy as sa

from data_access.engine import create_schema, drop_schema, duckdb_memory_limit, has_schema
from data_access.errors import DatabaseNotEmpty, NotDemoData
from data_access.load_state import DEMO_WRITER, fetch_load_state
from data_access.pgcopy import copy_csv_from_stdin
from data_access.schema import FACT_TABLES, bank_meta, metadata

# Tables whose rows mean "this database holds a bank".
_CONTENT_TABLES = ("branches", "customers", "footprints", "bank_meta")


class Sink(Protocol):
    def write(self, table: str, data: pa.Table) -> None: ...

    def close(self) -> None: ...


def _columns(table: str, data: pa.Table) -> list[str]:
    cols = [c.name for c in metadata.tables[table].columns]
    missing = [c for c in data.column_names if c not in cols]
    if missing:
        raise ValueError(f"{table}: unknown columns {missing}")
    return [c for c in cols if c in data.column_names]


def _plain(data: pa.Table) -> pa.Table:
    """Dictionary columns decoded to plain strings."""
    fields = []
    arrays = []
    for name, col in zip(data.column_names, data.columns, strict=True):
        if pa.types.is_dictionary(col.type):
            col = pc.cast(col, col.type.value_type)
        fields.append(pa.field(name, col.type))
        arrays.append(col)
    return pa.Table.from_arrays(arrays, schema=pa.schema(fields))


def _duckdb(fairy) -> object:
    """The duckdb connection inside a pooled SQLAlchemy raw connection."""
    wrapper = fairy.driver_connection
    return getattr(wrapper, "_ConnectionWrapper__c", wrapper)


@contextmanager
def memory_cap(engine: sa.Engine, limit: str = "2GB") -> Iterator[None]:
    """Cap DuckDB's buffer pool while building (what was written and the mart refreshers'
    intermediates would stay in memory), restored after."""
    if engine.dialect.name != "duckdb":
        yield
        return
    fairy = engine.raw_connection()
    try:
        with duckdb_memory_limit(_duckdb(fairy), limit):
            yield
    finally:
        fairy.close()


class DuckDBSink:
    """Registers each Arrow table on the raw DuckDB connection and runs INSERT … SELECT."""

    def __init__(self, engine: sa.Engine) -> None:
        self._fairy = engine.raw_connection()
        self.con = _duckdb(self._fairy)
        self._dialect = engine.dialect

    def write(self, table: str, data: pa.Table) -> None:
        if data.num_rows == 0:
            return
        names = list(_columns(table, data))
        source = sa.table("_fp_load", *(sa.column(n) for n in names))
        stmt = sa.insert(metadata.tables[table]).from_select(names, sa.select(*source.c))
        self.con.register("_fp_load", data)
        try:
            self.con.execute(str(stmt.compile(dialect=self._dialect)))
        finally:
            self.con.unregister("_fp_load")

    def close(self) -> None:
        self._fairy.commit()
        self._fairy.close()


class PostgresSink:
    """Streams each Arrow table as CSV through psycopg 3's ``cursor.copy``."""

    BATCH = 500_000

    def __init__(self, engine: sa.Engine) -> None:
        self._fairy = engine.raw_connection()
        self.con = self._fairy.driver_connection

    def write(self, table: str, data: pa.Table) -> None:
        if data.num_rows == 0:
            return
        names = _columns(table, data)
        data = _plain(data.select(names))
        opts = pacsv.WriteOptions(include_header=False, batch_size=65_536)
        with (
            self.con.cursor() as cur,
            cur.copy(copy_csv_from_stdin(table, names)) as cp,
        ):
            for lo in range(0, data.num_rows, self.BATCH):
                buf = io.BytesIO()
                pacsv.write_csv(data.slice(lo, self.BATCH), buf, opts)
                cp.write(buf.getbuffer())
        self.con.commit()

    def close(self) -> None:
        self.con.commit()
        self._fairy.close()


def make_sink(engine: sa.Engine) -> Sink:
    """The bulk writer for the engine's backend."""
    backend = engine.dialect.name
    if backend == "duckdb":
        return DuckDBSink(engine)
    if backend == "postgresql":
        return PostgresSink(engine)
    if backend == "hive":
        from data_access.sparkio import SparkSink

        return SparkSink(engine, metadata)
    raise NotImplementedError(
        f"bulk loading into {backend} is not supported (use DuckDB, PostgreSQL or Spark)"
    )


def is_empty(engine: sa.Engine) -> bool:
    """True when the database has no Footprint tables or none of them holds a bank."""
    with engine.connect() as conn:
        if not has_schema(conn):
            return True
        for name in _CONTENT_TABLES:
            t = metadata.tables[name]
            if conn.execute(sa.select(sa.literal(1)).select_from(t).limit(1)).first() is not None:
                return False
    return True


def check_demo_may_build(engine: sa.Engine) -> None:
    """Raise DatabaseNotEmpty unless the database is empty or holds an unfinished *demo* build.

    Only what the demo wrote may be rebuilt without being asked: a database holding anything
    else (the bank's own rows, a load that never stamped ``data_as_of``) is left untouched.
    """
    if is_empty(engine):
        return
    with engine.connect() as conn:
        state = fetch_load_state(conn)
        n = conn.execute(sa.select(sa.func.count()).select_from(metadata.tables["customers"]))
        customers = n.scalar_one()
    if state.written_by == DEMO_WRITER and state.load_incomplete:
        return
    raise NotDemoData(
        f"the database holds data the demo did not write ({customers:,} customers) and no "
        "complete load stamp (data_as_of): an unfinished load? Nothing was changed. Finish the "
        "load (set bank_meta.data_as_of, then run `python -m data_access refresh`), or rebuild "
        "it as a demo bank with `python -m data_access init --replace`, which erases it",
        customers,
    )


def prepare(engine: sa.Engine, *, replace: bool) -> None:
    """Make an empty schema to load into: refuse over data unless ``replace``."""
    if not is_empty(engine):
        if not replace:
            raise DatabaseNotEmpty(
                "the database already holds a bank; use --replace (replace=True) to overwrite it"
            )
        drop_schema(engine)
    elif _has_any_table(engine):
        drop_schema(engine)  # a half-written or empty schema: start clean
    create_schema(engine)
    drop_fact_indexes(engine)


def _has_any_table(engine: sa.Engine) -> bool:
    with engine.connect() as conn:
        names = set(sa.inspect(conn).get_table_names())
    return bool(names & set(metadata.tables))


# On DuckDB these are loaded sorted by customer (and by time within a customer), so the
# zone maps already serve per-customer lookups, and branch/week aggregates are scans that an ART
# index does not speed up; building their ART indexes would cost more than the whole load at
# county scale (measured: ~2.5x the insert time, and the memory of an in-memory index).
DUCKDB_SORTED_TABLES = ("footprints", "balance_snapshots")


def _fact_indexes(backend: str | None = None) -> list[sa.Index]:
    skip = DUCKDB_SORTED_TABLES if backend == "duckdb" else ()
    return [ix for name in FACT_TABLES if name not in skip for ix in metadata.tables[name].indexes]


def drop_fact_indexes(engine: sa.Engine) -> None:
    with engine.begin() as conn:
        for ix in _fact_indexes():
            conn.execute(sa.schema.DropIndex(ix, if_exists=True))


def create_fact_indexes(engine: sa.Engine) -> None:
    with engine.begin() as conn:
        for ix in _fact_indexes(engine.dialect.name):
            ix.create(conn, checkfirst=False)
        if engine.dialect.name == "postgresql":
            quote = conn.dialect.identifier_preparer.format_table
            for name in FACT_TABLES:  # table names from our own metadata, quoted by the dialect
                conn.execute(sa.text("ANALYZE " + quote(metadata.tables[name])))


def write_meta(engine: sa.Engine, values: dict[str, str]) -> None:
    """Replace bank_meta entries (``data_as_of`` is written last by the caller)."""
    with engine.begin() as conn:
        conn.execute(bank_meta.delete().where(bank_meta.c.key.in_(list(values))))
        conn.execute(bank_meta.insert(), [{"key": k, "value": v} for k, v in values.items()])
