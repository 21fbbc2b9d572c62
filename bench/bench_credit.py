"""Benchmark: the credit desk's checks against the contradictions the demo generator planted.

Usage: ``python -m bench.bench_credit [customers] [seed]`` (default 20,000 customers, seed 7).
Builds the demo bank into a temporary DuckDB file while recording which applications the
generator made contradict their footprints (declared income inflated, a declared place the
customer never visits, a declared business or farm the applicant does not run, an existing loan
whose repayments stopped), runs the four checks over the whole application log, and prints
precision and recall per check against its planted kind, and of any check against any plant.
"""

from __future__ import annotations

import sys
import tempfile
from datetime import date
from pathlib import Path

import polars as pl

import data_access.demo as demo
from data_access.engine import make_engine
from data_access.queries.credit import fetch_credit_extras
from data_access.queries.quality import fetch_applicant_places, fetch_application_evidence
from data_access.selection import Period, Selection
from metrics.credit import CHECKS, assemble_evidence, credit_mismatches, precision_recall
from metrics.standards import load_standards

END = date(2026, 11, 22)


def build_with_truth(path: Path, customers: int, seed: int) -> dict[str, set[int]]:
    """Build the demo bank and return the planted contradictions by kind."""
    planted: dict[str, set[int]] = {}
    original = demo.loan_applications_table

    def recording(*args: object, **kwargs: object) -> object:
        return original(*args, **kwargs, planted=planted)  # type: ignore[arg-type]

    demo.loan_applications_table = recording  # type: ignore[assignment]
    try:
        demo.build_demo(
            make_engine(f"duckdb:///{path}"), customers=customers, seed=seed, end_date=END
        )
    finally:
        demo.loan_applications_table = original
    return planted


def run(customers: int = 20_000, seed: int = 7) -> dict[str, dict[str, float]]:
    """Build, check, and return precision / recall per kind."""
    std = load_standards()
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "demo.duckdb"
        planted = build_with_truth(path, customers, seed)
        engine = make_engine(f"duckdb:///{path}")
        everything = Period(date(2000, 1, 1), END)
        with engine.connect() as conn:
            apps = fetch_application_evidence(conn, everything, Selection())
            extras = fetch_credit_extras(
                conn, everything, Selection(), std.credit.repayment_lookback_days
            )
            places = fetch_applicant_places(conn, everything, Selection())
        engine.dispose()
    evidence = assemble_evidence(apps, extras, places)
    mism = credit_mismatches(
        evidence,
        std.alerts.income_contradiction_ratio,
        std.alerts.contradiction_min_inflows,
        std.credit,
    )

    def ids(check: str) -> set[int]:
        return set(mism.filter(pl.col("check") == check)["application_id"].to_list())

    out = {check: precision_recall(ids(check), planted[check]) for check in CHECKS}
    any_planted = set().union(*(planted[check] for check in CHECKS))
    out["any check"] = precision_recall(set(mism["application_id"].to_list()), any_planted)
    out["_meta"] = {"applications": float(evidence.height)}
    return out


def main() -> None:
    """Print the figures."""
    customers = int(sys.argv[1]) if len(sys.argv) > 1 else 20_000
    seed = int(sys.argv[2]) if len(sys.argv) > 2 else 7
    res = run(customers, seed)
    meta = res.pop("_meta")
    print(f"credit desk checks vs planted contradictions — demo bank {customers:,} customers, "
          f"seed {seed}, {meta['applications']:,.0f} applications")  # fmt: skip
    print(f"{'check':<18}{'flagged':>9}{'planted':>9}{'precision':>11}{'recall':>8}")
    for name, r in res.items():
        print(
            f"{name:<18}{r['flagged']:>9,.0f}{r['planted']:>9,.0f}"
            f"{r['precision']:>11.1%}{r['recall']:>8.1%}"
        )


if __name__ == "__main__":
    main()
