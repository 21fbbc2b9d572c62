"""Data-layer fixtures shared by several modules."""

from __future__ import annotations

import shutil
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa

from data_access.cli import main
from tests.data_access.customer_seed import seeded_banks

SMALL = ["--customers", "300", "--seed", "5", "--end-date", "2026-11-22"]


@pytest.fixture(scope="module", params=["duckdb", "postgresql"])
def tiny_bank(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[sa.Engine]:
    """The tiny bank of customer_seed.py on each backend, built once for each module that asks."""
    yield from seeded_banks(request.param, tmp_path_factory)


def seeded_with(seed: Callable[[sa.Engine], object]) -> Callable[..., sa.Engine]:
    """A fixture for a module's own bank: ``empty_engine`` (DuckDB, then PostgreSQL) with ``seed``
    run on it; assign it to the fixture's name (``seeded = seeded_with(_seed)``)."""

    @pytest.fixture
    def seeded(empty_engine: sa.Engine) -> sa.Engine:
        seed(empty_engine)
        return empty_engine

    return seeded


def cli_bank(path: Path) -> str:
    """A small demo bank (``SMALL``) made at ``path`` through the command line; its URL."""
    url = f"duckdb:///{path}"
    assert main(["init", "--url", url, *SMALL]) == 0
    return url


def copy_with(bank_url: str, to: Path, *sql: str) -> str:
    """A copy at ``to`` of the module's bank file (cheaper than building another), changed by the
    statements ``sql``; its URL."""
    shutil.copy(sa.make_url(bank_url).database, to)
    url = f"duckdb:///{to}"
    if sql:
        engine = sa.create_engine(url)
        with engine.begin() as conn:
            for statement in sql:
                conn.execute(sa.text(statement))
        engine.dispose()
    return url
