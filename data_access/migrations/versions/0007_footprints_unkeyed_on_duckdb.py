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


def _without_indexes(bind: sa.Connection) -> list[str]:
    """Drop footprints' secondary indexes (DuckDB alters no table an index depends on); their
    stored DDL, to create them again."""
    indexes = bind.execute(
        sa.text(
            "SELECT index_name, sql FROM duckdb_indexes() WHERE table_name = 'footprints'"
            " AND schema_name = current_schema() AND sql IS NOT NULL"
        )
    ).all()
    for name, _ in indexes:
        bind.execute(sa.schema.DropIndex(sa.Index(name)))
    return [sql for _, sql in indexes]


def _copy_rows(bind: sa.Connection, source: str, target: str) -> None:
    """Every row of footprints table ``source`` into ``target``, in their order."""
    names = [c.name for c in footprints.columns]
    src = sa.table(source, *(sa.column(n) for n in names))
    dst = sa.table(target, *(sa.column(n) for n in names))
    bind.execute(dst.insert().from_select(names, sa.select(*src.c)))


def _finish(bind: sa.Connection, indexes: list[str]) -> None:
    """The rebuilt table's column comments and its secondary indexes, as before."""
    for column in footprints.columns:
        if column.comment:
            bind.execute(sa.schema.SetColumnComment(column))
    for sql in indexes:
        bind.exec_driver_sql(sql)  # the index's own DDL, as DuckDB stored it


def upgrade() -> None:
    """Rebuild footprints without its primary key (DuckDB only)."""
    bind = op.get_bind()
    if bind.dialect.name != "duckdb" or not _keyed(bind):
        return
    indexes = _without_indexes(bind)
    op.rename_table("footprints", _ASIDE)
    bind.execute(sa.schema.CreateTable(footprints))  # the code's DDL: no key on DuckDB
    _copy_rows(bind, _ASIDE, "footprints")
    op.drop_table(_ASIDE)
    _finish(bind, indexes)


def downgrade() -> None:
    """Rebuild footprints with its primary key (DuckDB only). DuckDB adds no key to a table
    whose index was dropped in the same transaction, so the table is rebuilt here too."""
    bind = op.get_bind()
    if bind.dialect.name != "duckdb" or _keyed(bind):
        return
    indexes = _without_indexes(bind)
    # under another name the DuckDB hook (schema.UNKEYED_ON_DUCKDB) leaves the key in the DDL
    keyed = footprints.to_metadata(sa.MetaData(), name=_ASIDE)
    bind.execute(sa.schema.CreateTable(keyed))
    _copy_rows(bind, "footprints", _ASIDE)
    op.drop_table("footprints")
    op.rename_table(_ASIDE, "footprints")
    _finish(bind, indexes)
