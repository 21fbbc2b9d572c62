"""The DDL of every table, compiled for DuckDB, PostgreSQL and Spark, against reviewed golden files.

``schema.py`` builds recurring columns with shared helpers; this test makes sure a change to a
helper cannot alter any table unnoticed. A deliberate schema change (which also needs a migration)
rewrites the golden files with ``python -m tests.data_access.test_schema_ddl``; review its diff.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import make_url
from sqlalchemy.schema import (
    CreateIndex,
    CreateSequence,
    CreateTable,
    SetColumnComment,
    SetTableComment,
)

import data_access.engine  # noqa: F401  (registers the Spark dialect as hive://)
from data_access.schema import metadata

GOLDEN = Path(__file__).with_name("schema_ddl")
DIALECTS = {"duckdb": "duckdb://", "postgresql": "postgresql+psycopg://", "spark": "hive://"}


def _statements(table: sa.Table) -> list[sa.schema.ExecutableDDLElement]:
    """What create_all sends for one table: sequences, the table, its comments and indexes."""
    sequences = [c.default for c in table.columns if isinstance(c.default, sa.Sequence)]
    comments = [SetColumnComment(c) for c in table.columns if c.comment]
    if table.comment:
        comments.insert(0, SetTableComment(table))
    indexes = sorted(table.indexes, key=lambda ix: ix.name)
    return [
        *(CreateSequence(s) for s in sequences),
        CreateTable(table),
        *comments,
        *(CreateIndex(ix) for ix in indexes),
    ]


def compiled_ddl(dialect_name: str) -> str:
    """Every table's DDL for one dialect, tables by name, as one text."""
    dialect = make_url(DIALECTS[dialect_name]).get_dialect()()
    parts = []
    for table in sorted(metadata.tables.values(), key=lambda t: t.name):
        parts.append(f"-- {table.name}")
        for statement in _statements(table):
            sql = str(statement.compile(dialect=dialect)).strip()
            if sql:  # Spark sends no sequence or index DDL
                parts.extend(line.rstrip() for line in f"{sql};".splitlines())
    return "\n".join(parts) + "\n"


@pytest.mark.parametrize("dialect_name", list(DIALECTS))
def test_every_table_compiles_to_the_reviewed_ddl(dialect_name: str) -> None:
    golden = (GOLDEN / f"{dialect_name}.txt").read_text(encoding="utf-8")
    assert compiled_ddl(dialect_name).splitlines() == golden.splitlines(), (
        "the DDL changed; if on purpose (with its migration), rewrite the golden files with "
        "`python -m tests.data_access.test_schema_ddl` and review their diff"
    )


if __name__ == "__main__":
    GOLDEN.mkdir(exist_ok=True)
    for name in DIALECTS:
        (GOLDEN / f"{name}.txt").write_text(compiled_ddl(name), encoding="utf-8")
