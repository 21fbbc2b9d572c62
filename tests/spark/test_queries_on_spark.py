"""The data-access layer on Spark: every ``fetch_*`` function, in one branch's scope, returns on
Spark what it returns on DuckDB for the same bank; the load put the same rows in every table;
headline figures recomputed in plain SQL agree."""

from __future__ import annotations

import importlib
import inspect
import pkgutil
from datetime import date
from typing import Any

import polars as pl
import pytest
import sqlalchemy as sa

import data_access.queries
from data_access.engine import make_engine
from data_access.filters import Scope
from data_access.schema import metadata
from data_access.selection import Period, Selection
from tests.spark.compare import assert_same
from tests.spark.conftest import END_DATE

BRANCH = 3
CUSTOMER = 42


def _arguments() -> dict[str, Any]:
    """Arguments by parameter name (every fetch_* takes the connection first)."""
    from data_access.queries.signals import SignalQuery
    from data_access.queries.value import SegmentDefinition
    from data_access.refresh import configured_standards
    from data_access.schema import SIGNAL_CODES

    standards = configured_standards()
    return {
        "scope": Scope.branch(BRANCH),
        "selection": Selection(Scope.branch(BRANCH)),
        "period": Period(date(2026, 9, 1), END_DATE),
        "customer_id": CUSTOMER,
        "customer_ids": tuple(range(1, 400, 7)),
        "query": SignalQuery(Selection(Scope.branch(BRANCH)), END_DATE, tuple(range(1, 400, 7))),
        "as_of": END_DATE,
        "until": END_DATE,
        "observation_end": END_DATE,
        "cutoff": date(2026, 5, 22),
        "month": date(2026, 10, 1),
        "months": (date(2026, 9, 1), date(2026, 10, 1)),
        "first_month": date(2025, 12, 1),
        "last_month": date(2026, 11, 1),
        "start": date(2026, 1, 1),
        "end": END_DATE,
        "since": date(2026, 6, 1),
        "limit": 50,
        "owner": "admin",
        "rule": standards.effective_customer,
        "standards": standards,
        "fields": tuple(standards.profile_fields),
        "defn": SegmentDefinition(tiers=("mass", "affluent")),
        "campaign_ids": tuple(range(1, 13)),
        "step": 1,
        "window_days": 30,
        "lookback_days": 365,
        "through_day": 22,
        "age_band_years": 10,
        "min_ratio": 0.5,
        "codes": tuple(SIGNAL_CODES),
    }


ARGS = _arguments()
# helpers that take a frame schema from their caller: exercised through loyalty/quality fetchers
INTERNAL = {"schema"}


def _fetchers() -> list[tuple[str, Any]]:
    found = []
    for info in pkgutil.iter_modules(data_access.queries.__path__):
        mod = importlib.import_module(f"data_access.queries.{info.name}")
        for name, fn in vars(mod).items():
            if (
                name.startswith("fetch_")
                and inspect.isfunction(fn)
                and fn.__module__ == mod.__name__
            ):
                found.append((f"{info.name}.{name}", fn))
    return sorted(found)


def _call(fn: Any, conn: sa.Connection) -> Any:
    params = list(inspect.signature(fn).parameters.values())[1:]
    return fn(conn, **{p.name: ARGS[p.name] for p in params if p.name in ARGS})


def _internal(fn: Any) -> bool:
    return bool(INTERNAL & set(inspect.signature(fn).parameters))


def _missing_args(fn: Any) -> list[str]:
    params = list(inspect.signature(fn).parameters.values())[1:]
    if _internal(fn):
        return []
    return [p.name for p in params if p.name not in ARGS and p.default is inspect.Parameter.empty]


FETCHERS = _fetchers()


def _comparable(result: Any) -> Any:
    """bank_meta's load and refresh clocks (``*_at``) differ between two loads; the rest may not."""
    if isinstance(result, dict):
        return {k: v for k, v in result.items() if not k.endswith("_at")}
    return result


def test_every_fetch_function_has_arguments_here() -> None:
    missing = {name: _missing_args(fn) for name, fn in FETCHERS if _missing_args(fn)}
    assert not missing, f"add their arguments to ARGS: {missing}"


@pytest.fixture(scope="module")
def engines(spark_bank):
    spark, duck = make_engine(spark_bank.url), make_engine(spark_bank.duck_url)
    yield spark, duck
    spark.dispose()
    duck.dispose()


