"""Benchmark: the Weekly KPIs page's queries on a loaded bank (prints figures; not a timed test).

Usage: ``python -m bench.bench_kpis [database-url] [--refresh]`` (default: the county DuckDB of bench/common.py).
Times each KPI family over the 104 weeks the page loads, first run and best of three; refreshes
the KPI mart first when it is empty (or with ``--refresh``) and reports how long that took.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from datetime import date, timedelta

import polars as pl
import sqlalchemy as sa

from bench.common import DUCKDB_PATH
from data_access.engine import create_schema, make_engine
from data_access.marts.kpis import refresh_kpis
from data_access.queries import kpis as q
from data_access.queries._frames import frame
from data_access.selection import Period, Selection
from metrics import kpis as km
from metrics.standards import load_standards

WEEK = date(2026, 11, 16)
PERIOD = Period(WEEK - timedelta(weeks=103), WEEK + timedelta(days=6))


def timed(fn: Callable[[], pl.DataFrame], runs: int = 3) -> tuple[pl.DataFrame, float, float]:
    """Result, first-run seconds, best seconds."""
    times, out = [], pl.DataFrame()
    for _ in range(runs):
        t0 = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t0)
    return out, times[0], min(times)


def main(url: str) -> None:
    """Print one line per query."""
    standards = load_standards()
    rule = standards.effective_customer
    engine = make_engine(url)
    create_schema(engine)  # a bank loaded before the KPI mart existed lacks its table
    with engine.connect() as conn:
        filled = q.has_facts(conn)
    if not filled or "--refresh" in sys.argv:
        t0 = time.perf_counter()
        rows = refresh_kpis(engine, standards, WEEK + timedelta(days=6), lambda *_: None)
        print(f"KPI mart refresh: {rows:,} rows in {time.perf_counter() - t0:.1f} s")
    bank = Selection()
    officers = Selection(officer_ids=(1, 2, 3))
    with engine.connect() as conn:
        n_fp = conn.execute(sa.text("select count(*) from footprints")).scalar_one()
        n_cu = conn.execute(sa.text("select count(*) from customers")).scalar_one()
        print(f"bank: {n_cu:,} customers, {n_fp:,} footprints; period {PERIOD.start}..{PERIOD.end}")
        cases: list[tuple[str, Callable[[], pl.DataFrame]]] = [
            ("balances", lambda: frame(conn, q.select_balances(PERIOD, bank), q.WEEKLY_SCHEMA)),
            ("new_customers", lambda: frame(conn, q.select_new_customers(PERIOD, bank), q.WEEKLY_SCHEMA)),
            ("mobile_signups", lambda: frame(conn, q.select_mobile_signups(PERIOD, bank), q.WEEKLY_SCHEMA)),
            ("conversions", lambda: frame(conn, q.select_conversions(PERIOD, bank), q.WEEKLY_SCHEMA)),
            ("outflows (footprints)", lambda: frame(conn, q.select_outflows(PERIOD, bank), q.WEEKLY_SCHEMA)),
            ("outflows, 3 officers", lambda: frame(conn, q.select_outflows(PERIOD, officers), q.WEEKLY_SCHEMA)),
            ("effective (footprints)", lambda: q.fetch_effective_weekly(conn, PERIOD, bank, rule)),
            ("targets", lambda: q.fetch_targets(conn, PERIOD, bank)),
            ("officer weekly (2 weeks)", lambda: q.fetch_officer_weekly(conn, Period(WEEK - timedelta(weeks=1), WEEK + timedelta(days=6)), bank)),
            ("all KPIs, live selects", lambda: q.fetch_weekly_kpis(conn, PERIOD, bank, rule, source="live")),
            ("all KPIs, mart (page load)", lambda: q.fetch_weekly_kpis(conn, PERIOD, bank, rule, source="mart")),
            ("mart, 3 officers", lambda: q.fetch_weekly_kpis(conn, PERIOD, officers, rule, source="mart")),
        ]  # fmt: skip
        weekly = pl.DataFrame()
        for name, fn in cases:
            out, first, best = timed(fn)
            print(
                f"{name:26s} rows {out.height:7,d}  first {first * 1000:7.0f} ms  best {best * 1000:7.0f} ms"
            )
            if name.startswith("all KPIs, mart"):
                weekly = out
    targets = pl.DataFrame(schema=q.TARGET_SCHEMA)
    t0 = time.perf_counter()
    km.bank_kpis(weekly, targets, week=WEEK)
    km.week_flags(weekly, WEEK, standards.alerts)
    for kpi in km.STOCK_KPIS + km.FLOW_KPIS:
        km.kpi_trend(weekly, targets, kpi=kpi, week=WEEK)
    print(f"metrics (cards, flags, 8 trends): {(time.perf_counter() - t0) * 1000:.0f} ms")


if __name__ == "__main__":
    args = [a for a in sys.argv[1:] if not a.startswith("--")]
    main(args[0] if args else f"duckdb:///{DUCKDB_PATH}")
