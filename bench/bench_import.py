"""Import throughput: a footprints CSV in the core-banking layout, imported with full validation,
beside DuckDB's own ``read_csv`` of the same file in the same run.

    python -m bench.bench_import [--rows 10000000] [--encoding utf-8|gbk] [--workdir data/bench/import]

Writes a small demo bank (the customers the footprints refer to) and a synthetic CSV of ``--rows``
footprints (Chinese headers, bank codes, 1,234.50 amounts, 20261122 dates), then in separate
processes: DuckDB ``CREATE TABLE … AS SELECT * FROM read_csv(file)`` and ``python -m data_access
import`` into a copy of the bank (no mart refresh). Prints rows/s of both, their ratio (goal ≥ 1/3)
and the import's peak memory (goal < 2 GB).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import subprocess
import sys
import time
from datetime import date, datetime
from pathlib import Path

import numpy as np
import polars as pl

from data_access.importing.export import with_thousands
from data_access.importing.mapping import load_mapping

CUSTOMERS = 2_000
END = date(2026, 11, 22)


def make_bank(path: Path) -> None:
    """A small demo bank whose customers the synthetic footprints refer to."""
    from data_access.demo import build_demo
    from data_access.engine import make_engine

    if path.exists():
        return
    engine = make_engine(f"duckdb:///{path}")
    build_demo(engine, customers=CUSTOMERS, seed=3, end_date=END)
    engine.dispose()


def make_csv(
    path: Path, rows: int, encoding: str, customers: int = CUSTOMERS, chunk: int = 1_000_000
) -> None:
    """``rows`` footprints in the core-banking layout, written in chunks."""
    m = load_mapping("core_banking")
    spec = m.tables["footprints"].columns
    rev = {
        col: {ours: bank for bank, ours in reversed(list(spec[col].codes.items()))}
        for col in ("kind", "direction", "channel", "counterparty_type", "self_initiated")
    }
    rng = np.random.default_rng(1)
    start = datetime(2024, 11, 25).timestamp()
    span = datetime(2026, 11, 22).timestamp() - start
    codec = "gb18030" if encoding != "utf-8" else "utf-8"
    places = np.array(["城关镇", "桃源镇", "新市镇", "", "县农贸市场", "乡镇卫生院"])
    with path.open("wb") as fh:
        for lo in range(0, rows, chunk):
            n = min(chunk, rows - lo)

            def pick(col: str, n: int = n) -> np.ndarray:
                values = np.array(list(rev[col].values()))
                return values[rng.integers(0, len(values), n)]

            ts = start + rng.random(n) * span
            frame = pl.DataFrame(
                {
                    "交易流水号": np.arange(lo + 1, lo + n + 1)
                    + 1_000_000_000,  # beyond the demo's ids
                    "客户号": rng.integers(1, customers + 1, n),
                    "交易机构号": rng.integers(1, 6, n),
                    "ts": (ts * 1e6).astype("datetime64[us]"),
                    "交易类型": pick("kind"),
                    "借贷标志": pick("direction"),
                    "交易渠道": pick("channel"),
                    "amount": np.round(rng.lognormal(6, 1.5, n), 2),
                    "交易地点": places[rng.integers(0, len(places), n)],
                    "商户类别": "",
                    "对手方类型": pick("counterparty_type"),
                    "主动交易标志": pick("self_initiated"),
                }
            ).select(
                "交易流水号",
                "客户号",
                "交易机构号",
                pl.col("ts").dt.strftime("%Y%m%d").alias("交易日期"),
                pl.col("ts").dt.strftime("%H%M%S").alias("交易时间"),
                "交易类型",
                "借贷标志",
                "交易渠道",
                with_thousands(pl.col("amount")).alias("交易金额"),
                "交易地点",
                "商户类别",
                "对手方类型",
                "主动交易标志",
            )
            text = frame.write_csv(include_header=lo == 0)
            fh.write(text.encode(codec))


DUCKDB_READ = """
import duckdb, sys, time
con = duckdb.connect()
con.execute("SET enable_progress_bar = false")
t0 = time.perf_counter()
con.execute("CREATE TABLE t AS SELECT * FROM read_csv(?)", [sys.argv[1]])
n = con.execute("SELECT count(*) FROM t").fetchone()[0]
print(n, time.perf_counter() - t0)
"""


def _child_peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024


def run(rows: int, encoding: str, workdir: Path) -> dict:
    workdir.mkdir(parents=True, exist_ok=True)
    bank = workdir / "bank.duckdb"
    make_bank(bank)
    csv_path = workdir / f"footprints_{rows}_{encoding}.csv"
    if not csv_path.exists():
        t0 = time.perf_counter()
        make_csv(csv_path, rows, encoding)
        print(f"wrote {csv_path} in {time.perf_counter() - t0:.0f} s", file=sys.stderr)
    env = {**os.environ, "PYTHONPATH": os.getcwd()}
    result: dict = {"rows": rows, "encoding": encoding, "file_mb": csv_path.stat().st_size / 1e6}
    target = workdir / "target.duckdb"
    shutil.copy(bank, target)
    t0 = time.perf_counter()
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "data_access",
            "import",
            "--url",
            f"duckdb:///{target}",
            "--mapping",
            "core_banking",
            "--table",
            "footprints",
            "--no-refresh",
            "--rejects",
            str(workdir / "rejects.csv"),
            str(csv_path),
        ],
        capture_output=True,
        text=True,
        env=env,
    )
    seconds = time.perf_counter() - t0
    if proc.returncode != 0:
        raise SystemExit(proc.stderr)
    result["import_s"] = seconds
    result["import_rows_per_s"] = rows / seconds
    result["import_peak_mb"] = _child_peak_mb()
    result["import_summary"] = proc.stdout.strip().splitlines()[0]
    # after the import: the children's peak memory above is the import's alone
    if encoding == "utf-8":  # DuckDB reads only UTF-8 (and a few others) without an extension
        out = subprocess.run(
            [sys.executable, "-c", DUCKDB_READ, str(csv_path)],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.split()
        result["duckdb_rows"], result["duckdb_s"] = int(out[0]), float(out[1])
        result["duckdb_rows_per_s"] = result["duckdb_rows"] / result["duckdb_s"]
    if "duckdb_rows_per_s" in result:
        result["ratio_to_duckdb"] = result["import_rows_per_s"] / result["duckdb_rows_per_s"]
    target.unlink(missing_ok=True)
    return result


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--rows", type=int, default=10_000_000)
    p.add_argument("--encoding", default="utf-8", choices=("utf-8", "gbk"))
    p.add_argument("--workdir", type=Path, default=Path("data/bench/import"))
    args = p.parse_args(argv)
    r = run(args.rows, args.encoding, args.workdir)
    print(json.dumps(r, ensure_ascii=False))
    print(
        f"{r['rows']:,} footprints ({r['file_mb']:.0f} MB, {r['encoding']}): "
        f"import with full validation {r['import_rows_per_s']:,.0f} rows/s "
        f"({r['import_s']:.1f} s, peak {r['import_peak_mb']:,.0f} MB)"
        + (
            f"; DuckDB read_csv {r['duckdb_rows_per_s']:,.0f} rows/s ({r['duckdb_s']:.1f} s); "
            f"ratio {r['ratio_to_duckdb']:.2f} (goal ≥ 0.33)"
            if "duckdb_s" in r
            else ""
        )
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