# What using the app writes (sign-ins, sessions, the audit trail of the page tests that ran on the
# Spark bank first), not what the load wrote.
USE_RECORDS = {"users", "user_sessions", "audit_log"}


def test_the_load_wrote_the_same_rows_to_every_table(engines) -> None:
    spark, duck = engines
    counts = sa.union_all(
        *(
            sa.select(sa.literal(t.name).label("t"), sa.func.count().label("n")).select_from(t)
            for t in metadata.sorted_tables
            if t.name not in USE_RECORDS
        )
    )
    with spark.connect() as s, duck.connect() as d:
        on_spark = dict(s.execute(counts).all())  # one statement: each costs ~0.5 s on Spark
        on_duck = dict(d.execute(counts).all())
    assert on_spark == on_duck
    assert on_spark["footprints"] > 10_000 and on_spark["customers"] == 400


def test_every_fetch_function_in_a_branch_scope_matches_duckdb(engines) -> None:
    spark, duck = engines
    failures = []
    with spark.connect() as s, duck.connect() as d:
        for name, fn in FETCHERS:
            if _internal(fn):
                continue
            try:
                assert_same(_comparable(_call(fn, d)), _comparable(_call(fn, s)), name)
            except Exception as exc:  # collect all, report together
                failures.append(f"{name}: {type(exc).__name__}: {str(exc)[:300]}")
    assert not failures, "\n".join(failures)


def test_headline_figures_recomputed_in_plain_sql_on_spark(engines) -> None:
    """Footprints per month and new customers of the branch, plain SQL, against the marts and
    the raw tables on DuckDB."""
    spark, duck = engines
    monthly = (
        "SELECT CAST(date_trunc('month', occurred_at) AS DATE) AS m, count(*) AS n, "
        "round(sum(amount), 2) AS amount FROM footprints WHERE branch_id = 3 GROUP BY 1 ORDER BY 1"
    )
    opened = (
        "SELECT count(*) FROM customers WHERE branch_id = 3 "
        "AND opened_on >= DATE '2026-01-01' AND opened_on <= DATE '2026-11-22'"
    )
    with spark.connect() as s, duck.connect() as d:
        on_spark = [(str(m)[:10], n, float(a)) for m, n, a in s.exec_driver_sql(monthly).all()]
        on_duck = [(str(m)[:10], n, float(a)) for m, n, a in d.exec_driver_sql(monthly).all()]
        assert len(on_spark) >= 24
        assert [r[:2] for r in on_spark] == [r[:2] for r in on_duck]
        assert [r[2] for r in on_spark] == pytest.approx([r[2] for r in on_duck], abs=0.01)
        assert s.exec_driver_sql(opened).scalar_one() == d.exec_driver_sql(opened).scalar_one() > 0
        # the partition column is what the month says
        bad = s.exec_driver_sql(
            "SELECT count(*) FROM footprints WHERE occurred_month <> "
            "CAST(date_trunc('MONTH', occurred_at) AS DATE)"
        ).scalar_one()
        assert bad == 0


def test_a_mart_rewritten_by_insert_overwrite_is_seen_by_other_connections(engines) -> None:
    """The refresh's write path (staged Parquet, INSERT OVERWRITE) over existing rows; another
    pooled connection that read the mart before reads the new rows (the Thrift server runs one
    session). ``python -m data_access init`` above ran every refresher on Spark already."""
    from data_access.marts._bulk import replace_rows
    from data_access.schema import customer_signals

    spark, _ = engines
    with spark.connect() as reader:
        rows = reader.execute(sa.select(customer_signals)).mappings().all()
        before = len(rows)
        df = pl.DataFrame([dict(r) for r in rows]).filter(pl.col("customer_id") % 2 == 0)
        assert replace_rows(spark, customer_signals, df) == df.height  # on another connection
        count = sa.select(sa.func.count()).select_from(customer_signals)
        assert reader.execute(count).scalar_one() == df.height < before
    with spark.connect() as conn:
        parts = conn.exec_driver_sql("SHOW PARTITIONS footprints").all()
    assert len(parts) >= 24  # footprints: one folder per month
    replace_rows(spark, customer_signals, pl.DataFrame([dict(r) for r in rows]))
    with spark.connect() as conn:
        assert conn.execute(count).scalar_one() == before
