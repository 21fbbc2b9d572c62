"""Shared fixtures: a fresh DuckDB and a fresh PostgreSQL schema per test session.

PostgreSQL (127.0.0.1:5432, database ``test``) is required: a missing server is a failure,
never a skip. Each session works in its own PostgreSQL schema, so parallel runs do not collide.
"""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path
from typing import TypeVar

import pytest
import sqlalchemy as sa
from hypothesis import settings

from data_access.engine import create_schema, make_engine

# Property tests check behaviour, not speed: these machines are shared and noisy, and a per-example
# deadline turned a masking test red under load (382 ms against 200 ms). Timings live in bench/.
settings.register_profile("footprint", deadline=None)
settings.load_profile("footprint")

# `make test` runs the suite on two pytest-xdist workers. A unit of work (always one worker) is a
# test module, except where a package shares one expensive fixture: the Spark cluster and the
# browser tests' server and chromium each start once. The longest units go first, so that no
# worker is left with a five-minute unit when the other has finished: units are handed out in
# collection order (xdist's default `--loadscope-reorder` would hand out the units with the most
# tests first instead, which put the Spark package tenth). (xdist's own `--dist loadgroup` cannot
# do this under pytest 9: it renames node ids through an attribute pytest no longer reads, so
# every test became its own unit and the cluster started twice.)
WHOLE_PACKAGES = ("spark", "browser")
FIRST = ("spark", "ops", "faults", "browser", "fuzz", "load", "audit")


def unit_of(nodeid: str) -> str:
    """The unit of work of a test: its package for WHOLE_PACKAGES, else its module."""
    path = nodeid.split("::", 1)[0]
    parts = path.split("/")
    if len(parts) > 2 and parts[0] == "tests" and parts[1] in WHOLE_PACKAGES:
        return "/".join(parts[:2])
    return path


def pytest_xdist_make_scheduler(config: pytest.Config, log: object) -> object:
    """xdist's module-scope scheduling, with this suite's units."""
    from xdist.scheduler import LoadScopeScheduling

    class ByUnit(LoadScopeScheduling):
        def _split_scope(self, nodeid: str) -> str:
            return unit_of(nodeid)

    config.option.loadscopereorder = False  # the order of pytest_collection_modifyitems below
    return ByUnit(config, log)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Start the long units first (the order inside a unit stays as written)."""

    def rank(item: pytest.Item) -> int:
        top = item.nodeid.split("/")[1] if item.nodeid.startswith("tests/") else ""
        return FIRST.index(top) if top in FIRST else len(FIRST)

    items.sort(key=rank)


PG_URL = os.environ.get(
    "FOOTPRINT_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)


def _pg_engine_in_fresh_schema() -> tuple[sa.Engine, sa.Engine, str]:
    """An engine bound to a new PostgreSQL schema, plus the admin engine that owns it."""
    admin = sa.create_engine(PG_URL)
    try:
        with admin.connect() as conn:
            conn.execute(sa.text("select 1"))
    except sa.exc.OperationalError as exc:
        pytest.fail(
            f"PostgreSQL is required for the data-layer tests and is not reachable at {PG_URL}: {exc.orig}",
            pytrace=False,
        )
    schema = f"fp_test_{uuid.uuid4().hex[:10]}"
    with admin.begin() as conn:
        conn.execute(sa.schema.CreateSchema(schema))
    engine = sa.create_engine(PG_URL, connect_args={"options": f"-csearch_path={schema}"})
    return admin, engine, schema


@contextmanager
def fresh_pg_schema() -> Iterator[tuple[sa.Engine, str]]:
    """(engine, schema name) in a new PostgreSQL schema, dropped with all in it afterwards."""
    admin, engine, schema = _pg_engine_in_fresh_schema()
    try:
        yield engine, schema
    finally:
        engine.dispose()
        with admin.begin() as conn:
            conn.execute(sa.schema.DropSchema(schema, cascade=True))
        admin.dispose()


def sql_rows(engine: sa.Engine, sql: str, **params: object) -> list[sa.Row]:
    """The rows of plain SQL text with bound parameters: a test's own read of the tables, apart
    from the product's queries."""
    with engine.connect() as conn:
        return list(conn.execute(sa.text(sql), params))


def sql_one(engine: sa.Engine, sql: str, **params: object) -> object:
    """The single value of plain SQL text."""
    return sql_rows(engine, sql, **params)[0][0]


_T = TypeVar("_T")


def fetched(engine: sa.Engine, fetch: Callable[..., _T], *args: object) -> _T:
    """What a product query ``fetch(conn, *args)`` returns on a connection of its own."""
    with engine.connect() as conn:
        return fetch(conn, *args)


def duckdb_copy(engine: sa.Engine, to: Path) -> str:
    """A copy at ``to`` of the DuckDB bank behind ``engine`` (checkpointed first, so the file holds
    every committed row), for a test that writes; the copy's URL."""
    with engine.connect() as conn:
        conn.exec_driver_sql("CHECKPOINT")
    shutil.copyfile(str(engine.url.database), to)
    return f"duckdb:///{to}"


@contextmanager
def engine_on(backend: str, duckdb_file: Path) -> Iterator[sa.Engine]:
    """An empty database on ``backend``: a new DuckDB file, or a new PostgreSQL schema."""
    if backend == "postgresql":
        with fresh_pg_schema() as (engine, _):
            yield engine
        return
    engine = make_engine(f"duckdb:///{duckdb_file}")
    try:
        yield engine
    finally:
        engine.dispose()


@pytest.fixture(params=["duckdb", "postgresql"])
def empty_engine(request: pytest.FixtureRequest, tmp_path) -> Iterator[sa.Engine]:
    """A database with the Footprint schema and no rows, on DuckDB and on PostgreSQL."""
    with engine_on(request.param, tmp_path / "fp.duckdb") as engine:
        create_schema(engine)
        yield engine


@pytest.fixture(params=["duckdb", "postgresql"])
def blank_engine(request: pytest.FixtureRequest, tmp_path) -> Iterator[sa.Engine]:
    """A database with no tables at all, on DuckDB and on PostgreSQL."""
    with engine_on(request.param, tmp_path / "blank.duckdb") as engine:
        yield engine


@pytest.fixture(scope="session")
def pg_schema_engine() -> Iterator[sa.Engine]:
    """A session-wide PostgreSQL engine in its own schema (tables not created)."""
    with fresh_pg_schema() as (engine, _):
        yield engine


# --- demo banks (built once per test session) -------------------------------------------------

DEMO_CUSTOMERS = 3_000
DEMO_SEED = 7
DEMO_END_DATE = date(2026, 11, 22)


@pytest.fixture(scope="session")
def demo_engine(tmp_path_factory: pytest.TempPathFactory) -> Iterator[sa.Engine]:
    """A DuckDB file holding the demo bank (3,000 customers, seed 7, ending 2026-11-22)."""
    from data_access.demo import build_demo

    path = tmp_path_factory.mktemp("demo") / "demo.duckdb"
    engine = make_engine(f"duckdb:///{path}")
    build_demo(engine, customers=DEMO_CUSTOMERS, seed=DEMO_SEED, end_date=DEMO_END_DATE)
    yield engine
    engine.dispose()


@pytest.fixture(scope="session")
def demo_pg_engine() -> Iterator[sa.Engine]:
    """The same demo bank on PostgreSQL, in its own schema."""
    from data_access.demo import build_demo

    with fresh_pg_schema() as (engine, _):
        build_demo(engine, customers=DEMO_CUSTOMERS, seed=DEMO_SEED, end_date=DEMO_END_DATE)
        yield engine
