"""How fast the demo bank is generated and loaded, and how fast DuckDB aggregates its footprints.

    python -m bench.bench_generate                    # default bank (20,000 customers)
    python -m bench.bench_generate 20000 1000000      # and county scale (run it once: it loads the machine)
    python -m bench.bench_generate --pg 20000         # the default bank into PostgreSQL too

Each build runs in its own process, so its peak RSS (resource.getrusage) is its own. Printed per
build: wall and CPU seconds of generation + load (up to the mart refresh), of the mart refresh
(other areas' code, run by build_demo), the footprint count, total rows and peak RSS. Then, on the
largest DuckDB bank, the weekly-by-branch aggregates through the data-access layer (Core selects).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import time
from datetime import date, timedelta
from pathlib import Path

import sqlalchemy as sa

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "data" / "bench" / "generate"
PG_URL = os.environ.get(
    "FOOTPRINT_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)
END = date(2026, 11, 22)
SEED = 7


def _one(url: str, customers: int, pg_schema: str | None) -> dict:
    """Build one bank in this process and measure it."""
    from data_access.demo import build_demo
    from data_access.engine import make_engine

    if pg_schema:
        admin = sa.create_engine(url)
        with admin.begin() as conn:
            conn.execute(sa.text(f'drop schema if exists "{pg_schema}" cascade'))
            conn.execute(sa.text(f'create schema "{pg_schema}"'))
        engine = sa.create_engine(url, connect_args={"options": f"-csearch_path={pg_schema}"})
    else:
        engine = make_engine(url)
    marks: dict[str, tuple[float, float]] = {}
    stages: list[tuple[str, float]] = []

    def progress(stage: str, _: float) -> None:
        now = (time.perf_counter(), time.process_time())
        if not stages or stages[-1][0] != stage:
            stages.append((stage, now[0]))
        if stage.startswith("refresh") and "refresh" not in marks:
            marks["refresh"] = now
            marks["rss_before_refresh"] = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss, 0)

    t0, c0 = time.perf_counter(), time.process_time()
    counts = build_demo(engine, customers=customers, seed=SEED, end_date=END, progress=progress)
    t1, c1 = time.perf_counter(), time.process_time()
    tr, cr = marks.get("refresh", (t1, c1))
    engine.dispose()
    if pg_schema:
        with admin.begin() as conn:
            conn.execute(sa.text(f'drop schema if exists "{pg_schema}" cascade'))
        admin.dispose()
    stage_s = {
        name: round(nxt - at, 2)
        for (name, at), (_, nxt) in zip(stages, [*stages[1:], ("end", t1)], strict=True)
        if not name.startswith(("value", "signals", "loyalty"))
    }
    return {
        "customers": customers,
        "footprints": counts.get("footprints", 0),
        "rows": sum(counts.values()),
        "generate_load_s": round(tr - t0, 1),
        "generate_load_cpu_s": round(cr - c0, 1),
        "refresh_s": round(t1 - tr, 1),
        "total_s": round(t1 - t0, 1),
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
        "peak_rss_load_mb": round(marks.get("rss_before_refresh", (0, 0))[0] / 1024),
        "stages_s": stage_s,
    }


def _run(url: str, customers: int, pg_schema: str | None = None) -> dict:
    cmd = [sys.executable, "-m", "bench.bench_generate", "--one", url, str(customers)]
    if pg_schema:
        cmd += ["--schema", pg_schema]
    out = subprocess.run(cmd, check=True, capture_output=True, text=True, cwd=ROOT)
    return json.loads(out.stdout.strip().splitlines()[-1])


def _aggregates(path: Path, repeat: int = 5) -> dict[str, float]:
    """Median seconds of weekly-by-branch aggregates (Core selects, data-access filters)."""
    from data_access.engine import make_engine
    from data_access.queries.kpis import select_outflows, truncate
    from data_access.schema import footprints as f
    from data_access.selection import Period, Selection, restrict, within

    engine = make_engine(f"duckdb:///{path}", read_only=True)

    def weekly(period: Period) -> sa.Select:
        wk = truncate("week", f.c.occurred_at)
        stmt = sa.select(
            f.c.branch_id,
            wk.label("week_start"),
            sa.func.count().label("n"),
            sa.func.sum(f.c.amount).label("amount"),
        )
        stmt = restrict(
            stmt, Selection(), period=period, time_col=f.c.occurred_at, branch_col=f.c.branch_id
        )
        return stmt.group_by(f.c.branch_id, wk)

    out: dict[str, float] = {}
    with engine.connect() as conn:
        total = conn.execute(sa.select(sa.func.count()).select_from(f)).scalar_one()
        out["footprints"] = total
        # the most recent weeks holding about 20M footprints (or all of them in a smaller bank)
        weeks = max(1, min(104, round(104 * 20_000_000 / max(total, 1))))
        period = Period(END - timedelta(days=7 * weeks - 1), END)
        out["period_weeks"] = weeks
        out["period_rows"] = conn.execute(
            within(sa.select(sa.func.count()).select_from(f), period, f.c.occurred_at)
        ).scalar_one()
        everything = Period(END - timedelta(days=727), END)
        cases = (
            ("weekly_by_branch_all_s", weekly(everything)),
            ("weekly_by_branch_20m_s", weekly(period)),
            ("weekly_outflows_s", select_outflows(everything, Selection())),
        )
        for name, stmt in cases:
            conn.execute(stmt).fetchall()  # warm
            runs = []
            for _ in range(repeat):
                t = time.perf_counter()
                conn.execute(stmt).fetchall()
                runs.append(time.perf_counter() - t)
            out[name] = round(statistics.median(runs), 3)
    engine.dispose()
    return out


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("customers", nargs="*", type=int, default=[20_000])
    p.add_argument("--pg", type=int, nargs="*", default=[], help="sizes to load into PostgreSQL")
    p.add_argument("--keep", action="store_true", help="keep the DuckDB files")
    p.add_argument("--one", nargs=2, metavar=("URL", "N"), help=argparse.SUPPRESS)
    p.add_argument("--schema", help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    if args.one:
        print(json.dumps(_one(args.one[0], int(args.one[1]), args.schema)))
        return
    OUT.mkdir(parents=True, exist_ok=True)
    print(
        f"machine: {os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f} (1 = one busy core)"
    )
    largest: Path | None = None
    for n in args.customers:
        path = OUT / f"bank_{n}.duckdb"
        path.unlink(missing_ok=True)
        r = _run(f"duckdb:///{path}", n)
        print(
            f"duckdb     {n:>9,} customers: {r['footprints']:>11,} footprints, {r['rows']:>11,} rows; "
            f"generate+load {r['generate_load_s']:6.1f} s (cpu {r['generate_load_cpu_s']:.0f} s), "
            f"mart refresh {r['refresh_s']:5.1f} s, peak RSS {r['peak_rss_load_mb']:,} MB "
            f"(with the refresh {r['peak_rss_mb']:,} MB)"
        )
        print(f"           stages: {r['stages_s']}")
        if largest is not None and not args.keep:
            largest.unlink(missing_ok=True)
        largest = path
    for n in args.pg:
        r = _run(PG_URL, n, pg_schema="bench_generate")
        print(
            f"postgresql {n:>9,} customers: {r['footprints']:>11,} footprints, {r['rows']:>11,} rows; "
            f"generate+load {r['generate_load_s']:6.1f} s (cpu {r['generate_load_cpu_s']:.0f} s), "
            f"mart refresh {r['refresh_s']:5.1f} s, peak RSS {r['peak_rss_mb']:,} MB"
        )
    if largest is not None:
        agg = _aggregates(largest)
        print(
            f"duckdb weekly-by-branch aggregates (Core selects, median of 5), bank of "
            f"{agg['footprints']:,} footprints: last {agg['period_weeks']} weeks "
            f"({agg['period_rows']:,} rows) {agg['weekly_by_branch_20m_s']:.3f} s; "
            f"two years (all rows) {agg['weekly_by_branch_all_s']:.3f} s; "
            f"outflows to other banks (kpis.select_outflows, two years) "
            f"{agg['weekly_outflows_s']:.3f} s"
        )
        if not args.keep:
            shutil.rmtree(OUT, ignore_errors=True)


if __name__ == "__main__":
    main()
