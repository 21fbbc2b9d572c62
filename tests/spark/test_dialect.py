"""What data_access/dialects.py compiles for Spark (no cluster needed), and that DuckDB and
PostgreSQL compile the same Core expressions as before."""

from __future__ import annotations

from datetime import date, timedelta

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

import data_access.engine
from data_access.dialects import SparkDate, SparkDialect
from data_access.queries._sql import week_of
from data_access.schema import footprints, saved_segments

SPARK = SparkDialect()
md = sa.MetaData()
t = sa.Table("t", md, sa.Column("d", sa.Date), sa.Column("ts", sa.DateTime))


def sql(expr: sa.ClauseElement, dialect: sa.Dialect = SPARK) -> str:
    return str(expr.compile(dialect=dialect, compile_kwargs={"literal_binds": False}))


def test_make_engine_gives_the_spark_dialect() -> None:
    engine = data_access.engine.make_engine("hive://ci@127.0.0.1:1/default")
    assert isinstance(engine.dialect, SparkDialect)


def test_cast_to_date_is_date_not_timestamp() -> None:
    assert "AS DATE)" in sql(sa.cast(t.c.ts, sa.Date))
    assert "AS DATE)" in sql(week_of(t.c.ts))


def test_date_minus_date_is_datediff_also_for_window_functions() -> None:
    assert sql(t.c.d - sa.cast(t.c.ts, sa.Date)).startswith("datediff(")
    lagged = t.c.d - sa.func.lag(t.c.d).over(order_by=t.c.d)
    assert sql(lagged).startswith("datediff(`t`.`d`, lag(`t`.`d`)")
    # a date minus a day count stays arithmetic
    assert "datediff" not in sql(t.c.d - 7)
    # DuckDB and PostgreSQL keep their own subtraction
    assert "datediff" not in sql(t.c.d - sa.cast(t.c.ts, sa.Date), postgresql.dialect())


def test_timedelta_parameter_is_a_day_time_interval() -> None:
    expr = t.c.ts + sa.bindparam("w", timedelta(days=30), type_=sa.Interval)
    assert "make_dt_interval(" in sql(expr)
    processor = sa.Interval().dialect_impl(SPARK).bind_processor(SPARK)
    assert processor(timedelta(days=30)) == 30 * 86400


def test_date_results_arrive_as_dates_and_day_counts_stay_numbers() -> None:
    impl = SparkDate()
    assert impl.process_result_value("2026-11-16", SPARK) == date(2026, 11, 16)
    assert impl.process_result_value(7, SPARK) == 7
    assert impl.process_result_value(None, SPARK) is None


def test_ddl_is_parquet_without_constraints_and_footprints_by_month() -> None:
    ddl = sql(sa.schema.CreateTable(footprints))
    assert ddl.endswith("USING parquet PARTITIONED BY (`occurred_month`)")
    assert "PRIMARY KEY" not in ddl and "NOT NULL" not in ddl
    assert "`occurred_at` TIMESTAMP" in ddl and "`amount` DOUBLE" in ddl
    index = next(iter(footprints.indexes), None) or sa.Index("ix", footprints.c.customer_id)
    assert sql(sa.schema.CreateIndex(index)) == ""
    assert sql(sa.schema.CreateSequence(saved_segments.c.segment_id.default)) == ""


def test_insert_keeps_its_column_list() -> None:
    stmt = sa.insert(t).from_select(["d"], sa.select(t.c.d))
    assert sql(stmt).startswith("INSERT INTO `t` (`d`) SELECT")


def test_an_unreachable_server_is_a_database_error() -> None:
    from data_access.engine import connect
    from data_access.errors import DataUnavailable
    from tests.spark.cluster import free_port

    engine = data_access.engine.make_engine(f"hive://ci@127.0.0.1:{free_port()}/default")
    try:
        with connect(engine) as conn:
            conn.exec_driver_sql("SELECT 1")
    except DataUnavailable as exc:
        assert "cannot reach the Spark Thrift server" in str(exc.__cause__)
    else:  # pragma: no cover - nothing listens on a free port
        raise AssertionError("connected to a port nothing listens on")
