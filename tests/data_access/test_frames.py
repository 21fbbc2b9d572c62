"""A fetched frame's dtypes follow its select's SQL types (data_access.queries._frames)."""

from __future__ import annotations

import polars as pl
import pytest
import sqlalchemy as sa

from data_access.queries._frames import dtype_of, frame, schema_of

T = sa.Table(
    "t",
    sa.MetaData(),
    sa.Column("id", sa.BigInteger),
    sa.Column("n", sa.SmallInteger),
    sa.Column("amount", sa.Double),
    sa.Column("rate", sa.Numeric(10, 4)),
    sa.Column("code", sa.String(8)),
    sa.Column("note", sa.Text),
    sa.Column("day", sa.Date),
    sa.Column("seen_at", sa.DateTime),
    sa.Column("ok", sa.Boolean),
)


def test_each_sql_type_has_its_frame_dtype() -> None:
    got = {c.key: dtype_of(c.type) for c in T.c}
    assert got == {
        "id": pl.Int64,
        "n": pl.Int64,  # every integer is Int64: ids and counts join and add up alike
        "amount": pl.Float64,
        "rate": pl.Float64,
        "code": pl.String,
        "note": pl.String,
        "day": pl.Date,
        "seen_at": pl.Datetime("us"),
        "ok": pl.Boolean,
    }


def test_a_column_without_a_type_is_refused() -> None:
    with pytest.raises(TypeError, match="no SQL type"):
        schema_of(sa.select(sa.literal_column("1").label("x")))


def test_the_schema_follows_labels_expressions_and_unions() -> None:
    one = sa.select(
        T.c.code, sa.func.count().label("rows"), sa.func.sum(T.c.amount).label("total")
    ).group_by(T.c.code)
    assert list(schema_of(one).items()) == [
        ("code", pl.String),
        ("rows", pl.Int64),
        ("total", pl.Float64),
    ]
    assert schema_of(sa.union_all(one, one)) == schema_of(one)


def test_frame_casts_what_the_driver_returns_to_the_select_schema(blank_engine: sa.Engine) -> None:
    T.metadata.create_all(blank_engine)
    with blank_engine.begin() as conn:
        conn.execute(T.insert(), [{"id": 1, "n": 2, "rate": 0.5, "day": None}])
        got = frame(conn, sa.select(T.c.id, T.c.rate, T.c.day))
    assert got.schema == pl.Schema({"id": pl.Int64, "rate": pl.Float64, "day": pl.Date})
    assert got.row(0) == (1, 0.5, None)  # PostgreSQL's NUMERIC arrives as a Decimal
