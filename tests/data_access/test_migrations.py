"""Alembic migrations: one head; the head equals the code's schema; an older release's bank upgrades.

"The previous release" is the baseline frozen in data_access/migrations/baseline.json (the schema
of the last release without migrations, which kept no version stamp). Its database is built with
rows in every table, upgraded to the head, and must keep every row and end with the schema that
``metadata.create_all`` makes — on DuckDB and on PostgreSQL.
"""

from __future__ import annotations

import importlib.util
from datetime import date, datetime
from types import ModuleType

import pytest
import sqlalchemy as sa

from data_access import migrate
from data_access.cli import main
from data_access.engine import create_schema, make_engine
from data_access.schema import metadata

ACTIVITY_MARTS = (
    "activity_week_cells",
    "cohort_month_cells",
    "customer_income_year",
    "application_evidence",
    "applicant_places",
    "officer_activity_weeks",
)


def _baseline() -> ModuleType:
    path = migrate.MIGRATIONS / "versions" / "0001_baseline.py"
    spec = importlib.util.spec_from_file_location("baseline_revision", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


_COLUMNS = sa.text(
    "SELECT table_name, column_name, data_type, is_nullable, character_maximum_length"
    " FROM information_schema.columns WHERE table_schema = current_schema()"
)
_CONSTRAINTS = sa.text(
    "SELECT tc.table_name, tc.constraint_type, tc.constraint_name, kcu.column_name"
    " FROM information_schema.table_constraints tc JOIN information_schema.key_column_usage kcu"
    " ON kcu.constraint_name = tc.constraint_name AND kcu.table_name = tc.table_name"
    " AND kcu.table_schema = tc.table_schema"
    " WHERE tc.table_schema = current_schema()"
)
_INDEXES = {
    "duckdb": sa.text(
        "SELECT table_name, index_name, expressions FROM duckdb_indexes()"
        " WHERE schema_name = current_schema()"
    ),
    "postgresql": sa.text(
        "SELECT tablename, indexname, indexdef FROM pg_indexes WHERE schemaname = current_schema()"
    ),
}
_SEQUENCES = {
    "duckdb": sa.text(
        "SELECT sequence_name, start_value FROM duckdb_sequences()"
        " WHERE schema_name = current_schema()"
    ),
    "postgresql": sa.text(
        "SELECT sequence_name, start_value::bigint FROM information_schema.sequences"
        " WHERE sequence_schema = current_schema()"
    ),
}


def _shape(engine: sa.Engine) -> dict[str, object]:
    """Columns (type, nullability, length), keys and constraints, indexes and sequences.

    Read from the catalogue with SQL: duckdb-engine cannot reflect columns under SQLAlchemy 2.1.
    """
    skip = migrate.VERSION_TABLE
    with engine.connect() as conn:
        columns = sorted(tuple(r) for r in conn.execute(_COLUMNS) if r[0] != skip)
        keys: dict[tuple, list[str]] = {}
        for table, kind, name, column in conn.execute(_CONSTRAINTS):
            if table != skip:
                keys.setdefault((table, kind, name), []).append(column)
        constraints = sorted((t, k, tuple(sorted(c))) for (t, k, _), c in keys.items())
        indexes = sorted(
            tuple(r) for r in conn.execute(_INDEXES[engine.dialect.name]) if r[0] != skip
        )
        sequences = sorted(tuple(r) for r in conn.execute(_SEQUENCES[engine.dialect.name]))
    return {
        "tables": sorted({c[0] for c in columns}),
        "columns": columns,
        "constraints": constraints,
        "indexes": indexes,
        "sequences": sequences,
    }


def _value(col: sa.Column, i: int) -> object:
    """A value of the column's type for row ``i`` (the same i gives matching foreign keys)."""
    t = col.type
    if isinstance(col.default, sa.Sequence):  # clear of the ids the sequence will hand out
        return 100_000_000 + i
    if isinstance(t, sa.Boolean):
        return i % 2 == 0
    if isinstance(t, sa.Integer):
        return i
    if isinstance(t, sa.Double):
        return i + 0.25
    if isinstance(t, sa.DateTime):
        return datetime(2026, 1, i, 9, 30)
    if isinstance(t, sa.Date):
        return date(2026, 1, i)
    if isinstance(t, sa.String) and t.length:
        return f"v{i}"[: t.length]
    return f"text {i} 足迹"


def _fill(engine: sa.Engine, md: sa.MetaData) -> dict[str, list[tuple]]:
    rows: dict[str, list[tuple]] = {}
    with engine.begin() as conn:
        for table in md.sorted_tables:
            batch = [{c.name: _value(c, i) for c in table.columns} for i in (1, 2)]
            conn.execute(table.insert(), batch)
            rows[table.name] = sorted(tuple(r.values()) for r in batch)
    return rows


def _read(engine: sa.Engine, md: sa.MetaData) -> dict[str, list[tuple]]:
    with engine.connect() as conn:
        out = {}
        for table in md.sorted_tables:  # the baseline's columns, in its order, as they are now
            stmt = sa.select(*(sa.column(c.name) for c in table.columns)).select_from(
                sa.table(table.name)
            )
            out[table.name] = sorted(tuple(r) for r in conn.execute(stmt).all())
    return out


def test_the_migrations_have_exactly_one_head() -> None:
    assert len(migrate.heads()) == 1, migrate.heads()


def test_every_revision_but_the_baseline_revises_another() -> None:
    revisions = list(migrate._scripts().walk_revisions())
    roots = [r.revision for r in revisions if r.down_revision is None]
    assert roots == ["0001"]


def test_upgrade_of_an_empty_database_gives_the_schema_of_create_all(
    blank_engine: sa.Engine, tmp_path
) -> None:
    migrate.upgrade(blank_engine)
    if blank_engine.dialect.name == "duckdb":
        reference = make_engine(f"duckdb:///{tmp_path / 'reference.duckdb'}")
        metadata.create_all(reference)
        expected = _shape(reference)
        reference.dispose()
    else:  # the same PostgreSQL schema, emptied and built by create_all
        expected_engine = blank_engine
        upgraded = _shape(blank_engine)
        metadata.drop_all(expected_engine)
        metadata.create_all(expected_engine)
        expected = _shape(expected_engine)
        assert upgraded == expected
        assert set(expected["tables"]) == set(metadata.tables)
        return
    assert _shape(blank_engine) == expected
    assert set(expected["tables"]) == set(metadata.tables)


def test_create_schema_stamps_the_head(blank_engine: sa.Engine) -> None:
    create_schema(blank_engine)
    with blank_engine.connect() as conn:
        assert migrate.current(conn) == migrate.head()
        assert set(sa.inspect(conn).get_table_names()) == set(metadata.tables) | {"alembic_version"}


@pytest.mark.parametrize("refreshed", [True, False], ids=["with-marts", "never-refreshed"])
def test_a_previous_release_database_upgrades_with_its_rows_intact(
    blank_engine: sa.Engine, refreshed: bool
) -> None:
    baseline = _baseline().baseline_metadata()
    if not refreshed:  # that release created the activity marts only at the first refresh
        for name in ACTIVITY_MARTS:
            baseline.remove(baseline.tables[name])
    baseline.create_all(blank_engine)
    written = _fill(blank_engine, baseline)
    with blank_engine.connect() as conn:
        assert migrate.current(conn) is None

    before, after = migrate.upgrade(blank_engine)

    assert (before, after) == (None, migrate.head())
    assert _read(blank_engine, baseline) == written
    assert set(_shape(blank_engine)["tables"]) == set(metadata.tables)
    with blank_engine.begin() as conn:  # the app's sequences still number new rows
        from data_access.schema import saved_segments

        conn.execute(
            saved_segments.insert().values(
                name="n", owner="o", definition="{}", created_at=datetime(2026, 12, 7)
            )
        )
        assert conn.execute(sa.select(sa.func.count()).select_from(saved_segments)).scalar() == 3


def test_cli_upgrade_reports_the_revisions(tmp_path, capsys) -> None:
    url = f"duckdb:///{tmp_path / 'old.duckdb'}"
    engine = make_engine(url)
    _baseline().baseline_metadata().create_all(engine)
    engine.dispose()

    assert main(["upgrade", "--url", url]) == 0
    assert f"unversioned -> {migrate.head()}" in capsys.readouterr().out
    assert main(["upgrade", "--url", url]) == 0
    assert f"is current (revision {migrate.head()})" in capsys.readouterr().out


def test_a_revision_can_add_alter_and_drop_columns_of_an_indexed_table(
    blank_engine: sa.Engine,
) -> None:
    """What a new signal or mart column needs, on both databases (DuckDB via DuckDBImpl)."""
    from alembic.operations import Operations
    from alembic.runtime.migration import MigrationContext

    create_schema(blank_engine)
    with blank_engine.begin() as conn:
        conn.execute(
            sa.insert(metadata.tables["customer_signals"]),
            [{c.name: _value(c, 1) for c in metadata.tables["customer_signals"].columns}],
        )
        op = Operations(MigrationContext.configure(conn))
        op.add_column(
            "customer_value",
            sa.Column("new_flag", sa.Boolean, nullable=False, server_default=sa.false()),
        )
        op.add_column(
            "customer_signals",
            sa.Column("new_signal", sa.Boolean, nullable=False, server_default=sa.false()),
        )
        op.alter_column("customer_value", "new_flag", server_default=None)
        op.drop_column("customer_value", "clv")
    with blank_engine.connect() as conn:
        assert conn.execute(sa.text("SELECT new_signal FROM customer_signals")).scalar() is False
    shape = _shape(blank_engine)
    columns = {(t, c) for t, c, *_ in shape["columns"]}
    assert ("customer_value", "new_flag") in columns
    assert ("customer_value", "clv") not in columns
    assert "ix_customer_value_branch" in {i[1] for i in shape["indexes"]}


def test_duckdb_says_plainly_it_cannot_drop_an_indexed_column(tmp_path) -> None:
    from alembic.operations import Operations
    from alembic.runtime.migration import MigrationContext

    engine = make_engine(f"duckdb:///{tmp_path / 'fp.duckdb'}")
    create_schema(engine)
    with engine.begin() as conn:
        op = Operations(MigrationContext.configure(conn))
        with pytest.raises(NotImplementedError, match="ix_customer_value_branch covers it"):
            op.drop_column("customer_value", "officer_id")
    engine.dispose()


def test_0007_goes_down_and_up_again_with_rows_intact(blank_engine: sa.Engine) -> None:
    """Down to 0006 and back to the head: every row and the same shape (keys, indexes) at each
    end; on DuckDB footprints regains its primary key at 0006 and loses it again at 0007 (the
    downgrade once failed: DuckDB adds no key to a table whose index went in the same
    transaction)."""
    from alembic import command

    migrate.upgrade(blank_engine)
    written = _fill(blank_engine, metadata)
    shape = _shape(blank_engine)

    def keyed() -> bool:
        with blank_engine.connect() as conn:
            return ("footprints", "PRIMARY KEY") in {
                tuple(r[:2]) for r in conn.execute(_CONSTRAINTS)
            }

    duckdb = blank_engine.dialect.name == "duckdb"
    assert keyed() is not duckdb  # schema.UNKEYED_ON_DUCKDB
    with blank_engine.begin() as conn:
        command.downgrade(migrate.alembic_config(conn), "0006")
    assert keyed()
    assert _read(blank_engine, metadata) == written
    migrate.upgrade(blank_engine)
    assert keyed() is not duckdb
    assert _shape(blank_engine) == shape
    assert _read(blank_engine, metadata) == written
