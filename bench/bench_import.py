"""Import throughput: a footprints CSV in the core-banking layout, imported with full validation,
beside DuckDB's own ``read_csv`` of the same file in the same run.

    python -m bench.bench_import [--rows 10000000] [--encoding utf-8|gbk] [--workdir data/bench/import]
    python -m bench.bench_import --hostile --rows 2000000   # bad rows spread over a GBK file

Writes a small demo bank (the customers the footprints refer to) and a synthetic CSV of ``--rows``
footprints (Chinese headers, bank codes, 1,234.50 amounts, 20261122 dates), then in separate
processes: ``python -m data_access import`` into a copy of the bank (no mart refresh), and DuckDB
``CREATE TABLE … AS SELECT * FROM read_csv(file)`` twice: into memory (the raw parse) and into a
database file (the same load without validation, keys or idempotency: the like-for-like baseline,
since the import too writes into a database file). Prints rows/s of each, the ratios (goal ≥ 1/3)
and the import's peak memory (goal < 2 GB); beside wall time, the CPU seconds of both (on a machine
shared with other work the wall-time ratio mostly measures who got the cores).
"""

from __future__ import annotations

import argparse
import csv
import io
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
    from data_access.migrate import upgrade

    engine = make_engine(f"duckdb:///{path}")
    if path.exists():  # built by an earlier release: at the code's schema, as a bank would be
        upgrade(engine)
    else:
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


