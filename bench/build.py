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


if __name__ == "__main__":
    main(sys.argv[1:])
