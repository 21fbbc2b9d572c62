"""``python -m bench.spark``: the county pages on a Spark cluster beside DuckDB and PostgreSQL.

Starts a real standalone cluster on 127.0.0.1 from the pyspark package (master, one worker with
2 cores, the Thrift server; tests/spark/cluster.py), builds the same demo bank (default 20,000
customers) on Spark, DuckDB and PostgreSQL (each reused when complete), measures every page on each
(``bench.pages``: data and whole page, cold and warm), the scan throughput (``bench.throughput``),
and Spark's per-core throughput of the heaviest aggregate at 1× and k× the footprints (a
``CROSS JOIN range(k)`` copy), which the province projection (docs/scaling-out.md) rests on.
Writes the "Spark" section of bench/results.md (between its markers) and results-spark.json.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import time
from dataclasses import asdict, dataclass, field
from importlib import metadata as im
from pathlib import Path

import sqlalchemy as sa

from bench.common import ROOT, bank_size, ensure_bank, log, pg_engine
from bench.pages import PAGES
from bench.throughput import throughput_table

RESULTS = Path(__file__).with_name("results.md")
START, END = "<!-- spark:start -->", "<!-- spark:end -->"
PG_SCHEMA = "bench_spark"


@dataclass
class SparkResults:
    """Every figure of one run."""

    machine: dict[str, str] = field(default_factory=dict)
    banks: dict[str, dict] = field(default_factory=dict)
    pages: dict[str, dict[str, dict]] = field(default_factory=dict)
    throughput: dict[str, dict] = field(default_factory=dict)
    scaling: list[dict] = field(default_factory=list)
    statement_s: float = 0.0  # Spark's fixed cost of one small statement (median)
    wall_s: float = 0.0


def _subprocess_json(module: str, *args: str) -> dict:
    from bench.__main__ import _subprocess_json as run

    return run(module, *args)


def _machine(cluster) -> dict[str, str]:
    from tests.spark.cluster import java_version

    info = {
        "cores": str(os.cpu_count()),
        "RAM": f"{os.sysconf('SC_PAGE_SIZE') * os.sysconf('SC_PHYS_PAGES') / 2**30:.1f} GiB",
        "CPU": platform.processor() or platform.machine(),
        "load average (1/5/15 min) at start": " / ".join(f"{x:.1f}" for x in os.getloadavg()),
        "java": java_version(),
    }
    for pkg in ("pyspark", "PyHive", "duckdb", "psycopg", "SQLAlchemy"):
        try:
            info[pkg] = im.version(pkg)
        except im.PackageNotFoundError:
            info[pkg] = "-"
    info["Spark cluster"] = (
        f"standalone master + 1 worker ({cluster.worker_cores} cores, executor "
        f"{cluster.memory}) + Thrift server (driver {cluster.memory}), "
        f"shuffle partitions {cluster.shuffle_partitions}, all on 127.0.0.1"
    )
    return info


def _median_time(conn: sa.Connection, sql: str, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        conn.exec_driver_sql(sql).fetchall()
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


HEAVY = {
    # the throughput bench's weekly aggregate and the loyalty/officer marts' kind of scan
    "weekly by branch": (
        "SELECT branch_id, CAST(date_trunc('week', occurred_at) AS DATE) AS w, count(*), "
        "sum(amount) FROM {t} GROUP BY 1, 2"
    ),
    "per customer and month": (
        "SELECT count(*) FROM (SELECT customer_id, CAST(date_trunc('month', occurred_at) AS DATE) "
        "AS m, sum(amount) AS s FROM {t} WHERE self_initiated GROUP BY 1, 2) x"
    ),
}


def measure_scaling(url: str, factors: tuple[int, ...], repeat: int) -> list[dict]:
    """Seconds of the heavy aggregates over the footprints copied k times (per-core rate)."""
    from data_access.engine import make_engine

    engine = make_engine(url)
    out = []
    with engine.connect() as conn:
        base = conn.exec_driver_sql("SELECT count(*) FROM footprints").scalar_one()
        for k in factors:
            table = "footprints" if k == 1 else f"bench_footprints_x{k}"
            if k != 1:
                conn.exec_driver_sql(f"DROP TABLE IF EXISTS {table}")
                conn.exec_driver_sql(
                    f"CREATE TABLE {table} USING parquet AS SELECT f.* FROM footprints f "
                    f"CROSS JOIN range({k})"
                )
            for name, sql in HEAVY.items():
                q = sql.format(t=table)
                conn.exec_driver_sql(q).fetchall()  # warm the file listing and the JVM
                took = _median_time(conn, q, repeat)
                out.append({"query": name, "factor": k, "rows": base * k, "seconds": took})
                log(f"spark scaling: {name} ×{k}: {base * k:,} rows in {took:.2f} s")
            if k != 1:
                conn.exec_driver_sql(f"DROP TABLE IF EXISTS {table}")
    engine.dispose()
    return out


def measure_statement(url: str, repeat: int = 10) -> float:
    """Median seconds of a statement that reads a 30-row table: Spark's fixed cost per query."""
    from data_access.engine import make_engine

    engine = make_engine(url)
    with engine.connect() as conn:
        conn.exec_driver_sql("SELECT count(*) FROM branches").fetchall()
        took = _median_time(conn, "SELECT count(*) FROM branches", repeat)
    engine.dispose()
    log(f"spark: one small statement {took:.3f} s")
    return took