def spoil(path: Path, out: Path, rows: int) -> dict[int, str]:
    """Copy a ``make_csv`` file (GBK) with bad rows at lines spread over it; {line: reason text}."""
    lines = path.read_bytes().split(b"\n")
    assert lines[-1] == b"" and len(lines) == rows + 2  # header, rows, final newline
    lines.pop()

    def cells(line: int) -> list[str]:
        return next(csv.reader([lines[line - 1].decode("gb18030")]))

    def put(line: int, values: list[str]) -> None:
        buf = io.StringIO()
        csv.writer(buf, lineterminator="").writerow(values)
        lines[line - 1] = buf.getvalue().encode("gb18030")

    def change(line: int, col: int, value: str) -> None:
        values = cells(line)
        values[col] = value
        put(line, values)

    at = [2 + (rows - 2) * k // 6 for k in range(1, 6)]  # five lines spread over the file
    change(at[0], 5, "9999")  # 交易类型: a code the mapping lacks
    change(at[1], 0, cells(2)[0])  # 交易流水号: the first row's
    change(at[2], 8, "十二元")  # 交易金额: not a number
    change(at[3], 3, "19990101")  # 交易日期: before the mapping's period
    change(at[4], 1, "999999")  # 客户号: no such customer
    last = len(lines)
    lines[-1] = lines[-1][: len(lines[-1]) // 3]  # the last line cut short, no newline
    out.write_bytes(b"\n".join(lines))
    return {
        at[0]: "交易类型：未知代码（9999）",
        at[1]: "主键重复：与第 2 行相同",
        at[2]: "交易金额",
        at[3]: "交易日期+交易时间",
        at[4]: "客户号",
        last: "字段数不对",
    }


DUCKDB_READ = """
import duckdb, sys, time
con = duckdb.connect(sys.argv[2])  # ":memory:", or a database file like the import's
con.execute("SET enable_progress_bar = false")
t0 = time.perf_counter()
con.execute("CREATE TABLE t AS SELECT * FROM read_csv(?)", [sys.argv[1]])
n = con.execute("SELECT count(*) FROM t").fetchone()[0]
print(n, time.perf_counter() - t0)
"""


def _children() -> resource.struct_rusage:
    return resource.getrusage(resource.RUSAGE_CHILDREN)


def _cpu_since(before: resource.struct_rusage) -> float:
    """CPU seconds (user + system) of the children that ended since ``before``."""
    now = _children()
    return now.ru_utime - before.ru_utime + now.ru_stime - before.ru_stime


def _import(
    target: Path, csv_path: Path, rejects: Path
) -> tuple[subprocess.CompletedProcess, float, float]:
    """Run ``python -m data_access import`` (no refresh); (process, wall s, CPU s)."""
    env = {**os.environ, "PYTHONPATH": os.getcwd()}
    cmd = [sys.executable, "-m", "data_access", "import", "--url", f"duckdb:///{target}"]
    cmd += ["--mapping", "core_banking", "--table", "footprints", "--no-refresh"]
    cmd += ["--rejects", str(rejects), str(csv_path)]
    before, t0 = _children(), time.perf_counter()
    proc = subprocess.run(cmd, capture_output=True, text=True, env=env)
    seconds = time.perf_counter() - t0
    if proc.returncode != 0:
        raise SystemExit(proc.stderr)
    return proc, seconds, _cpu_since(before)


def _csv(workdir: Path, rows: int, encoding: str) -> Path:
    csv_path = workdir / f"footprints_{rows}_{encoding}.csv"
    if not csv_path.exists():
        t0 = time.perf_counter()
        make_csv(csv_path, rows, encoding)
        print(f"wrote {csv_path} in {time.perf_counter() - t0:.0f} s", file=sys.stderr)
    return csv_path


def run(rows: int, encoding: str, workdir: Path) -> dict:
    """Import the CSV into a copy of the bank, then DuckDB's read_csv of it; the figures."""
    workdir.mkdir(parents=True, exist_ok=True)
    bank = workdir / "bank.duckdb"
    make_bank(bank)
    csv_path = _csv(workdir, rows, encoding)
    result: dict = {"rows": rows, "encoding": encoding, "file_mb": csv_path.stat().st_size / 1e6}
    target = workdir / "target.duckdb"
    shutil.copy(bank, target)
    proc, seconds, cpu = _import(target, csv_path, workdir / "rejects.csv")
    result["import_s"] = seconds
    result["import_cpu_s"] = cpu
    result["import_rows_per_s"] = rows / seconds
    # the children's peak so far is the import's alone (DuckDB's read runs after it)
    result["import_peak_mb"] = _children().ru_maxrss / 1024
    result["import_summary"] = proc.stdout.strip().splitlines()[0]
    if encoding == "utf-8":  # DuckDB reads only UTF-8 (and a few others) without an extension
        # Two baselines: the raw parse into memory, and the same load into a database file,
        # which is what the import does (the file's writes cost DuckDB itself about twice the CPU)
        for name, database in (
            ("duckdb", ":memory:"),
            ("duckdb_file", str(workdir / "raw.duckdb")),
        ):
            Path(database).unlink(missing_ok=True)
            before = _children()
            out = subprocess.run(
                [sys.executable, "-c", DUCKDB_READ, str(csv_path), database],
                capture_output=True,
                text=True,
                check=True,
            ).stdout.split()
            Path(database).unlink(missing_ok=True)
            result[f"{name}_cpu_s"] = _cpu_since(before)
            result[f"{name}_rows"], result[f"{name}_s"] = int(out[0]), float(out[1])
            result[f"{name}_rows_per_s"] = result[f"{name}_rows"] / result[f"{name}_s"]
            result[f"ratio_to_{name}"] = result["import_rows_per_s"] / result[f"{name}_rows_per_s"]
            result[f"cpu_ratio_to_{name}"] = result[f"{name}_cpu_s"] / cpu
    target.unlink(missing_ok=True)
    return result


def run_hostile(rows: int, workdir: Path) -> dict:
    """A GBK file with bad rows spread over it (``spoil``): are they, and only they, rejected?"""
    workdir.mkdir(parents=True, exist_ok=True)
    bank = workdir / "bank.duckdb"
    make_bank(bank)
    spoiled = workdir / f"hostile_{rows}.csv"
    bad = spoil(_csv(workdir, rows, "gbk"), spoiled, rows)
    target = workdir / "target.duckdb"
    shutil.copy(bank, target)
    rejects = workdir / "hostile_rejects.csv"
    proc, seconds, cpu = _import(target, spoiled, rejects)
    with rejects.open(encoding="utf-8-sig", newline="") as fh:
        found = {int(r["行号"]): r["拒绝原因"] for r in csv.DictReader(fh)}
    target.unlink(missing_ok=True)
    return {
        "rows": rows,
        "import_s": seconds,
        "import_cpu_s": cpu,
        "import_peak_mb": _children().ru_maxrss / 1024,
        "import_summary": proc.stdout.strip().splitlines()[0],
        "bad_rows": len(bad),
        "rejected_exactly_those": sorted(found) == sorted(bad)
        and all(text in found[line] for line, text in bad.items()),
    }


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--rows", type=int, default=10_000_000)
    p.add_argument("--encoding", default="utf-8", choices=("utf-8", "gbk"))
    p.add_argument("--workdir", type=Path, default=Path("data/bench/import"))
    p.add_argument("--hostile", action="store_true", help="bad rows spread over a GBK file")
    args = p.parse_args(argv)
    if args.hostile:
        r = run_hostile(args.rows, args.workdir)
        print(json.dumps(r, ensure_ascii=False))
        print(
            f"{r['rows']:,} footprints (GBK) with {r['bad_rows']} bad rows spread over them: "
            f"{r['import_summary']}; the rejects file holds exactly those rows: "
            f"{r['rejected_exactly_those']} ({r['import_s']:.1f} s, peak {r['import_peak_mb']:,.0f} MB)"
        )
        return 0 if r["rejected_exactly_those"] else 1
    r = run(args.rows, args.encoding, args.workdir)
    print(json.dumps(r, ensure_ascii=False))
    print(
        f"{r['rows']:,} footprints ({r['file_mb']:.0f} MB, {r['encoding']}): "
        f"import with full validation {r['import_rows_per_s']:,.0f} rows/s "
        f"({r['import_s']:.1f} s, {r['import_cpu_s']:.1f} CPU s, peak {r['import_peak_mb']:,.0f} MB)"
        + (
            f"; DuckDB read_csv into memory {r['duckdb_rows_per_s']:,.0f} rows/s "
            f"({r['duckdb_s']:.1f} s, {r['duckdb_cpu_s']:.1f} CPU s): ratio "
            f"{r['ratio_to_duckdb']:.2f}, by CPU {r['cpu_ratio_to_duckdb']:.2f}"
            f"; DuckDB read_csv into a database file {r['duckdb_file_rows_per_s']:,.0f} rows/s "
            f"({r['duckdb_file_s']:.1f} s, {r['duckdb_file_cpu_s']:.1f} CPU s): ratio "
            f"{r['ratio_to_duckdb_file']:.2f}, by CPU {r['cpu_ratio_to_duckdb_file']:.2f} "
            "(goal ≥ 0.33)"
            if "duckdb_s" in r
            else ""
        )
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
