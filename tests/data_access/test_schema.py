"""The schema creates and round-trips on DuckDB and PostgreSQL."""

from datetime import date

import sqlalchemy as sa

from data_access import schema
from data_access.engine import has_schema


def test_every_table_is_created(empty_engine: sa.Engine) -> None:
    with empty_engine.connect() as conn:
        assert has_schema(conn)
        names = set(sa.inspect(conn).get_table_names())
    assert set(schema.metadata.tables) <= names


def test_branch_round_trips(empty_engine: sa.Engine) -> None:
    row = {
        "branch_id": 1,
        "code": "B01",
        "name": "城关支行",
        "name_en": "Chengguan",
        "town": "城关镇",
        "opened_on": date(1998, 3, 1),
    }
    with empty_engine.begin() as conn:
        conn.execute(schema.branches.insert(), [row])
    with empty_engine.connect() as conn:
        got = conn.execute(sa.select(schema.branches)).mappings().one()
    assert dict(got) == row


def test_sequences_assign_ids_for_app_written_tables(empty_engine: sa.Engine) -> None:
    from datetime import datetime

    with empty_engine.begin() as conn:
        for name in ("A", "B"):
            conn.execute(
                schema.saved_segments.insert().values(
                    name=name, owner="u", definition="{}", created_at=datetime(2026, 1, 1)
                )
            )
    with empty_engine.connect() as conn:
        ids = (
            conn.execute(sa.select(schema.saved_segments.c.segment_id).order_by("segment_id"))
            .scalars()
            .all()
        )
    assert len(set(ids)) == 2
