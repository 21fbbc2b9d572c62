"""``python -m bench.projection``: the Spark cluster a province needs, from this machine's figures.

Inputs (both written by the benchmarks):
- bench/results.json (``python -m bench``): per page at county scale (1M customers, ≈58M
  footprints) the statements it runs and the rows of the tables they read (an upper bound of the
  rows scanned: pruning only lowers it);
- bench/results-spark.json (``python -m bench.spark``): Spark's seconds for the heavy aggregates
  over 1×, k× the footprints on this cluster's executor cores, and its per-statement cost.

Model, per page p: T(C) = S·o + R·g / (r·C) < 5 s, with S statements run one after another,
o Spark's fixed cost per statement, R rows read at county scale, g the growth to the province
(50M / 1M customers = 50, applied to every table: footprints grow only 1B / 58M ≈ 17, so this is
an upper bound), r rows per second per core (the slope of the scaling runs) and C cores. So
C ≥ R·g / (r·(5 − S·o)); when S·o ≥ 5 s no cluster size helps and the statements must be fewer
or run concurrently. Prints the arithmetic as markdown.

    python -m bench.projection [CORES [O_SECONDS [CHAIN]]]   # defaults: 2, fit intercept, all
"""

from __future__ import annotations

import json
import math
import statistics
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
PROVINCE_CUSTOMERS, PROVINCE_FOOTPRINTS = 50_000_000, 1_000_000_000
TARGET_S = 5.0


def fit(points: list[tuple[int, float]]) -> tuple[float, float]:
    """Least squares t = a + b·rows; returns (a, b)."""
    xs, ys = [p[0] for p in points], [p[1] for p in points]
    mx, my = statistics.fmean(xs), statistics.fmean(ys)
    sxx = sum((x - mx) ** 2 for x in xs)
    b = sum((x - mx) * (y - my) for x, y in zip(xs, ys, strict=True)) / sxx if sxx else 0.0
    return my - b * mx, b


def project(
    county: dict,
    spark: dict,
    cores: int,
    overhead_s: float | None = None,
    chain: int | None = None,
) -> str:
    """The projection table and its arithmetic (markdown). ``chain``: statements that run one
    after another when a page's loaders run concurrently (None: all of them in sequence)."""
    lines = []
    customers = county["banks"]["duckdb"]["customers"]
    growth = PROVINCE_CUSTOMERS / customers
    rates = {}
    for query in sorted({s["query"] for s in spark["scaling"]}):
        pts = [(s["rows"], s["seconds"]) for s in spark["scaling"] if s["query"] == query]
        a, b = fit(pts)
        per_core = 1 / (b * cores) if b > 0 else math.inf
        rates[query] = (a, per_core)
        lines.append(
            f"- {query}: t = {a:.2f} s + rows / {1 / b / 1e6:.1f} M rows/s on {cores} cores "
            f"→ r = {per_core / 1e6:.2f} M rows/s per core (points: "
            + ", ".join(f"{n / 1e6:.1f} M rows in {t:.2f} s" for n, t in pts)
            + ")"
        )
    r = min(per_core for _, per_core in rates.values())  # the slower query: conservative
    if overhead_s is None:
        overhead_s = statistics.median(a for a, _ in rates.values())
    lines += [
        "",
        f"r = {r / 1e6:.2f} M rows/s per core (the slower of the two), o = {overhead_s:.2f} s per "
        f"statement, growth g = {PROVINCE_CUSTOMERS:,} / {customers:,} = {growth:.0f} "
        f"(footprints grow {PROVINCE_FOOTPRINTS / county['banks']['duckdb']['footprints']:.0f}×).",
        "",
        f"Statements in sequence: {'all of the page' if chain is None else f'at most {chain}'}.",
        "",
        "| page | statements S | rows read at county R | at province R·g | S·o | cores C for < 5 s |",
        "|---|---|---|---|---|---|",
    ]
    for page, fig in county["fast"]["duckdb"].items():
        s, rows = fig["statements"], fig["rows_scanned"]
        fixed = min(s, chain or s) * overhead_s
        left = TARGET_S - fixed
        cores_needed = "—" if left <= 0 else f"{math.ceil(rows * growth / (r * left)):,}"
        lines.append(
            f"| {page} | {s} | {rows / 1e6:,.1f} M | {rows * growth / 1e9:,.2f} B | {fixed:.1f} s "
            f"| {cores_needed} |"
        )
    return "\n".join(lines)


def main(argv: list[str]) -> None:
    county = json.loads((HERE / "results.json").read_text())
    spark = json.loads((HERE / "results-spark.json").read_text())
    cores = int(argv[0]) if argv else 2
    overhead = float(argv[1]) if len(argv) > 1 else None
    chain = int(argv[2]) if len(argv) > 2 else None
    print(project(county, spark, cores, overhead, chain))


if __name__ == "__main__":
    main(sys.argv[1:])
