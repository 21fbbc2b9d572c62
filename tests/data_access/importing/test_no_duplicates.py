"""No footprint id twice, through every way rows get into footprints, although DuckDB's table has no
primary key (``schema.UNKEYED_ON_DUCKDB``): the demo generator numbers its ids, and the import
rejects an id repeated in the file, updates one already there, and runs one import per DuckDB file
at a time."""

from __future__ import annotations

import csv
import threading
from pathlib import Path

import pytest
import sqlalchemy as sa

from bench.bench_import import make_csv
from data_access.importing import ImportResult, import_file
from data_access.schema import footprints
from tests.data_access.importing.conftest import import_in_chunks

ROWS = 20_000
BLOCK = 1 << 18


def _ids(engine: sa.Engine) -> tuple[int, int]:
    """(rows, distinct footprint ids)."""
    with engine.connect() as conn:
        return conn.execute(
            sa.select(sa.func.count(), sa.func.count(sa.distinct(footprints.c.footprint_id)))
        ).one()


def test_duckdb_footprints_have_no_primary_key_and_postgresql_keeps_it(
    empty_engine: sa.Engine,
) -> None:
    keys = sa.text(
        "SELECT count(*) FROM information_schema.table_constraints WHERE table_name = 'footprints'"
        " AND table_schema = current_schema() AND constraint_type = 'PRIMARY KEY'"
    )
    with empty_engine.connect() as conn:
        keyed = conn.execute(keys).scalar_one()
    assert keyed == (0 if empty_engine.dialect.name == "duckdb" else 1)


def test_the_demo_bank_numbers_every_footprint_once(demo_engine: sa.Engine) -> None:
    rows, distinct = _ids(demo_engine)
    assert rows == distinct > 0


def test_repeats_in_the_file_and_against_the_table_add_no_id_twice(
    bank: sa.Engine, tmp_path: Path
) -> None:
    path = tmp_path / "f.csv"
    make_csv(path, ROWS, "gbk", customers=300)
    with path.open(encoding="gb18030", newline="") as fh:
        header, *lines = list(csv.reader(fh))
    # every 100th row again at the end of the file, in later chunks than the first time
    again = tmp_path / "again.csv"
    with again.open("w", encoding="gb18030", newline="") as fh:
        csv.writer(fh).writerows([header, *lines, *lines[::100]])
    r = import_in_chunks(bank, again, tmp_path / "r1.csv", BLOCK)
    assert (r.inserted, r.rejected) == (ROWS, len(lines[::100]))
    assert _ids(bank) == (ROWS, ROWS)
    # the same rows again, half of them changed: updated in place
    for row in lines[::2]:
        row[8] = "2.00"
    with path.open("w", encoding="gb18030", newline="") as fh:
        csv.writer(fh).writerows([header, *lines])
    r = import_in_chunks(bank, path, tmp_path / "r2.csv", BLOCK)
    assert (r.inserted, r.updated) == (0, len(lines[::2]))
    assert _ids(bank) == (ROWS, ROWS)


@pytest.mark.parametrize("empty_engine", ["duckdb"], indirect=True)
def test_two_imports_of_the_same_new_rows_at_once_insert_them_once(
    bank: sa.Engine, tmp_path: Path
) -> None:
    """Two threads of one process (the dashboard) import the same file into one DuckDB file."""
    path = tmp_path / "f.csv"
    make_csv(path, ROWS, "gbk", customers=300)
    results: list[ImportResult] = []
    start = threading.Barrier(2)

    def run(k: int) -> None:
        start.wait()
        results.append(
            import_file(
                bank,
                path,
                "core_banking",
                "footprints",
                refresh=False,
                rejects_path=tmp_path / f"r{k}.csv",
                block_size=BLOCK,
            )
        )

    threads = [threading.Thread(target=run, args=(k,)) for k in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=300)
    assert sorted(r.inserted for r in results) == [0, ROWS]
    assert sorted(r.unchanged for r in results) == [0, ROWS]
    assert _ids(bank) == (ROWS, ROWS)
