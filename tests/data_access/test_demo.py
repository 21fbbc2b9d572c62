"""The demo bank fills every table plausibly, on DuckDB and on PostgreSQL."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from data_access.schema import metadata


@pytest.fixture(params=["duckdb", "postgresql"])
def demo(request: pytest.FixtureRequest) -> sa.Engine:
    """The session's demo bank on each backend."""
    name = "demo_engine" if request.param == "duckdb" else "demo_pg_engine"
    return request.getfixturevalue(name)


def test_every_table_has_rows(demo: sa.Engine) -> None:
    with demo.connect() as conn:
        empty = [
            name
            for name, table in metadata.tables.items()
            if conn.execute(sa.select(sa.func.count()).select_from(table)).scalar_one() == 0
        ]
    assert empty == []


def test_meta_stamp_written(demo: sa.Engine) -> None:
    from data_access.schema import bank_meta

    with demo.connect() as conn:
        meta = dict(conn.execute(sa.select(bank_meta.c.key, bank_meta.c.value)).all())
    assert meta["data_as_of"] == "2026-11-22"
    assert meta["seed"] == "7"
    assert meta["customers"] == "3000"
    assert {"generator_version", "loaded_at"} <= set(meta)
