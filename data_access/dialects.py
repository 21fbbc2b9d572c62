"""Spark SQL (``hive://`` through the Thrift server): every dialect difference, fixed here once.

Queries and marts are the same Core selects on DuckDB, PostgreSQL and Spark. PyHive's ``hive``
dialect targets old HiveQL; measured against Spark 4 (docs/scaling-out.md) it goes wrong in
five ways, each fixed in ``SparkDialect`` below, which ``data_access.engine`` registers as the
``hive://`` dialect:

1. ``CAST(x AS DATE)`` compiled as TIMESTAMP and did not cut to the day (the CLV summary
   differed for a third of the customers): DATE is DATE.
2. DATE arrives as a string: results of Date type are parsed to ``datetime.date``.
3. A ``timedelta`` parameter (``Interval``) was bound as an epoch-based timestamp
   (``ts + 1970-01-31 00:00:00`` fails): it is ``make_dt_interval(days, 0, 0, seconds)``.
4. ``date - date`` is an INTERVAL on Spark, not a number of days (``recency_days`` came back
   NULL silently): it compiles to ``datediff(a, b)``.
5. DDL: Spark tables have no primary keys, foreign keys, sequences or indexes; ``CREATE TABLE``
   is ``… USING parquet`` with plain column types and index DDL is not sent. ``has_table`` and
   ``get_table_names`` read Spark's ``SHOW TABLES`` (PyHive expects Hive's answers).

PyHive's ``INSERT INTO TABLE t SELECT`` rewrite drops the column list; Spark takes
``INSERT INTO t (cols) SELECT``, kept as SQLAlchemy writes it.

The statements Spark needs and SQLAlchemy lacks (``INSERT OVERWRITE``, ``CREATE TABLE … USING
parquet AS``, temporary views over Parquet files, dropping a partition) are constructs at the end
of this module, compiled for the hive dialect with names quoted by its preparer.
"""

from __future__ import annotations

import datetime as dt
import re
import time
from collections.abc import Callable
from typing import Any, ClassVar, NamedTuple

import sqlalchemy as sa
from alembic.ddl.impl import DefaultImpl
from pyhive.sqlalchemy_hive import (
    HiveCompiler,
    HiveDialect,
    HiveExecutionContext,
    HiveIdentifierPreparer,
    HiveTypeCompiler,
)
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql import compiler, sqltypes
from sqlalchemy.sql.expression import ClauseElement, Executable

SPARK_TABLE_FORMAT = "parquet"
TABLE_LIST_TTL_S = 5.0  # how long one SHOW TABLES answers has_table (see SparkDialect.has_table)


class Partition(NamedTuple):
    """A Spark-only partition column: its name, type and how it derives from the row."""

    column: str
    type: str
    expression: sa.ColumnElement


# footprints are read by period: one folder per month (the column exists on Spark only)
PARTITIONS = {
    "footprints": Partition(
        "occurred_month",
        "DATE",
        sa.cast(
            sa.func.date_trunc(sa.literal_column("'MONTH'"), sa.column("occurred_at")), sa.Date
        ),
    ),
}


class SparkDate(sa.types.TypeDecorator):
    """DATE whose results (strings from the Thrift server) become ``datetime.date``."""

    impl = sa.Date
    cache_ok = True

    def process_result_value(self, value: Any, dialect: sa.Dialect) -> dt.date | int | None:
        # ``week - lag(week)``: SQLAlchemy types it Date (lag's type is unknown), Spark answers
        # datediff's day count, which is what DuckDB and PostgreSQL give too
        if value is None or isinstance(value, int) or type(value) is dt.date:
            return value
        if isinstance(value, dt.datetime):
            return value.date()
        return dt.date.fromisoformat(str(value)[:10])

    def bind_expression(self, bindvalue: Any) -> sa.ColumnElement:
        return sa.cast(bindvalue, sa.Date)  # PyHive sends a string; Spark would not store it


class SparkDateTime(sa.types.TypeDecorator):
    """TIMESTAMP whose results (strings from the Thrift server) become ``datetime.datetime``."""

    impl = sa.DateTime
    cache_ok = True

    def process_result_value(self, value: Any, dialect: sa.Dialect) -> dt.datetime | None:
        if value is None or isinstance(value, dt.datetime):
            return value
        if isinstance(value, dt.date):
            return dt.datetime.combine(value, dt.time.min)
        return dt.datetime.fromisoformat(str(value))

    def bind_expression(self, bindvalue: Any) -> sa.ColumnElement:
        return sa.cast(bindvalue, sa.DateTime)  # PyHive sends a string; Spark would not store it


