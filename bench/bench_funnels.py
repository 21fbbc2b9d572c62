"""Benchmark: funnel queries and metrics on a county-scale bank (prints figures; not a timed test).

Usage: ``python -m bench.bench_funnels [customers] [duckdb-file]`` (default 1,000,000 customers,
8 campaigns of which the largest targets a fifth of the bank). Builds the file once.
"""

from __future__ import annotations

import sys
from datetime import date
from pathlib import Path

import numpy as np
import polars as pl

from bench.common import timed
from data_access.engine import create_schema, make_engine
from data_access.filters import Scope
from data_access.queries.funnels import fetch_campaigns, fetch_drop_list, fetch_stage_pivot
from data_access.schema import FUNNEL_STAGES, metadata
from data_access.selection import Selection
from metrics import funnels as fm

REPEAT = 5  # runs per figure, the median printed


def build(path: Path, n_customers: int) -> None:
    """Write branches, officers, customers, campaigns and events with a realistic drop-off."""
    engine = make_engine(f"duckdb:///{path}")
    create_schema(engine)
    rng = np.random.default_rng(7)
    n_branches, n_officers = 60, 600
    officer_branch = np.arange(n_officers) % n_branches + 1
    cust_officer = rng.integers(0, n_officers, n_customers)
    frames = {
        "branches": pl.DataFrame({
            "branch_id": np.arange(1, n_branches + 1), "code": [f"B{i}" for i in range(n_branches)],
            "name": [f"网点{i}" for i in range(n_branches)],
            "name_en": [f"Branch {i}" for i in range(n_branches)], "town": "城关",
            "opened_on": date(2000, 1, 1)}),
        "officers": pl.DataFrame({
            "officer_id": np.arange(1, n_officers + 1), "branch_id": officer_branch,
            "name": "李娜", "gender": "F", "hire_date": date(2015, 1, 1),
            "role": "customer_manager", "active": True}),
        "customers": pl.DataFrame({
            "customer_id": np.arange(1, n_customers + 1),
            "branch_id": officer_branch[cust_officer], "officer_id": cust_officer + 1,
            "name": "张三丰", "opened_on": date(2010, 1, 1),
            "phone": [f"138{i:08d}" for i in range(n_customers)]}),
    }  # fmt: skip
    sizes = [n_customers // 5, *([n_customers // 20] * 7)]
    frames["campaigns"] = pl.DataFrame({
        "campaign_id": np.arange(1, 9), "code": [f"C{i}" for i in range(8)],
        "name": [f"活动{i}" for i in range(8)], "name_en": [f"Campaign {i}" for i in range(8)],
        "product": "credit_card", "start_date": date(2026, 6, 1), "end_date": date(2026, 11, 30),
        "conversion_window_days": 30, "target_definition": "{}"})  # fmt: skip
    events = []
    for cid, size in enumerate(sizes, start=1):
        who = rng.choice(n_customers, size, replace=False)
        at = np.datetime64("2026-06-01") + rng.integers(0, 170 * 24 * 3600, size).astype(
            "timedelta64[s]"
        )
        alive = np.ones(size, dtype=bool)
        for k, stage in enumerate(FUNNEL_STAGES):
            if k:
                alive &= rng.random(size) < 0.6
                at = at + rng.integers(3600, 12 * 24 * 3600, size).astype("timedelta64[s]")
            events.append(pl.DataFrame({
                "campaign_id": cid, "customer_id": who[alive] + 1,
                "officer_id": cust_officer[who[alive]] + 1,
                "branch_id": officer_branch[cust_officer[who[alive]]], "stage": stage,
                "occurred_at": at[alive].astype("datetime64[us]")}))  # fmt: skip
    ev = pl.concat(events)
    frames["marketing_events"] = ev.with_columns(event_id=pl.int_range(1, ev.height + 1))
    with engine.begin() as conn:
        raw = conn.connection.driver_connection
        for table, df in frames.items():
            cols = [c.name for c in metadata.tables[table].columns]
            full = df.select(pl.col(c) if c in df.columns else pl.lit(None).alias(c) for c in cols)
            raw.from_arrow(full.to_arrow()).insert_into(table)
    engine.dispose()
    print(f"built {path}: {n_customers:,} customers, {ev.height:,} events")


def main() -> None:
    """Build (once) and time the page's work for the largest campaign."""
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000
    path = Path(sys.argv[2] if len(sys.argv) > 2 else f"/tmp/bench_funnels_{n}.duckdb")
    if not path.exists():
        build(path, n)
    engine = make_engine(f"duckdb:///{path}", read_only=True)
    with engine.connect() as conn:
        took = timed(lambda: fetch_campaigns(conn, Selection()), REPEAT)
        print(f"fetch_campaigns: {took.median * 1000:.0f} ms ({took.result.height} campaigns)")
        took = timed(lambda: fetch_stage_pivot(conn, Selection(), [1]), REPEAT)
        pv = took.result
        print(
            f"fetch_stage_pivot (largest campaign, {pv.height:,} rows): {took.median * 1000:.0f} ms"
        )
        took = timed(lambda: fetch_stage_pivot(conn, Selection(Scope.branch(1)), [1]), REPEAT)
        print(f"fetch_stage_pivot (one branch): {took.median * 1000:.0f} ms")

        def page_metrics() -> None:
            r = fm.mark_reached(pv, FUNNEL_STAGES, 30)
            fm.stage_counts(r, FUNNEL_STAGES)
            fm.breakdown(r, FUNNEL_STAGES, "officer_id")
            fm.time_to_convert(r)
            fm.time_to_convert_histogram(r, 2)
            fm.entry_week_trend(r, FUNNEL_STAGES, 30, as_of=date(2026, 11, 22))

        took = timed(page_metrics, REPEAT)
        print(
            "metrics of the page (mark, counts, breakdown, time to convert, trend): "
            f"{took.median * 1000:.0f} ms"
        )
        took = timed(lambda: fetch_drop_list(conn, Selection(), [1], 1, 30), REPEAT)
        print(f"fetch_drop_list (step 1, {took.result.height:,} rows): {took.median * 1000:.0f} ms")
    engine.dispose()


if __name__ == "__main__":
    main()
