"""Shared pieces of the benchmark: where the banks live, building or reusing them, timing, memory."""

from __future__ import annotations

import math
import os
import resource
import statistics
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from data_access.engine import make_engine

ROOT = Path(__file__).resolve().parent.parent
DUCKDB_PATH = ROOT / "data" / "bench" / "county.duckdb"
PG_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
PG_SCHEMA = "bench"
SEED = 7
END_DATE = date(2026, 11, 22)


def secs(x: object) -> str:
    """Seconds as the reports write them: '250 ms' under one second, '1.25 s' above, '—' for none."""
    if not isinstance(x, int | float) or math.isnan(x):
        return "—"
    return f"{x * 1000:.0f} ms" if x < 1 else f"{x:.2f} s"


def verdict(flag: bool | None) -> str:
    """' ✅' or ' ❌' after a figure that has a target; nothing after one that has none."""
    return "" if flag is None else (" ✅" if flag else " ❌")


def rate(rows_per_s: float) -> str:
    """Rows per second in millions."""
    return f"{rows_per_s / 1e6:,.1f} M/s"


def duckdb_engine(path: Path = DUCKDB_PATH) -> sa.Engine:
    """Engine on the county DuckDB file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    return make_engine(f"duckdb:///{path}")


def pg_engine(url: str = PG_URL, schema: str = PG_SCHEMA) -> sa.Engine:
    """Engine on the benchmark schema of the PostgreSQL test database (created if missing)."""
    eng = sa.create_engine(url, connect_args={"options": f"-csearch_path={schema}"})
    with eng.begin() as conn:
        conn.execute(sa.schema.CreateSchema(schema, if_not_exists=True))
    return eng


def bank_size(engine: sa.Engine) -> int | None:
    """Customers of a completely loaded bank (bank_meta has data_as_of), else None."""
    try:
        with engine.connect() as conn:
            rows = dict(conn.execute(sa.text("select key, value from bank_meta")).all())
    except sa.exc.DBAPIError:
        return None
    if "data_as_of" not in rows:
        return None
    return int(rows.get("customers", 0))


def log(msg: str) -> None:
    """One progress line on stderr with a clock."""
    print(f"[{time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)


def ensure_bank(engine: sa.Engine, customers: int, *, label: str) -> float | None:
    """Build the bank unless a complete one of this size is there; seconds spent (None: reused)."""
    if bank_size(engine) == customers:
        log(f"{label}: reusing the bank of {customers:,} customers")
        return None
    from data_access.demo import build_demo

    last = [""]

    def progress(stage: str, frac: float) -> None:
        if stage != last[0]:
            log(f"{label}: {stage} ({frac:.0%})")
            last[0] = stage

    t0 = time.perf_counter()
    build_demo(
        engine, customers=customers, seed=SEED, end_date=END_DATE, replace=True, progress=progress
    )
    took = time.perf_counter() - t0
    log(f"{label}: built {customers:,} customers in {took:.0f} s")
    return took


def peak_rss_mb() -> float:
    """Peak resident memory of this process so far, in MB.

    VmHWM, not getrusage's ru_maxrss: Linux carries ru_maxrss over from the parent through fork
    and exec, so a measuring subprocess of a bench that had built a bank reported the bench's peak.
    """
    with open(f"/proc/{os.getpid()}/status") as fh:
        for line in fh:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def current_rss_mb() -> float:
    """Resident memory of this process now, in MB."""
    with open(f"/proc/{os.getpid()}/statm") as fh:
        pages = int(fh.read().split()[1])
    return pages * os.sysconf("SC_PAGE_SIZE") / 2**20


@dataclass(frozen=True)
class Timing:
    median: float
    runs: list[float]
    result: Any = None  # what the last run returned


def timed(
    fn: Callable[[], Any], repeat: int = 3, setup: Callable[[], None] | None = None
) -> Timing:
    """Median wall seconds of ``fn`` over ``repeat`` runs (``setup`` before each, not timed), and
    the last run's result."""
    runs, result = [], None
    for _ in range(repeat):
        if setup is not None:
            setup()
        t0 = time.perf_counter()
        result = fn()
        runs.append(time.perf_counter() - t0)
    return Timing(statistics.median(runs), runs, result)
