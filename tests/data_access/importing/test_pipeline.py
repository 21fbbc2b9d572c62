"""The import's stages run ahead of each other and DuckDB inserts new rows several chunks at a time:
the rows, counts and order of outcomes are those of one chunk after the other."""

from __future__ import annotations

import csv
from collections.abc import Iterator
from pathlib import Path

import polars as pl
import pytest
import sqlalchemy as sa

from bench.bench_import import make_csv
from data_access.importing.importer import INSERT_CHUNKS, read_ahead
from data_access.schema import footprints
from tests.data_access.importing.conftest import import_in_chunks

ROWS = 40_000
BLOCK = 1 << 18  # about 18 chunks of 256 KiB: several batches of INSERT_CHUNKS


def test_read_ahead_gives_the_items_in_order_and_an_error_where_it_happened() -> None:
    made: list[int] = []

    def items() -> Iterator[int]:
        for i in range(10):
            made.append(i)
            if i == 6:
                raise ValueError("seven")
            yield i

    got: list[int] = []
    with pytest.raises(ValueError, match="seven"):
        for item in read_ahead(items(), 3):
            got.append(item)
    assert got == [0, 1, 2, 3, 4, 5]
    assert made == list(range(7))


def test_read_ahead_stopped_early_reads_no_further_than_its_depth() -> None:
    made: list[int] = []

    def items() -> Iterator[int]:
        for i in range(100):
            made.append(i)
            yield i

    ahead = read_ahead(items(), 4)
    assert [next(ahead) for _ in range(2)] == [0, 1]
    ahead.close()
    assert len(made) <= 2 + 4 + 1


def _rows(engine: sa.Engine) -> pl.DataFrame:
    with engine.connect() as conn:
        got = conn.execute(sa.select(footprints).order_by(footprints.c.footprint_id)).all()
    return pl.DataFrame([tuple(r) for r in got], schema=list(footprints.c.keys()), orient="row")


def test_new_chunks_waiting_to_be_inserted_then_chunks_of_known_keys(
    bank: sa.Engine, tmp_path: Path
) -> None:
    """A file whose first chunks hold new keys (waiting to be inserted together on DuckDB) and
    whose last chunks change rows already there: every row once, the changed ones changed."""
    old = tmp_path / "old.csv"
    make_csv(old, ROWS, "gbk", customers=300)
    first = import_in_chunks(bank, old, tmp_path / "r0.csv", BLOCK)
    assert first.inserted == ROWS
    with old.open(encoding="gb18030", newline="") as fh:
        header, *lines = list(csv.reader(fh))
    # new keys (numbered on) first, then the old file's last rows with a changed amount
    changed = lines[-5_000:]
    new = [[str(int(r[0]) + ROWS), *r[1:]] for r in lines[: ROWS - 5_000]]
    for r in changed:
        r[8] = "1.00"
    path = tmp_path / "new_then_changed.csv"
    with path.open("w", encoding="gb18030", newline="") as fh:
        csv.writer(fh).writerows([header, *new, *changed])
    assert path.stat().st_size > (INSERT_CHUNKS + 2) * BLOCK  # more chunks than one batch
    before = _rows(bank)
    r = import_in_chunks(bank, path, tmp_path / "r1.csv", BLOCK)
    assert (r.rejected, r.inserted, r.updated) == (0, len(new), len(changed))
    after = _rows(bank)
    assert after.height == before.height + len(new) == after["footprint_id"].n_unique()
    ids = {int(x[0]) for x in changed}
    moved = after.filter(pl.col("footprint_id").is_in(ids))
    assert moved["amount"].to_list() == [1.0] * len(changed)
    kept = after.filter(pl.col("footprint_id").is_in(before["footprint_id"].implode()))
    unchanged = kept.filter(~pl.col("footprint_id").is_in(ids))
    assert unchanged.equals(before.filter(~pl.col("footprint_id").is_in(ids)))


@pytest.mark.parametrize("empty_engine", ["duckdb"], indirect=True)
def test_duckdb_memory_limit_is_put_back_after_an_import(bank: sa.Engine, tmp_path: Path) -> None:
    def limit() -> str:
        with bank.connect() as conn:
            return conn.execute(sa.text("SELECT current_setting('memory_limit')")).scalar_one()

    before = limit()
    path = tmp_path / "f.csv"
    make_csv(path, 1_000, "gbk", customers=300)
    assert import_in_chunks(bank, path, tmp_path / "r.csv", BLOCK).inserted == 1_000
    assert limit() == before
