"""Import on Spark: the good rows staged as Parquet and copied in by Spark SQL (footprints into
their month partitions); the same files give the same table on Spark as on DuckDB, a second import
adds nothing, and a corrected file changes only its row (moved to another month)."""

from __future__ import annotations

import csv
import itertools
import uuid
from pathlib import Path

import polars as pl
import sqlalchemy as sa

from bench.bench_import import make_csv
from data_access.engine import make_engine
from data_access.importing import import_file
from data_access.importing.export import export_table
from data_access.marts import MARTS
from data_access.schema import footprints, metadata
from tests.spark.conftest import CUSTOMERS, SparkBank, cli

ROWS = 3_000


def _footprints(engine: sa.Engine) -> pl.DataFrame:
    with engine.connect() as conn:
        rows = conn.execute(
            sa.select(footprints).where(footprints.c.footprint_id > 1_000_000_000)
        ).all()
    frame = pl.DataFrame(
        [tuple(r) for r in rows], schema=[c.name for c in footprints.columns], orient="row"
    )
    return frame.sort("footprint_id").select(pl.all().cast(pl.String))  # types as each returns


def test_import_on_spark_matches_duckdb(spark_bank: SparkBank, tmp_path: Path) -> None:
    source = make_engine(spark_bank.duck_url)
    for name in ("branches", "officers", "customers"):
        export_table(source, name, "demo", tmp_path / f"{name}.csv")
    source.dispose()
    path = tmp_path / "交易流水.csv"
    make_csv(path, ROWS, "gbk", customers=CUSTOMERS)

    database = f"fp_import_{uuid.uuid4().hex[:8]}"
    admin = make_engine(spark_bank.url)
    with admin.connect() as conn:
        conn.exec_driver_sql(f"CREATE DATABASE {database}")
    spark = make_engine(spark_bank.url.rsplit("/", 1)[0] + f"/{database}")
    duck = make_engine(f"duckdb:///{tmp_path / 'twin.duckdb'}")
    try:
        for engine in (spark, duck):
            for name in ("branches", "officers", "customers"):
                r = import_file(engine, tmp_path / f"{name}.csv", "demo", name, refresh=False)
                assert r.rejected == 0 and r.inserted > 0, (engine.dialect.name, name)
            r = import_file(engine, path, "core_banking", "footprints", refresh=False)
            assert (r.inserted, r.rejected) == (ROWS, 0), engine.dialect.name
            assert r.batch_id is not None
        assert _footprints(spark).equals(_footprints(duck))
        with spark.connect() as conn:
            months = conn.exec_driver_sql("SHOW PARTITIONS footprints").all()
        assert len(months) >= 12  # one partition per month of the two years generated

        # again, as a bank's IT desk would: the CLI, which also prints the data-quality report
        url = spark.url.render_as_string(hide_password=False)
        args = ("--mapping", "core_banking", "--table", "footprints", "--no-refresh", str(path))
        again = cli("import", "--url", url, *args)
        assert again.returncode == 0, again.stderr[-3000:]
        assert f"{ROWS:,} rows read, 0 rejected; 0 were inserted, 0 updated" in again.stdout
        assert "footprints without customer: 0" in again.stdout

        # a corrected file: one transaction moved to another month, one as it was
        with path.open(encoding="gb18030", newline="") as fh:
            header, first, second = list(itertools.islice(csv.reader(fh), 3))
        first[3] = "20250615" if first[3].startswith("202501") else "20250115"  # 交易日期
        fixed = tmp_path / "更正.csv"
        with fixed.open("w", encoding="gb18030", newline="") as fh:
            csv.writer(fh).writerows([header, first, second])  # the second row as it was
        for engine in (spark, duck):
            r = import_file(engine, fixed, "core_banking", "footprints", refresh=False)
            assert (r.inserted, r.updated, r.unchanged) == (0, 1, 1), engine.dialect.name
        assert _footprints(spark).equals(_footprints(duck))
        assert _footprints(spark).height == ROWS

        # the import as a bank runs it, with its mart refresh: Spark's marts count as DuckDB's
        first[3] = "20250316"
        with fixed.open("w", encoding="gb18030", newline="") as fh:
            csv.writer(fh).writerows([header, first])
        for engine in (spark, duck):
            r = import_file(engine, fixed, "core_banking", "footprints")
            assert r.updated == 1 and r.refreshed and r.marts, engine.dialect.name
        filled = 0
        for table in sorted({t for mart in MARTS for t in mart.writes}):
            counts = []
            for engine in (spark, duck):
                with engine.connect() as conn:
                    counts.append(
                        conn.execute(
                            sa.select(sa.func.count()).select_from(metadata.tables[table])
                        ).scalar_one()
                    )
            assert counts[0] == counts[1], (table, counts)
            filled += counts[0] > 0
        assert filled >= 3  # customers, footprints and officers feed several marts
    finally:
        spark.dispose()
        duck.dispose()
        with admin.connect() as conn:
            conn.exec_driver_sql(f"DROP DATABASE IF EXISTS {database} CASCADE")
        admin.dispose()
