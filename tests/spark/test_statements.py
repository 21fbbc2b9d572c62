"""The Spark statements SQLAlchemy has no construct for (data_access/dialects.py), compiled for
the ``hive`` dialect to their exact text: names quoted by the dialect, selects by SQLAlchemy.
No cluster needed."""

from __future__ import annotations

import re
import warnings
from datetime import date, datetime

import pytest
import sqlalchemy as sa
from sqlalchemy.exc import UnsupportedCompilationError

from data_access.dialects import (
    CreateTableAs,
    DropPartition,
    DropTableIfExists,
    DropView,
    InsertSelect,
    ParquetFiles,
    SparkDialect,
    TemporaryView,
    TruncateTable,
    spark_table,
)
from data_access.schema import footprints

SPARK = SparkDialect()
t = sa.table("t", sa.column("a"), sa.column("b"))
odd = sa.table("we`ird", sa.column("a"))


def sql(stmt: sa.ClauseElement) -> str:
    """The statement's text on one line (SQLAlchemy breaks a select before FROM)."""
    return re.sub(r"\s+", " ", str(stmt.compile(dialect=SPARK))).strip()


def test_insert_appends_or_overwrites_without_a_column_list() -> None:
    src = sa.table("src", sa.column("a"), sa.column("b"))
    assert sql(InsertSelect(t, sa.select(src))) == (
        "INSERT INTO `t` SELECT `src`.`a`, `src`.`b` FROM `src`"
    )
    assert sql(InsertSelect(t, sa.select(src), overwrite=True)) == (
        "INSERT OVERWRITE TABLE `t` SELECT `src`.`a`, `src`.`b` FROM `src`"
    )


def test_create_table_as_is_parquet() -> None:
    assert sql(CreateTableAs(sa.table("m"), sa.select(t))) == (
        "CREATE TABLE `m` USING parquet AS SELECT `t`.`a`, `t`.`b` FROM `t`"
    )


def test_temporary_view_over_parquet_files() -> None:
    files = ParquetFiles("file:///staging/t-1")
    select = sa.select(sa.cast(sa.column("a"), sa.Date).label("a")).select_from(files)
    assert sql(TemporaryView(sa.table("v"), select)) == (
        "CREATE OR REPLACE TEMPORARY VIEW `v` AS "
        "SELECT CAST(`a` AS DATE) AS `a` FROM parquet.`file:///staging/t-1`"
    )


def test_drops_and_truncate() -> None:
    assert sql(DropView(sa.table("v"))) == "DROP VIEW IF EXISTS `v`"
    assert sql(DropTableIfExists(sa.table("m"))) == "DROP TABLE IF EXISTS `m`"
    assert sql(TruncateTable(t)) == "TRUNCATE TABLE `t`"


def test_drop_partition_takes_a_date_only() -> None:
    stmt = DropPartition(t, "occurred_month", date(2026, 11, 1))
    assert sql(stmt) == (
        "ALTER TABLE `t` DROP IF EXISTS PARTITION (`occurred_month` = DATE'2026-11-01')"
    )
    with pytest.raises(TypeError):
        DropPartition(t, "occurred_month", "2026-11-01')--")  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        DropPartition(t, "occurred_month", datetime(2026, 11, 1))


def test_names_are_quoted_by_the_dialect() -> None:
    assert sql(TruncateTable(odd)) == "TRUNCATE TABLE `we``ird`"
    assert sql(DropView(odd)) == "DROP VIEW IF EXISTS `we``ird`"
    assert sql(sa.select(sa.literal_column("1")).select_from(ParquetFiles("file:///a`b"))) == (
        "SELECT 1 FROM parquet.`file:///a``b`"
    )


def test_a_spark_table_has_its_partition_column_last() -> None:
    columns = [c.name for c in spark_table(footprints).columns]
    assert columns == [c.name for c in footprints.columns] + ["occurred_month"]
    assert spark_table(footprints, "v").name == "v"


def test_the_statements_compile_for_spark_only() -> None:
    with pytest.raises(UnsupportedCompilationError):
        str(TruncateTable(t).compile(dialect=sa.dialects.postgresql.dialect()))


def test_the_statements_are_not_cached_and_say_nothing_about_it() -> None:
    statements = [
        InsertSelect(t, sa.select(t)),
        CreateTableAs(t, sa.select(t)),
        TemporaryView(t, sa.select(t)),
        DropView(t),
        DropTableIfExists(t),
        TruncateTable(t),
        DropPartition(t, "p", date(2026, 1, 1)),
        sa.select(sa.literal_column("1")).select_from(ParquetFiles("file:///a")),
    ]
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # SQLAlchemy warns at each run of a class it cannot cache
        assert [s._generate_cache_key() for s in statements] == [None] * len(statements)