def render(res: SparkResults, cores: int) -> str:
    """The Spark section of results.md."""
    lines = [
        START,
        "## Spark beside DuckDB and PostgreSQL (same bank)",
        "",
        f"`python -m bench.spark` — {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}, "
        f"run took {res.wall_s / 60:.1f} min. Projection to a province: docs/scaling-out.md.",
        "",
        "| | |",
        "|---|---|",
        *[f"| {k} | {v} |" for k, v in res.machine.items()],
        "",
        "| backend | customers | footprints | build |",
        "|---|---|---|---|",
    ]
    for b, info in res.banks.items():
        build = f"{info['build_s'] / 60:.1f} min" if info.get("build_s") else "reused"
        lines.append(f"| {b} | {info['customers']:,} | {info['footprints']:,} | {build} |")
    lines += [
        "",
        "Seconds per page's default view (median of the repeats): data = its loaders, page = "
        "the whole script under AppTest; cold = caches cleared, warm = the run after.",
        "",
        "| page | "
        + " | ".join(f"{b} data cold | {b} page cold | {b} page warm" for b in res.pages)
        + " |",
        "|---|" + "---|---|---|" * len(res.pages),
    ]
    for page in PAGES:
        cells = []
        for b in res.pages:
            f = res.pages[b].get(page, {})
            if "error" in f or f.get("exception"):
                cells += ["error", (f.get("error") or f.get("exception", ""))[:60], ""]
            else:
                cells += [
                    f"{f.get(k, 0):.2f}" for k in ("data_cold_s", "page_cold_s", "page_warm_s")
                ]
        lines.append(f"| {page} | " + " | ".join(cells) + " |")
    lines += [
        "",
        "Scan throughput (whole footprints table, median seconds and rows/s):",
        "",
        *throughput_table(res.throughput),
    ]
    lines += [
        "",
        f"Spark's heavy aggregates over the footprints copied k times ({cores} executor cores):",
        "",
        "| query | k | rows | seconds | rows/s per core |",
        "|---|---|---|---|---|",
    ]
    for s in res.scaling:
        per_core = s["rows"] / s["seconds"] / cores
        lines.append(
            f"| {s['query']} | {s['factor']} | {s['rows']:,} | {s['seconds']:.2f} "
            f"| {per_core / 1e6:.2f} M |"
        )
    lines += [
        "",
        f"One small statement (30-row table, median of 10): {res.statement_s:.3f} s.",
        END,
        "",
    ]
    return "\n".join(lines)


