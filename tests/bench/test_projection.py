"""The province projection's arithmetic (bench/projection.py) on figures whose answer is known."""

from __future__ import annotations

import math

from bench.projection import fit, project


def test_fit_recovers_a_line() -> None:
    a, b = fit([(1_000_000, 1.5), (4_000_000, 3.0), (16_000_000, 9.0)])
    assert math.isclose(a, 1.0, abs_tol=1e-9) and math.isclose(b, 0.5e-6, rel_tol=1e-9)


def test_cores_follow_from_rows_rate_and_fixed_cost() -> None:
    county = {
        "banks": {"duckdb": {"customers": 1_000_000, "footprints": 58_000_000}},
        "fast": {
            "duckdb": {
                "light": {"statements": 10, "rows_scanned": 10_000_000},
                "chatty": {"statements": 40, "rows_scanned": 1_000},
            }
        },
    }
    # 2 cores, 1 s + rows / 20M rows/s → r = 10M rows/s per core
    spark = {
        "scaling": [{"query": "q", "rows": n, "seconds": 1.0 + n / 20e6} for n in (1e6, 4e6, 16e6)]
    }
    text = project(county, spark, cores=2, overhead_s=0.2)
    # light: 10M rows × 50 = 500M rows in 5 − 10 × 0.2 = 3 s at 10M rows/s per core → 17 cores
    assert "| light | 10 | 10.0 M | 0.50 B | 2.0 s | 17 |" in text
    # chatty: 40 statements × 0.2 s = 8 s ≥ 5 s: no cluster size helps
    assert "| chatty | 40 |" in text and text.split("| chatty |")[1].split("\n")[0].endswith(
        "| — |"
    )
    assert "r = 10.00 M rows/s per core" in text