class SparkInterval(sa.types.TypeDecorator):
    """A ``timedelta`` parameter sent as seconds and wrapped in ``make_dt_interval``."""

    impl = sa.Numeric
    cache_ok = True

    def process_bind_param(self, value: Any, dialect: sa.Dialect) -> float | None:
        return None if value is None else value.total_seconds()

    def bind_expression(self, bindvalue: Any) -> sa.ColumnElement:
        seconds = sa.cast(bindvalue, sa.Numeric(18, 6))
        return sa.func.make_dt_interval(0, 0, 0, seconds)


def _answer(sql: str) -> Callable[..., str]:
    """A compiler ``visit_*`` method that always compiles to ``sql``."""

    def visit(self: Any, element: Any, **kw: Any) -> str:
        return sql

    return visit


class SparkTypeCompiler(HiveTypeCompiler):
    """Spark's own type names (DATE is DATE, not TIMESTAMP)."""

    visit_DATE = _answer("DATE")
    visit_BOOLEAN = _answer("BOOLEAN")
    visit_SMALLINT = _answer("SMALLINT")
    visit_BIGINT = _answer("BIGINT")
    visit_DOUBLE = visit_FLOAT = _answer("DOUBLE")
    visit_REAL = _answer("FLOAT")
    visit_JSON = visit_uuid = _answer("STRING")

    def visit_NUMERIC(self, type_: Any, **kw: Any) -> str:
        if type_.precision is None:
            return "DECIMAL(38, 10)"
        return f"DECIMAL({type_.precision}, {type_.scale or 0})"

    def visit_DECIMAL(self, type_: Any, **kw: Any) -> str:
        return self.visit_NUMERIC(type_, **kw)


_SAME_TYPE_FUNCTIONS = {"lag", "lead", "min", "max", "coalesce", "first_value", "last_value"}


def _is_date(expr: Any) -> bool:
    """True for a DATE expression (also ``lag(date) OVER …``, whose type SQLAlchemy does not know)."""
    if isinstance(expr, sa.sql.elements.Grouping | sa.sql.elements.Label):
        return _is_date(expr.element)
    if isinstance(expr, sa.sql.elements.Over):
        return _is_date(expr.element)
    if isinstance(expr, sa.sql.functions.FunctionElement) and expr.name in _SAME_TYPE_FUNCTIONS:
        args = list(expr.clauses)
        return bool(args) and _is_date(args[0])
    kind = getattr(expr, "type", None)
    return isinstance(kind, sqltypes.Date) and not isinstance(kind, sqltypes.DateTime)


class SparkCompiler(HiveCompiler):
    """HiveQL compiler with Spark's date arithmetic and SQLAlchemy's own INSERT."""

    def visit_sub_binary(self, binary: Any, operator: Any, **kw: Any) -> str:
        if _is_date(binary.left) and _is_date(binary.right):
            return (
                f"datediff({self.process(binary.left, **kw)}, {self.process(binary.right, **kw)})"
            )
        return self._generate_generic_binary(binary, " - ", **kw)

    def visit_insert(self, *args: Any, **kwargs: Any) -> str:
        return compiler.SQLCompiler.visit_insert(self, *args, **kwargs)

    def visit_sequence(self, seq: sa.Sequence, **kw: Any) -> str:
        self.spark_sequences = [*getattr(self, "spark_sequences", ()), seq]
        return f"%({_seq_param(seq)})s"


class SparkDDLCompiler(compiler.DDLCompiler):
    """``CREATE TABLE … USING parquet`` without constraints; no indexes, no sequences."""

    def visit_create_table(self, create: Any, **kw: Any) -> str:
        table = create.element
        cols = ", ".join(
            f"{self.preparer.format_column(c)} "
            f"{self.dialect.type_compiler_instance.process(c.type, type_expression=c)}"
            for c in table.columns
        )
        ddl = f"CREATE TABLE {self.preparer.format_table(table)} ({cols}"
        part = PARTITIONS.get(table.name)
        if part is not None:
            ddl += f", {self.preparer.quote(part.column)} {part.type}"
        ddl += f") USING {SPARK_TABLE_FORMAT}"
        if part is not None:
            ddl += f" PARTITIONED BY ({self.preparer.quote(part.column)})"
        return ddl

    def visit_drop_table(self, drop: Any, **kw: Any) -> str:
        return f"DROP TABLE IF EXISTS {self.preparer.format_table(drop.element)}"

    # nothing is sent (SparkDialect.do_execute skips the empty statement)
    visit_create_index = visit_drop_index = _answer("")
    visit_create_sequence = visit_drop_sequence = _answer("")


