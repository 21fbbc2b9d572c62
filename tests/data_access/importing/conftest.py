"""A small bank exported once per session, and per-test databases (DuckDB, PostgreSQL) holding its
branches, officers and customers, so that imported rows have something to refer to."""

from __future__ import annotations

import csv
import hashlib
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
import sqlalchemy as sa

from data_access.engine import make_engine
from data_access.importing import ImportResult, import_file
from data_access.importing.export import export_bank
from data_access.schema import metadata

SMALL_END = date(2026, 11, 22)


@pytest.fixture(scope="session")
def small_bank(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[sa.Engine, Path]]:
    """A 300-customer demo bank on DuckDB and its export in Footprint's own format."""
    from data_access.demo import build_demo

    folder = tmp_path_factory.mktemp("small_bank")
    engine = make_engine(f"duckdb:///{folder / 'small.duckdb'}")
    build_demo(engine, customers=300, seed=11, end_date=SMALL_END)
    export_bank(engine, "demo", folder / "demo")
    yield engine, folder / "demo"
    engine.dispose()


@pytest.fixture
def bank(empty_engine: sa.Engine, small_bank: tuple[sa.Engine, Path]) -> sa.Engine:
    """An empty database (DuckDB or PostgreSQL) holding the small bank's organisation and customers."""
    _, files = small_bank
    for table in ("branches", "officers", "customers"):
        r = import_file(empty_engine, files / f"{table}.csv", "demo", table, refresh=False)
        assert r.rejected == 0, table
    return empty_engine


def write_csv(path: Path, header: list[str], rows: list[list[object]], encoding: str) -> Path:
    """A CSV file as a bank's export would write it."""
    with path.open("w", encoding=encoding, newline="") as fh:
        w = csv.writer(fh)
        w.writerow(header)
        w.writerows(rows)
    return path


def table_state(engine: sa.Engine) -> dict[str, tuple[int, str]]:
    """(row count, checksum of every row in key order) for every table."""
    state: dict[str, tuple[int, str]] = {}
    with engine.connect() as conn:
        names = set(sa.inspect(conn).get_table_names())
        for name, table in metadata.tables.items():
            if name not in names:
                state[name] = (-1, "")
                continue
            order = list(table.primary_key.columns) or list(table.columns)
            h = hashlib.sha256()
            n = 0
            for row in conn.execute(sa.select(table).order_by(*order)):
                h.update(repr(tuple(row)).encode())
                n += 1
            state[name] = (n, h.hexdigest())
    return state


def read_rejects(path: Path) -> list[dict[str, str]]:
    """The rejects file's rows (UTF-8 with BOM)."""
    with path.open(encoding="utf-8-sig", newline="") as fh:
        return list(csv.DictReader(fh))


def import_in_chunks(bank: sa.Engine, path: Path, rejects: Path, block_size: int) -> ImportResult:
    """A core-banking footprint file read ``block_size`` bytes at a time, its rejects written to
    ``rejects``, the marts not refreshed."""
    return import_file(
        bank,
        path,
        "core_banking",
        "footprints",
        rejects_path=rejects,
        refresh=False,
        block_size=block_size,
    )