def spark_section(text: str) -> str:
    """The Spark section of a results.md text ("" when it has none): ``python -m bench`` keeps it."""
    if START not in text or END not in text:
        return ""
    return START + text.split(START, 1)[1].split(END, 1)[0] + END + "\n"


def write_section(text: str, path: Path = RESULTS) -> None:
    """Replace (or append) the Spark section of results.md."""
    old = path.read_text() if path.exists() else "# Benchmark results\n"
    if START in old and END in old:
        head, rest = old.split(START, 1)
        tail = rest.split(END, 1)[1].lstrip("\n")
        new = head + text + tail
    else:
        new = old.rstrip("\n") + "\n\n" + text
    path.write_text(new)


def main(argv: list[str] | None = None) -> SparkResults:
    from data_access.engine import make_engine
    from tests.spark.cluster import SparkCluster

    p = argparse.ArgumentParser(prog="python -m bench.spark", description=__doc__.split("\n")[0])
    p.add_argument("--customers", type=int, default=20_000)
    p.add_argument("--repeat", type=int, default=3)
    p.add_argument("--pages", default=",".join(PAGES))
    p.add_argument("--factors", default="1,4,16", help="footprint copies for the scaling runs")
    p.add_argument("--workdir", default=str(ROOT / "data" / "bench" / "spark"))
    p.add_argument("--out", default=str(RESULTS), help="markdown file ('-': print only)")
    cfg = p.parse_args(argv)
    t_start = time.perf_counter()
    work = Path(cfg.workdir)
    os.environ["FOOTPRINT_SPARK_STAGING"] = str(work / "staging")
    cluster = SparkCluster(work)
    res = SparkResults()
    log("spark: starting the cluster")
    t0 = time.perf_counter()
    cluster.start()
    log(f"spark: cluster up in {time.perf_counter() - t0:.0f} s at {cluster.url}")
    try:
        res.machine = _machine(cluster)
        res.machine["cluster start"] = f"{time.perf_counter() - t0:.0f} s"
        duck_path = ROOT / "data" / "bench" / f"spark-same-{cfg.customers}.duckdb"
        pg_url = (
            f"postgresql+psycopg://postgres@127.0.0.1:5432/test?options=-csearch_path%3D{PG_SCHEMA}"
        )
        engines = {
            "spark": (cluster.url, make_engine(cluster.url)),
            "duckdb": (f"duckdb:///{duck_path}", make_engine(f"duckdb:///{duck_path}")),
            "postgresql": (pg_url, pg_engine(schema=PG_SCHEMA)),
        }
        for name, (_url, engine) in engines.items():
            took = ensure_bank(engine, cfg.customers, label=name)
            with engine.connect() as conn:
                n = conn.execute(sa.text("select count(*) from footprints")).scalar_one()
            res.banks[name] = {"customers": bank_size(engine), "footprints": n, "build_s": took}
            engine.dispose()
        for name, (url, _engine) in engines.items():
            res.pages[name] = {}
            for page in cfg.pages.split(","):
                log(f"{name}: page {page}")
                res.pages[name][page] = _subprocess_json("bench.pages", page, url, str(cfg.repeat))
            log(f"{name}: throughput")
            res.throughput[name] = _subprocess_json("bench.throughput", url)
        factors = tuple(int(x) for x in cfg.factors.split(","))
        res.scaling = measure_scaling(cluster.url, factors, cfg.repeat)
        res.statement_s = measure_statement(cluster.url)
    finally:
        cluster.stop()
    res.machine["load average (1/5/15 min) at end"] = " / ".join(
        f"{x:.1f}" for x in os.getloadavg()
    )
    res.wall_s = time.perf_counter() - t_start
    text = render(res, cluster.worker_cores)
    if cfg.out != "-":
        write_section(text, Path(cfg.out))
        Path(cfg.out).with_name("results-spark.json").write_text(
            json.dumps(asdict(res), indent=1, default=str)
        )
    print(text)
    return res


if __name__ == "__main__":
    main()
