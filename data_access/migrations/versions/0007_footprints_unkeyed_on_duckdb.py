"""footprints without a PRIMARY KEY constraint on DuckDB (``schema.UNKEYED_ON_DUCKDB`` says why).

DuckDB cannot drop a primary key, so the table is rebuilt: renamed aside, created again from the
code's DDL (which on DuckDB has no key), its rows copied in their order, the old one dropped, and
any secondary index it had re-created from its stored SQL. Nothing changes on PostgreSQL.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from data_access.schema import footprints

revision = "0007"
down_revision = "0006"

_ASIDE = "_footprints_keyed"


def _keyed(bind: sa.Connection) -> bool:
    found = bind.execute(
        sa.text(
            "SELECT count(*) FROM duckdb_constraints() WHERE table_name = 'footprints'"
            " AND schema_name = current_schema() AND constraint_type = 'PRIMARY KEY'"
        )
    )
    return bool(found.scalar_one())


def upgrade() -> None:
    """Rebuild footprints without its primary key (DuckDB only)."""
    bind = op.get_bind()
    if bind.dialect.name != "duckdb" or not _keyed(bind):
        return
    indexes = bind.execute(
        sa.text(
            "SELECT index_name, sql FROM duckdb_indexes() WHERE table_name = 'footprints'"
            " AND schema_name = current_schema() AND sql IS NOT NULL"
        )
    ).all()
    for name, _ in indexes:  # DuckDB renames no table that an index depends on
        bind.execute(sa.schema.DropIndex(sa.Index(name)))
    op.rename_table("footprints", _ASIDE)
    bind.execute(sa.schema.CreateTable(footprints))
    for column in footprints.columns:
        if column.comment:
            bind.execute(sa.schema.SetColumnComment(column))
    names = [c.name for c in footprints.columns]
    aside = sa.table(_ASIDE, *(sa.column(n) for n in names))
    bind.execute(footprints.insert().from_select(names, sa.select(*aside.c)))
    op.drop_table(_ASIDE)
    for _, sql in indexes:
        bind.exec_driver_sql(sql)  # the index's own DDL, as DuckDB stored it


def downgrade() -> None:
    """Give footprints its primary key back (DuckDB only)."""
    bind = op.get_bind()
    if bind.dialect.name == "duckdb" and not _keyed(bind):
        bind.exec_driver_sql("ALTER TABLE footprints ADD PRIMARY KEY (footprint_id)")