class SparkExecutionContext(HiveExecutionContext):
    """Sequences (Spark has none) are emulated: max(id) + 1, counted on within the process."""

    def _next_value(self, seq: sa.Sequence) -> int:
        table = self.compiled.statement.table
        column = next(c for c in table.columns if c.default is seq)
        counters = self.dialect._sequence_next
        if seq.name not in counters:
            top_sql = str(sa.select(sa.func.max(column)).compile(dialect=self.dialect))
            top = self._execute_scalar(top_sql, None)
            counters[seq.name] = max(int(top or 0) + 1, seq.start or 1)
        value = counters[seq.name]
        counters[seq.name] += 1
        return value

    def fire_sequence(self, seq: sa.Sequence, type_: Any) -> int:
        return self._next_value(seq)

    def pre_exec(self) -> None:
        # an executemany INSERT renders the sequence as a parameter (SparkCompiler.visit_sequence)
        for seq in getattr(self.compiled, "spark_sequences", ()):
            for params in self.parameters:
                params[_seq_param(seq)] = self._next_value(seq)


def _seq_param(seq: sa.Sequence) -> str:
    return f"_seq_{seq.name}"


class SparkIdentifierPreparer(HiveIdentifierPreparer):
    """Backquoted names with a backquote inside doubled, as Spark reads them (PyHive doubles ``"``)."""

    def __init__(self, dialect: sa.Dialect) -> None:
        compiler.IdentifierPreparer.__init__(self, dialect, initial_quote="`", escape_quote="`")


