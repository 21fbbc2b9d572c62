"""Scan throughput: one weekly aggregate over all footprints against a numpy sum of one column.

The numpy sum of a float64 column as long as the footprints table is the physical limit of one
pass over memory on this machine; the weekly-by-branch aggregate is what pages ask the database.
``python -m bench.throughput URL`` prints one JSON line.
"""

from __future__ import annotations

import json
import sys
import time
from dataclasses import asdict, dataclass
from datetime import date

import numpy as np
import polars as pl
import sqlalchemy as sa

from bench.common import rate, secs, timed, verdict
from data_access.engine import make_engine
from data_access.queries._frames import frame
from data_access.queries.kpis import WEEKLY_SCHEMA, select_outflows, truncate
from data_access.schema import footprints
from data_access.selection import Period, Selection

TARGET_ROWS_PER_S = 100e6  # the weekly aggregate's target
# (measure, column title) of the report's table, as Throughput names each measure's fields.
MEASURES = (
    ("weekly", "weekly by branch (all rows)"),
    ("outflows", "KPI outflows query (filtered)"),
    ("column_sum", "SUM(amount) in the database"),
    ("numpy", "numpy sum (limit)"),
)
WEEKLY = {"branch_id": pl.Int64, "week_start": pl.Date, "n": pl.Int64, "amount": pl.Float64}


@dataclass
class Throughput:
    """Rows per second of the database aggregate and of numpy."""

    rows: int
    weekly_s: float
    weekly_rows_per_s: float
    outflows_s: float
    outflows_rows_per_s: float
    column_sum_s: float
    column_sum_rows_per_s: float
    numpy_s: float
    numpy_rows_per_s: float


def weekly_by_branch() -> sa.Select:
    """Footprints and amount per branch and week, over the whole table."""
    f = footprints
    wk = truncate("week", f.c.occurred_at)
    return sa.select(
        f.c.branch_id,
        wk.label("week_start"),
        sa.func.count().label("n"),
        sa.func.sum(f.c.amount).label("amount"),
    ).group_by(f.c.branch_id, wk)


def measure_throughput(engine: sa.Engine, repeat: int = 3) -> Throughput:
    """Median seconds of the two aggregates and of ``numpy.sum``; rows per second of each."""
    with engine.connect() as conn:
        rows = conn.execute(sa.select(sa.func.count()).select_from(footprints)).scalar_one()
        every = Period(date(2000, 1, 1), date(2100, 1, 1))
        frame(conn, weekly_by_branch(), WEEKLY)  # the table's pages into the buffer first
        weekly = timed(lambda: frame(conn, weekly_by_branch(), WEEKLY), repeat)
        outflows = timed(
            lambda: frame(conn, select_outflows(every, Selection()), WEEKLY_SCHEMA), repeat
        )
        total = sa.select(sa.func.sum(footprints.c.amount))
        column_sum = timed(lambda: conn.execute(total).scalar_one(), repeat)
    column = np.random.default_rng(0).random(rows)
    column.sum()
    t = timed(column.sum, max(repeat, 5))
    del column
    return Throughput(
        rows=rows,
        weekly_s=weekly.median,
        weekly_rows_per_s=rows / weekly.median,
        outflows_s=outflows.median,
        outflows_rows_per_s=rows / outflows.median,
        column_sum_s=column_sum.median,
        column_sum_rows_per_s=rows / column_sum.median,
        numpy_s=t.median,
        numpy_rows_per_s=rows / t.median,
    )


def throughput_table(results: dict[str, dict]) -> list[str]:
    """The reports' markdown table of ``Throughput`` results by backend: each measure's median
    time and rate, the weekly aggregate checked against its target."""
    lines = [
        "| backend | rows | " + " | ".join(title for _, title in MEASURES) + " |",
        "|---|---|" + "---|" * len(MEASURES),
    ]
    for backend, t in results.items():
        if "error" in t:
            lines.append(f"| {backend} | error: {t['error']} |" + "|" * len(MEASURES))
            continue
        cells = [f"{secs(t[f'{m}_s'])} = {rate(t[f'{m}_rows_per_s'])}" for m, _ in MEASURES]
        cells[0] += verdict(t["weekly_rows_per_s"] >= TARGET_ROWS_PER_S)
        lines.append(f"| {backend} | {t['rows']:,} | " + " | ".join(cells) + " |")
    return lines


def main(argv: list[str]) -> None:
    """``python -m bench.throughput URL``: one JSON line."""
    t0 = time.perf_counter()
    out = measure_throughput(make_engine(argv[0]))
    print("BENCH " + json.dumps(asdict(out) | {"wall_s": time.perf_counter() - t0}), flush=True)


if __name__ == "__main__":
    main(sys.argv[1:])
