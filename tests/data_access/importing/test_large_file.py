"""A large GBK file with bad rows far apart, read in many chunks: every good row loaded once, every
bad row in the rejects file at its own line. (The same check at 2,000,000 rows is
``python -m bench.bench_import --hostile --rows 2000000``: about 70 s on this shared machine, too
long for the suite.)"""

from __future__ import annotations

from pathlib import Path

import pytest
import sqlalchemy as sa

from bench.bench_import import make_csv, spoil
from data_access.schema import footprints
from tests.data_access.importing.conftest import import_in_chunks, read_rejects

ROWS = 300_000


def _count(engine: sa.Engine, distinct: bool = False) -> int:
    what = sa.func.count(sa.distinct(footprints.c.footprint_id)) if distinct else sa.func.count()
    with engine.connect() as conn:
        return conn.execute(sa.select(what).select_from(footprints)).scalar_one()


@pytest.mark.parametrize("empty_engine", ["duckdb"], indirect=True)
def test_large_file_with_bad_rows_far_apart(bank: sa.Engine, tmp_path: Path) -> None:
    clean = tmp_path / "clean.csv"
    make_csv(clean, ROWS, "gbk", customers=300)
    path = tmp_path / "交易流水.csv"
    bad = spoil(clean, path, ROWS)
    before = _count(bank)
    rejects = tmp_path / "rejects.csv"
    # about 20 chunks of 1 MiB: bad rows and repeated keys in different ones
    r = import_in_chunks(bank, path, rejects, 1 << 20)
    assert r.encoding == "gb18030"
    assert (r.rows_read, r.rejected, r.inserted) == (ROWS, len(bad), ROWS - len(bad))
    assert _count(bank) == before + ROWS - len(bad) == _count(bank, distinct=True)
    found = {int(x["行号"]): x["拒绝原因"] for x in read_rejects(rejects)}
    assert sorted(found) == sorted(bad)
    for line, text in bad.items():
        assert text in found[line], (line, found[line])