class SparkDialect(HiveDialect):
    """PyHive's hive dialect with the fixes above; the ``hive://`` dialect in Footprint."""

    name = "hive"
    preparer = SparkIdentifierPreparer
    statement_compiler = SparkCompiler
    ddl_compiler = SparkDDLCompiler
    type_compiler = SparkTypeCompiler
    type_compiler_cls = SparkTypeCompiler
    supports_sequences = True  # emulated by SparkExecutionContext: one writer at a time
    sequences_optional = False
    execution_ctx_cls = SparkExecutionContext
    supports_statement_cache = True
    supports_native_boolean = True
    colspecs: ClassVar[dict] = {
        sqltypes.Date: SparkDate,
        sqltypes.DateTime: SparkDateTime,
        sqltypes.Interval: SparkInterval,
    }

    @classmethod
    def import_dbapi(cls) -> Any:
        from pyhive import hive

        return hive

    def connect(self, *cargs: Any, **cparams: Any) -> Any:
        """A server that cannot be reached is the driver's OperationalError (a page says the
        data are unavailable), not thrift's transport error."""
        from thrift.transport.TTransport import TTransportException

        try:
            return super().connect(*cargs, **cparams)
        except TTransportException as exc:
            raise self.loaded_dbapi.OperationalError(
                f"cannot reach the Spark Thrift server: {exc}"
            ) from None

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._sequence_next: dict[str, int] = {}
        self._tables_seen: dict[str, tuple[float, set[str]]] = {}

    def do_execute(self, cursor: Any, statement: str, parameters: Any, context: Any = None) -> None:
        if not statement.strip():  # index and sequence DDL compile to nothing on Spark
            return
        if statement.startswith(("CREATE", "DROP", "ALTER")):
            self._tables_seen.clear()
        if statement.startswith("DELETE FROM "):
            self._delete(cursor, statement, parameters, context)
            return
        try:
            super().do_execute(cursor, statement, parameters, context)
        except self.loaded_dbapi.OperationalError as exc:
            raise _short(exc) from None

    def _delete(self, cursor: Any, statement: str, parameters: Any, context: Any) -> None:
        """DELETE, which Parquet tables lack: the rows to keep are copied aside, then
        ``INSERT OVERWRITE`` puts them back (TRUNCATE when every row goes). When no row matches,
        one query says so and the table is left as it is (four statements fewer)."""
        match = _DELETE.match(statement)
        if match is None:
            raise NotImplementedError(f"DELETE on Spark: cannot rewrite {statement[:80]!r}")
        table, cond = match.group(1), match.group(2)
        if cond is None:
            self.do_execute(cursor, f"TRUNCATE TABLE {table}", None, context)
            return
        self.do_execute(
            cursor,
            f"SELECT 1 FROM {table} WHERE coalesce(({cond}), false) LIMIT 1",
            parameters,
            context,
        )
        if cursor.fetchone() is None:
            return
        keep = f"`{table.strip('`')}__keep`"
        self.do_execute(cursor, f"DROP TABLE IF EXISTS {keep}", None, context)
        self.do_execute(
            cursor,
            f"CREATE TABLE {keep} USING {SPARK_TABLE_FORMAT} AS SELECT * FROM {table} "
            f"WHERE NOT coalesce(({cond}), false)",
            parameters,
            context,
        )
        try:
            self.do_execute(
                cursor, f"INSERT OVERWRITE TABLE {table} SELECT * FROM {keep}", None, context
            )
        finally:
            self.do_execute(cursor, f"DROP TABLE IF EXISTS {keep}", None, context)

    def do_execute_no_params(self, cursor: Any, statement: str, context: Any = None) -> None:
        self.do_execute(cursor, statement, None, context)

    def do_executemany(
        self, cursor: Any, statement: str, parameters: Any, context: Any = None
    ) -> None:
        """Many rows as one multi-row ``INSERT … VALUES`` (one statement per row: ≈ 5 rows/s)."""
        head, sep, values = statement.partition(" VALUES ")
        if not sep or not head.startswith("INSERT"):
            for params in parameters:
                self.do_execute(cursor, statement, params, context)
            return
        from pyhive.hive import HiveParamEscaper

        escaper = HiveParamEscaper()
        for lo in range(0, len(parameters), 1000):
            rows = [values % escaper.escape_args(p) for p in parameters[lo : lo + 1000]]
            self.do_execute(cursor, f"{head} VALUES {', '.join(rows)}", None, context)

    def has_sequence(
        self, connection: Any, sequence_name: str, schema: Any = None, **kw: Any
    ) -> bool:
        return False

    def has_table(
        self, connection: Any, table_name: str, schema: str | None = None, **kw: Any
    ) -> bool:
        # create_all/drop_all ask once per table, and each SHOW TABLES is a Spark job (0.3–1.5 s):
        # one listing serves a burst of questions; this process's own DDL resets it
        now = time.monotonic()
        key = schema or ""
        cached = self._tables_seen.get(key)
        if cached is None or now - cached[0] > TABLE_LIST_TTL_S:
            cached = (now, set(self.get_table_names(connection, schema)))
            self._tables_seen[key] = cached
        return table_name in cached[1]

    def get_table_names(self, connection: Any, schema: str | None = None, **kw: Any) -> list[str]:
        query = "SHOW TABLES"
        if schema:
            query += " IN " + self.identifier_preparer.quote_identifier(schema)
        # Spark answers (namespace, tableName, isTemporary); Hive answered (tab_name)
        rows = connection.exec_driver_sql(query).fetchall()
        return [row[1] if len(row) > 1 else row[0] for row in rows if not _temporary(row)]

    def get_view_names(self, connection: Any, schema: str | None = None, **kw: Any) -> list[str]:
        return []


_DELETE = re.compile(r"DELETE FROM (`[^`]+`)(?:\s+WHERE\s+(.*))?\s*$", re.S)


def _short(exc: Exception) -> Exception:
    """The Thrift server's error message without its Java stack (kilobytes of it)."""
    status = getattr(exc.args[0] if exc.args else None, "status", None)
    message = getattr(status, "errorMessage", None)
    if not message:
        return exc
    return type(exc)(message.replace("Error running query: ", "", 1).splitlines()[0])


def _temporary(row: Any) -> bool:
    return len(row) > 2 and bool(row[2])


def is_spark(bind: sa.Engine | sa.Connection | sa.Dialect) -> bool:
    """True for a Spark SQL engine, connection or dialect."""
    dialect = bind if isinstance(bind, sa.Dialect) else bind.dialect
    return dialect.name == "hive"


class SparkImpl(DefaultImpl):
    """Alembic on Spark: stamping a new database works (create_or_upgrade); DDL is not
    transactional. Revisions are not run against Spark: its schema is created from the
    metadata (``init``), and a new release's tables come with a fresh ``init`` + load."""

    __dialect__ = "hive"
    transactional_ddl = False


def spark_table(table: sa.Table, name: str | None = None) -> sa.TableClause:
    """``table``'s columns as Spark stores them (its own, then any partition column), under its
    name or ``name`` (a view or a table of the same shape)."""
    columns = [sa.column(c.name, c.type) for c in table.columns]
    part = PARTITIONS.get(table.name)
    if part is not None:
        columns.append(sa.column(part.column, sa.Date))
    return sa.table(name or table.name, *columns)


