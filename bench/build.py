"""Build (or reuse) the benchmark banks: ``python -m bench.build [customers] [pg-customers]``."""

from __future__ import annotations

import json
import sys

from bench.common import DUCKDB_PATH, duckdb_engine, ensure_bank, pg_engine


def main(argv: list[str]) -> None:
    """Build the county DuckDB bank and the PostgreSQL bank; timings into a JSON next to the file."""
    customers = int(argv[0]) if argv else 1_000_000
    pg_customers = int(argv[1]) if len(argv) > 1 else 50_000
    out = {}
    if customers:
        took = ensure_bank(duckdb_engine(), customers, label="duckdb")
        if took is not None:
            out["duckdb_build_s"] = took
    if pg_customers:
        took = ensure_bank(pg_engine(), pg_customers, label="postgresql")
        if took is not None:
            out["pg_build_s"] = took
    stamp = DUCKDB_PATH.with_suffix(".build.json")
    old = json.loads(stamp.read_text()) if stamp.exists() else {}
    stamp.write_text(json.dumps(old | out))


def finish(customers: int) -> None:
    """Complete a loaded bank whose mart refresh failed: missing tables, marts, bank_meta."""
    import time
    from datetime import UTC, datetime

    from bench.common import END_DATE, SEED, log
    from data_access.demo import GENERATOR_VERSION, load
    from data_access.engine import create_schema
    from data_access.refresh import refresh_all
    from metrics.standards import load_standards

    engine = duckdb_engine()
    t0 = time.perf_counter()
    create_schema(engine)
    refresh_all(engine, load_standards(), END_DATE, lambda s, f: log(f"finish: {s} ({f:.0%})"))
    meta = {"seed": str(SEED), "customers": str(customers), "generator_version": GENERATOR_VERSION}
    meta["loaded_at"] = datetime.now(UTC).replace(microsecond=0).isoformat()
    load.write_meta(engine, meta)
    load.write_meta(engine, {"data_as_of": END_DATE.isoformat()})
    took = time.perf_counter() - t0
    log(f"finish: marts refreshed in {took:.0f} s")
    stamp = DUCKDB_PATH.with_suffix(".build.json")
    old = json.loads(stamp.read_text()) if stamp.exists() else {}
    stamp.write_text(json.dumps(old | {"duckdb_refresh_s": took}))


if __name__ == "__main__":
    if sys.argv[1:2] == ["--finish"]:
        finish(int(sys.argv[2]))
    else:
        main(sys.argv[1:])
