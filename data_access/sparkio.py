"""Writing to Spark SQL: Arrow staged as Parquet, then one ``INSERT … SELECT`` run by Spark.

Spark's tables are Parquet (``CREATE TABLE … USING parquet``, data_access.dialects). Rows are
never sent through the Thrift connection one by one (≈ 5 rows/s measured): the loader and the
mart refreshers write Parquet files into the staging folder (setting ``spark_staging_dir``, a
path the Spark cluster reads too: local for a one-machine cluster, a shared mount or HDFS
otherwise), and Spark copies them into the table with ``INSERT INTO`` (loads, which append like
the other engines' sinks) or ``INSERT OVERWRITE`` (marts: the table's files are replaced by one
statement; readers see the old rows or the new ones). The staged files are removed afterwards.
"""

from __future__ import annotations

import shutil
import uuid
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import sqlalchemy as sa

from data_access.arrowtypes import arrow_type
from data_access.dialects import PARTITIONS, InsertSelect, ParquetFiles, TruncateTable
from data_access.settings import DATA_DIR, get_setting


def staging_root() -> Path:
    """Where Parquet files wait for Spark to copy them (created when missing)."""
    root = Path(get_setting("spark_staging_dir") or DATA_DIR / "spark-staging").expanduser()
    root.mkdir(parents=True, exist_ok=True)
    return root.resolve()


class StagedTable:
    """Parquet files for one table in a fresh folder under the staging root."""

    def __init__(self, table: sa.Table) -> None:
        self.table = table
        self.path = staging_root() / f"{table.name}-{uuid.uuid4().hex[:12]}"
        self.path.mkdir(parents=True)
        self.parts = 0
        self.rows = 0

    def write(self, data: pa.Table) -> None:
        """Add one Parquet file of ``data`` (columns named as the table's; others rejected)."""
        unknown = [c for c in data.column_names if c not in self.table.c]
        if unknown:
            raise ValueError(f"{self.table.name} has no columns {unknown}")
        # one Arrow schema for every file of the table (Spark reads the folder as one)
        names = [c.name for c in self.table.columns if c.name in data.column_names]
        schema = pa.schema([(n, arrow_type(self.table.c[n].type)) for n in names])
        pq.write_table(
            data.select(names).cast(schema), self.path / f"part-{self.parts:05d}.parquet"
        )
        self.parts += 1
        self.rows += data.num_rows
        self._columns = set(data.column_names) | getattr(self, "_columns", set())

    def select(self) -> sa.Select:
        """``SELECT`` of every table column (cast to its type; NULL if not staged), then any
        partition column, from the staged Parquet files."""
        staged = getattr(self, "_columns", set())
        items: list[sa.ColumnElement] = [
            sa.cast(sa.column(c.name) if c.name in staged else sa.null(), c.type).label(c.name)
            for c in self.table.columns
        ]
        part = PARTITIONS.get(self.table.name)
        if part is not None:
            items.append(part.expression.label(part.column))
        return sa.select(*items).select_from(ParquetFiles(self.path.as_uri()))

    def copy_into(self, conn: sa.Connection, *, overwrite: bool) -> None:
        """Spark copies the staged rows into the table (appended, or replacing every row)."""
        if self.parts == 0:
            if overwrite:
                conn.execute(TruncateTable(self.table))
            return
        conn.execute(InsertSelect(self.table, self.select(), overwrite=overwrite))

    def remove(self) -> None:
        shutil.rmtree(self.path, ignore_errors=True)


def replace_table(engine: sa.Engine, table: sa.Table, data: pa.Table) -> int:
    """Replace every row of a Spark table with ``data`` by one ``INSERT OVERWRITE``."""
    staged = StagedTable(table)
    try:
        staged.write(data)
        with engine.connect() as conn:
            staged.copy_into(conn, overwrite=True)
    finally:
        staged.remove()
    return data.num_rows


class SparkSink:
    """The loader's sink for Spark: stages each table's Arrow batches, copies them at close."""

    def __init__(self, engine: sa.Engine, metadata: sa.MetaData) -> None:
        self.engine = engine
        self.metadata = metadata
        self.staged: dict[str, StagedTable] = {}

    def write(self, table: str, data: pa.Table) -> None:
        if data.num_rows == 0:
            return
        if table not in self.staged:
            self.staged[table] = StagedTable(self.metadata.tables[table])
        self.staged[table].write(data)

    def close(self) -> None:
        try:
            with self.engine.connect() as conn:
                for staged in self.staged.values():
                    staged.copy_into(conn, overwrite=False)
        finally:
            for staged in self.staged.values():
                staged.remove()
            self.staged.clear()
