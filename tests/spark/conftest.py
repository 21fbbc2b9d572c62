"""A real Spark cluster (master, worker, Thrift server) for the session, with a small demo bank.

Developing: FOOTPRINT_TEST_SPARK_URL and FOOTPRINT_TEST_SPARK_DUCK_URL name a running cluster
holding the bank and its DuckDB twin, and the fixture uses them instead.

The bank is built through the CLI (``python -m data_access init --url hive://…``), the same bank
(customers, seed, end date) on DuckDB for comparison. Java or pyspark missing: a failure when
FOOTPRINT_CI=1, a skip elsewhere.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import pytest
import sqlalchemy as sa

from data_access.engine import make_engine
from tests.spark.cluster import SHORT_LIVED_JVM, SparkCluster, SparkUnavailable

CUSTOMERS = 400
SEED = 7
END_DATE = date(2026, 11, 22)
ROOT = Path(__file__).resolve().parents[2]


@dataclass
class SparkBank:
    """The cluster, the bank on it and the same bank on DuckDB."""

    cluster: SparkCluster | None
    url: str
    duck_url: str
    load_seconds: float

    def engine(self) -> sa.Engine:
        return make_engine(self.url)


def _unavailable(reason: str) -> None:
    if os.environ.get("FOOTPRINT_CI") == "1":
        pytest.fail(f"Spark is required in CI: {reason}", pytrace=False)
    pytest.skip(f"Spark not available: {reason}")


def cli(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    """``python -m data_access ARGS`` in a subprocess with this tree on the path."""
    full = {**os.environ, "PYTHONPATH": str(ROOT), **(env or {})}
    return subprocess.run(
        [sys.executable, "-m", "data_access", *args],
        capture_output=True,
        text=True,
        env=full,
        cwd=ROOT,
        timeout=900,
        check=False,
    )


@pytest.fixture(scope="package")
def spark_bank(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SparkBank]:
    """Start the cluster, load the demo bank into it (CLI) and into DuckDB; stop it when the last
    test of tests/spark has run (not at the end of the session: its four JVMs hold 3 GB)."""
    if os.environ.get("FOOTPRINT_TEST_SPARK_URL"):  # a running cluster with the bank (developing)
        yield SparkBank(
            None,
            os.environ["FOOTPRINT_TEST_SPARK_URL"],
            os.environ["FOOTPRINT_TEST_SPARK_DUCK_URL"],
            0,
        )
        return
    work = tmp_path_factory.mktemp("spark")
    cluster = SparkCluster(work, jvm_options=SHORT_LIVED_JVM)
    try:
        cluster.start()
    except SparkUnavailable as exc:
        _unavailable(str(exc))
    staging = work / "staging"
    os.environ["FOOTPRINT_SPARK_STAGING"] = str(staging)
    try:
        bank = ("--customers", str(CUSTOMERS), "--seed", str(SEED), "--end-date", str(END_DATE))
        t0 = time.monotonic()
        done = cli("init", "--url", cluster.url, *bank)
        took = time.monotonic() - t0
        assert done.returncode == 0, done.stderr[-3000:]
        duck_url = f"duckdb:///{work / 'same.duckdb'}"
        done = cli("init", "--url", duck_url, *bank)
        assert done.returncode == 0, done.stderr[-3000:]
        yield SparkBank(cluster, cluster.url, duck_url, took)
    finally:
        os.environ.pop("FOOTPRINT_SPARK_STAGING", None)
        cluster.stop()


@pytest.fixture(scope="package")
def pg_twin_url() -> Iterator[str]:
    """The same bank on PostgreSQL (CLI init into a fresh schema), for the three-engine check."""
    from urllib.parse import quote

    from tests.conftest import PG_URL, _pg_engine_in_fresh_schema

    admin, engine, schema = _pg_engine_in_fresh_schema()
    engine.dispose()
    url = f"{PG_URL}?options={quote(f'-csearch_path={schema}')}"
    try:
        bank = ("--customers", str(CUSTOMERS), "--seed", str(SEED), "--end-date", str(END_DATE))
        done = cli("init", "--url", url, *bank)
        assert done.returncode == 0, done.stderr[-3000:]
        yield url
    finally:
        with admin.begin() as conn:
            conn.execute(sa.schema.DropSchema(schema, cascade=True))
        admin.dispose()


from tests.dashboard.conftest import _routed_runs  # noqa: E402, F401  (AppTest through the router)