# Spark statements SQLAlchemy has no construct for. Each compiles for the hive dialect only,
# with every name quoted by the dialect's preparer and every select compiled by SQLAlchemy.


class _SparkStatement(Executable, ClauseElement):
    """A statement run with ``conn.execute``; not cached (each names fresh tables and folders)."""

    inherit_cache = False

    def __init_subclass__(cls, **kw: Any) -> None:
        cls.inherit_cache = False  # SQLAlchemy asks each class itself, else warns at every run
        super().__init_subclass__(**kw)


class _FromSelect(_SparkStatement):
    """``<head> <table> [<tail>] SELECT …``: a table or view written from a select."""

    head: ClassVar[str]
    tail: ClassVar[str] = ""

    def __init__(self, table: sa.TableClause, select: sa.Select | sa.CompoundSelect) -> None:
        self.table = table
        self.select = select


class InsertSelect(_FromSelect):
    """``INSERT INTO t SELECT …`` (appends), or ``INSERT OVERWRITE TABLE t SELECT …`` (replaces
    every row; with dynamic partition overwrite, the partitions the rows fall in). No column
    list: the select gives every column in the table's order, any partition column last."""

    def __init__(
        self,
        table: sa.TableClause,
        select: sa.Select | sa.CompoundSelect,
        *,
        overwrite: bool = False,
    ) -> None:
        super().__init__(table, select)
        self.head = "INSERT OVERWRITE TABLE" if overwrite else "INSERT INTO"


class CreateTableAs(_FromSelect):
    """``CREATE TABLE t USING parquet AS SELECT …``."""

    head = "CREATE TABLE"
    tail = f"USING {SPARK_TABLE_FORMAT} AS"


class TemporaryView(_FromSelect):
    """``CREATE OR REPLACE TEMPORARY VIEW v AS SELECT …`` (seen by this session only)."""

    head = "CREATE OR REPLACE TEMPORARY VIEW"
    tail = "AS"


class _OnTable(_SparkStatement):
    """``<verb> <table>``."""

    verb: ClassVar[str]

    def __init__(self, table: sa.TableClause) -> None:
        self.table = table


class DropView(_OnTable):
    """``DROP VIEW IF EXISTS v``."""

    verb = "DROP VIEW IF EXISTS"


class DropTableIfExists(_OnTable):
    """``DROP TABLE IF EXISTS t``."""

    verb = "DROP TABLE IF EXISTS"


class TruncateTable(_OnTable):
    """``TRUNCATE TABLE t``."""

    verb = "TRUNCATE TABLE"


class DropPartition(_SparkStatement):
    """``ALTER TABLE t DROP IF EXISTS PARTITION (p = DATE'…')``: a partition by date."""

    def __init__(self, table: sa.TableClause, column: str, value: dt.date) -> None:
        if type(value) is not dt.date:
            raise TypeError(f"a partition date, not {value!r}")
        self.table = table
        self.column = column
        self.value = value


class ParquetFiles(sa.sql.expression.TableClause):
    """The Parquet files of a folder as a table to select from: ``parquet.`file:///…```."""

    inherit_cache = False


@compiles(_FromSelect, "hive")
def _from_select(element: _FromSelect, compiler: Any, **kw: Any) -> str:
    table = compiler.preparer.format_table(element.table)
    head = " ".join(part for part in (element.head, table, element.tail) if part)
    return f"{head} {compiler.process(element.select, **kw)}"


@compiles(_OnTable, "hive")
def _on_table(element: _OnTable, compiler: Any, **kw: Any) -> str:
    return f"{element.verb} {compiler.preparer.format_table(element.table)}"


@compiles(DropPartition, "hive")
def _drop_partition(element: DropPartition, compiler: Any, **kw: Any) -> str:
    table = compiler.preparer.format_table(element.table)
    column = compiler.preparer.quote(element.column)
    # a partition spec takes literals only; the value is a date (checked), written as ISO
    day = element.value.isoformat()
    return f"ALTER TABLE {table} DROP IF EXISTS PARTITION ({column} = DATE'{day}')"


@compiles(ParquetFiles, "hive")
def _parquet_files(element: ParquetFiles, compiler: Any, **kw: Any) -> str:
    return f"{SPARK_TABLE_FORMAT}.{compiler.preparer.quote_identifier(element.name)}"
