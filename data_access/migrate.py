"""Schema versions (Alembic): bring a database to the code's schema; stamp a new one as current.

The revisions are in ``data_access/migrations/versions/`` as one chain; ``0001`` is the baseline
(every table of the first release with migrations, frozen in ``migrations/baseline.json``). It
creates only the tables that are missing, so a database built by an earlier release, which has no
``alembic_version`` table, is brought to the head by the same ``upgrade`` as any other.

duckdb-engine workarounds (the only ones, both here, in ``DuckDBImpl``): Alembic chooses its DDL
implementation by dialect name and ships none for "duckdb", so the default one is registered under
that name (DuckDB's DDL is PostgreSQL-like and transactional). And DuckDB refuses to alter a table
that has a secondary index ("Cannot alter entry … because there are entries that depend on it",
DuckDB 2.0): ``add_column`` / ``alter_column`` / ``drop_column`` drop the table's indexes, alter, and
re-create them from their stored SQL. Revisions use plain ``op.add_column`` etc. and run
unchanged on both databases. One thing DuckDB cannot do inside a transaction at all: drop a column
that an index covers (even with the index dropped first); ``drop_column`` says so.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import cache
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from alembic import command
from alembic.config import Config
from alembic.ddl.impl import DefaultImpl
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory

from data_access.schema import metadata

MIGRATIONS = Path(__file__).resolve().parent / "migrations"
VERSION_TABLE = "alembic_version"


class DuckDBImpl(DefaultImpl):
    """Alembic's default DDL implementation for duckdb-engine, altering tables around their indexes."""

    __dialect__ = "duckdb"
    transactional_ddl = True

    def _indexes(self, table_name: str) -> list[tuple[str, str]]:
        """(name, CREATE INDEX statement) of the table's secondary indexes."""
        return [
            (name, sql)
            for name, sql in self.connection.execute(
                sa.text(
                    "SELECT index_name, sql FROM duckdb_indexes()"
                    " WHERE table_name = :t AND schema_name = current_schema() AND sql IS NOT NULL"
                ),
                {"t": table_name},
            )
        ]

    def _without_indexes(self, table_name: str, alter: Callable[[], None]) -> None:
        found = self._indexes(table_name)
        for name, _ in found:
            self.connection.execute(sa.schema.DropIndex(sa.Index(name)))
        alter()
        for _, sql in found:
            self.connection.exec_driver_sql(sql)  # the index's own DDL, as DuckDB stored it

    def add_column(self, table_name: str, column: sa.Column, **kw: Any) -> None:
        self._without_indexes(
            table_name, lambda: super(DuckDBImpl, self).add_column(table_name, column, **kw)
        )

    def alter_column(self, table_name: str, column_name: str, **kw: Any) -> None:
        self._without_indexes(
            table_name, lambda: super(DuckDBImpl, self).alter_column(table_name, column_name, **kw)
        )

    def drop_column(self, table_name: str, column: sa.Column, **kw: Any) -> None:
        covering = [
            name
            for name, sql in self._indexes(table_name)
            if re.search(rf"\b{re.escape(column.name)}\b", sql.split("(", 1)[1])
        ]
        if covering:
            raise NotImplementedError(
                f"DuckDB cannot drop {table_name}.{column.name} inside a transaction while index "
                f"{covering[0]} covers it: keep the column, or rebuild the table in the revision"
            )
        self._without_indexes(
            table_name, lambda: super(DuckDBImpl, self).drop_column(table_name, column, **kw)
        )


def alembic_config(connection: sa.Connection | None = None) -> Config:
    """An Alembic Config for our revisions, running on ``connection`` when given."""
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.attributes["connection"] = connection
    return cfg


@cache
def _scripts() -> ScriptDirectory:
    return ScriptDirectory.from_config(alembic_config())


def heads() -> tuple[str, ...]:
    """Every head revision (a meta-test requires exactly one)."""
    return tuple(_scripts().get_heads())


def head() -> str:
    """The revision the code's schema corresponds to."""
    found = heads()
    if len(found) != 1:
        raise RuntimeError(f"the migrations have {len(found)} heads {found}: chain them into one")
    return found[0]


def current(conn: sa.Connection) -> str | None:
    """The database's revision, or None when it was never stamped (empty, or an older release)."""
    return MigrationContext.configure(conn).get_current_revision()


def upgrade(engine: sa.Engine, revision: str = "head") -> tuple[str | None, str | None]:
    """Run every revision up to ``revision`` in one transaction; returns (before, after)."""
    with engine.begin() as conn:
        before = current(conn)
        command.upgrade(alembic_config(conn), revision)
        return before, current(conn)


def create_or_upgrade(engine: sa.Engine) -> None:
    """An empty database gets every table and the head stamp; one with tables is upgraded."""
    with engine.begin() as conn:
        names = set(sa.inspect(conn).get_table_names())
        if names & set(metadata.tables):
            command.upgrade(alembic_config(conn), "head")
            return
        metadata.create_all(conn)
        MigrationContext.configure(conn).stamp(_scripts(), head())


def drop_version_table(conn: sa.Connection) -> None:
    """Forget the database's revision (with its tables dropped, it is empty again)."""
    sa.Table(VERSION_TABLE, sa.MetaData()).drop(conn, checkfirst=True)
