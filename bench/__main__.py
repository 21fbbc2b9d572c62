"""``python -m bench``: performance figures at county scale, side by side with the usual way.

Builds (or reuses) the county bank on DuckDB and a smaller bank on PostgreSQL, then for every page:
fast path cold / warm (``bench.pages``), the usual ``pd.read_sql`` + pandas way (``bench.naive``),
rows scanned, peak memory; scan throughput against numpy (``bench.throughput``); time to the first
chart in chromium (``bench.browser``). Each measurement runs in its own process, so its peak memory
is its own. Writes ``bench/results.md`` and prints it. See bench/README.md.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import platform
import subprocess
import sys
import time
from dataclasses import asdict, dataclass, field
from importlib import metadata as im
from pathlib import Path
from urllib.parse import quote

import sqlalchemy as sa

from bench.common import (
    DUCKDB_PATH,
    PG_SCHEMA,
    PG_URL,
    ROOT,
    bank_size,
    duckdb_engine,
    ensure_bank,
    log,
    pg_engine,
    secs,
    verdict,
)
from bench.pages import PAGES
from bench.throughput import throughput_table

RESULTS = Path(__file__).with_name("results.md")
TARGET_COLD_S, TARGET_WARM_S, TARGET_RATIO = 2.0, 0.2, 20.0
TARGET_RSS_MB, TARGET_BROWSER_S = 2048.0, 4.0


@dataclass
class Config:
    """What to run."""

    customers: int = 1_000_000
    pg_customers: int = 50_000
    skip_build: bool = False
    repeat: int = 3
    naive_cap: int = 500_000
    pages: tuple[str, ...] = PAGES
    browser: bool = True
    naive: bool = True
    duckdb_url: str = f"duckdb:///{DUCKDB_PATH}"
    pg_url: str = PG_URL
    out: Path | None = RESULTS
    in_process: bool = False  # the smoke test: no subprocesses, no browser
    reuse_naive: Path | None = None  # results.json of an earlier run: its usual-way figures
    load_sessions: int = 50  # concurrent sessions of the load step (0: none)


@dataclass
class Results:
    """Every figure of one run."""

    machine: dict[str, str] = field(default_factory=dict)
    build: dict[str, float] = field(default_factory=dict)
    banks: dict[str, dict[str, int]] = field(default_factory=dict)
    fast: dict[str, dict[str, dict]] = field(default_factory=dict)
    naive: dict[str, dict[str, dict]] = field(default_factory=dict)
    throughput: dict[str, dict] = field(default_factory=dict)
    browser: dict = field(default_factory=dict)
    load: dict = field(default_factory=dict)
    wall_s: float = 0.0


def pg_dashboard_url(url: str = PG_URL, schema: str = PG_SCHEMA) -> str:
    """The PostgreSQL URL with the schema on the search path (psycopg takes ``options``)."""
    return f"{url}?options={quote(f'-csearch_path={schema}')}"


def _version(dist: str) -> str:
    try:
        return im.version(dist)
    except im.PackageNotFoundError:
        return "-"


def describe_machine(pg_url: str | None) -> dict[str, str]:
    """Cores, memory, CPU, load and the versions that matter."""
    info = {
        "cores": str(os.cpu_count()),
        "python": platform.python_version(),
        "os": platform.platform(),
        "load average (1/5/15 min) at start": " / ".join(f"{x:.1f}" for x in os.getloadavg()),
    }
    try:
        mem = Path("/proc/meminfo").read_text().splitlines()[0].split()[1]
        info["RAM"] = f"{int(mem) / 2**20:.1f} GiB"
        cpu = [x for x in Path("/proc/cpuinfo").read_text().splitlines() if "model name" in x]
        info["CPU"] = cpu[0].split(":", 1)[1].strip() if cpu else "-"
    except OSError:
        pass
    for dist in ("duckdb", "duckdb-engine", "SQLAlchemy", "psycopg", "polars", "pandas"):
        info[dist] = _version(dist)
    for dist in ("pyarrow", "numpy", "streamlit", "plotly", "playwright"):
        info[dist] = _version(dist)
    if pg_url:
        try:
            with sa.create_engine(pg_url).connect() as conn:
                info["PostgreSQL"] = conn.execute(sa.text("show server_version")).scalar_one()
        except sa.exc.DBAPIError as exc:
            info["PostgreSQL"] = f"unreachable ({str(exc.orig).splitlines()[0]})"
    try:
        out = subprocess.run(
            ["/usr/bin/chromium", "--version"], capture_output=True, text=True, timeout=30
        )
        info["chromium"] = out.stdout.strip() or "-"
    except (OSError, subprocess.TimeoutExpired):
        info["chromium"] = "-"
    return info


def _subprocess_json(module: str, *args: str, timeout: float = 3600) -> dict:
    """Run ``python -m module args`` and parse its ``BENCH {json}`` line."""
    cmd = [sys.executable, "-m", module, *args]
    try:
        done = subprocess.run(
            cmd, capture_output=True, text=True, timeout=timeout, cwd=ROOT, env=os.environ.copy()
        )
    except subprocess.TimeoutExpired:
        return {"error": f"timed out after {timeout:.0f} s"}
    for line in done.stdout.splitlines():
        if line.startswith("BENCH "):
            return json.loads(line[6:])
    tail = (done.stderr or "").strip().splitlines()[-3:]
    return {"error": " | ".join(tail) or f"exit {done.returncode}"}


def _counts(engine: sa.Engine) -> dict[str, int]:
    from bench.pages import table_rows

    return table_rows(engine)


def run(cfg: Config) -> Results:
    """Build or reuse the banks, measure everything, write the results."""
    t_start = time.perf_counter()
    res = Results()
    backends: dict[str, str] = {"duckdb": cfg.duckdb_url}
    if cfg.pg_customers:
        backends["postgresql"] = pg_dashboard_url(cfg.pg_url)
    res.machine = describe_machine(cfg.pg_url if cfg.pg_customers else None)
    earlier = json.loads(cfg.reuse_naive.read_text()) if cfg.reuse_naive else {}
    if cfg.out is not None:
        cfg.out.parent.mkdir(parents=True, exist_ok=True)

    def save(step: str) -> None:
        """Write what is measured so far: a crash later loses nothing already measured."""
        if cfg.out is None:
            return
        res.wall_s = time.perf_counter() - t_start
        partial = f"> **Partial results** — the run is still going or stopped after: {step}.\n\n"
        cfg.out.write_text(partial + render(res, cfg))
        cfg.out.with_suffix(".json").write_text(
            json.dumps(asdict(res) | {"partial_after": step}, indent=1, default=str)
        )

    stamp = DUCKDB_PATH.with_suffix(".build.json")
    if not cfg.skip_build:
        eng = duckdb_engine(Path(sa.make_url(cfg.duckdb_url).database))
        took = ensure_bank(eng, cfg.customers, label="duckdb")
        eng.dispose()
        if took is not None:
            res.build["duckdb_s"] = took
        if cfg.pg_customers:
            eng = pg_engine(cfg.pg_url)
            took = ensure_bank(eng, cfg.pg_customers, label="postgresql")
            eng.dispose()
            if took is not None:
                res.build["postgresql_s"] = took
    if stamp.exists() and not cfg.in_process:  # build times of an earlier run (bench.build)
        old = json.loads(stamp.read_text())
        res.build.setdefault("duckdb_s", old.get("duckdb_build_s", math.nan))
        res.build.setdefault("postgresql_s", old.get("pg_build_s", math.nan))
        if old.get("note"):
            res.machine["build note"] = old["note"]

    for backend, url in backends.items():
        engine = sa.create_engine(url)
        size = bank_size(engine)
        if size is None:
            raise SystemExit(f"{backend}: no complete bank at {url}; run without --skip-build")
        res.banks[backend] = {"customers": size} | _counts(engine)
        engine.dispose()
        res.fast[backend], res.naive[backend] = {}, {}
        for page in cfg.pages:
            log(f"{backend} {page}: fast path")
            res.fast[backend][page] = _fast(page, url, cfg)
            save(f"{backend} {page} fast path")
            reused = earlier.get("naive", {}).get(backend, {}).get(page)
            if reused:
                res.naive[backend][page] = reused | {"reused": True}
            elif cfg.naive:
                log(f"{backend} {page}: the usual way")
                res.naive[backend][page] = _naive(page, url, cfg)
                save(f"{backend} {page} the usual way")
        log(f"{backend}: throughput")
        res.throughput[backend] = _throughput(url, cfg)
        save(f"{backend} throughput")

    if cfg.browser and not cfg.in_process:
        from bench.browser import measure_browser

        log("browser: first chart per page")
        try:
            fig = measure_browser(
                cfg.duckdb_url, cfg.pages, log_file=ROOT / "data" / "bench" / "server.log"
            )
            res.browser = asdict(fig)
        except Exception as exc:  # the figures measured so far are kept and printed
            res.browser = {"error": f"{type(exc).__name__}: {str(exc).splitlines()[0]}"}
        save("browser")

    if cfg.load_sessions and not cfg.in_process:
        from bench.load import measure_load

        log(f"load: {cfg.load_sessions} concurrent sessions")
        try:
            res.load = asdict(
                measure_load(
                    cfg.duckdb_url,
                    cfg.load_sessions,
                    log_file=ROOT / "data" / "bench" / "load-server.log",
                )
            )
        except Exception as exc:  # the figures measured so far are kept and printed
            res.load = {"error": f"{type(exc).__name__}: {str(exc).splitlines()[0]}"}
        save("load")
    res.machine["load average (1/5/15 min) at end"] = " / ".join(
        f"{x:.1f}" for x in os.getloadavg()
    )
    res.wall_s = time.perf_counter() - t_start
    text = render(res, cfg)
    if cfg.out is not None:
        from bench.spark import spark_section

        kept = spark_section(cfg.out.read_text()) if cfg.out.exists() else ""
        cfg.out.write_text(text.rstrip("\n") + ("\n\n" + kept if kept else "\n"))
        cfg.out.with_suffix(".json").write_text(json.dumps(asdict(res), indent=1, default=str))
    print(text)
    return res


def _fast(page: str, url: str, cfg: Config) -> dict:
    if cfg.in_process:
        from bench.pages import measure_page

        return asdict(measure_page(page, url, cfg.repeat))
    return _subprocess_json("bench.pages", page, url, str(cfg.repeat))


def _naive(page: str, url: str, cfg: Config) -> dict:
    if cfg.in_process:
        from bench.naive import measure_naive
        from data_access.engine import make_engine

        engine = make_engine(url)
        try:
            return asdict(measure_naive(page, engine, cfg.naive_cap))
        finally:
            engine.dispose()
    return _subprocess_json("bench.naive", page, url, str(cfg.naive_cap or 0))


def _throughput(url: str, cfg: Config) -> dict:
    if cfg.in_process:
        from bench.throughput import measure_throughput
        from data_access.engine import make_engine

        engine = make_engine(url)
        try:
            return asdict(measure_throughput(engine, cfg.repeat))
        finally:
            engine.dispose()
    return _subprocess_json("bench.throughput", url)


# --- the report --------------------------------------------------------------------------------


def render(res: Results, cfg: Config) -> str:
    """The markdown report."""
    lines = ["# Benchmark results", ""]
    lines.append(
        f"`python -m bench` — {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}, "
        f"run took {res.wall_s / 60:.1f} min. Targets: page cold ≤ {TARGET_COLD_S:.0f} s "
        f"(median), warm ≤ {TARGET_WARM_S * 1000:.0f} ms, ≥ {TARGET_RATIO:.0f}× the usual way, "
        f"process peak ≤ 2 GB, aggregation ≥ 100 M rows/s, first chart ≤ 4 s."
    )
    lines += ["", "## Machine", "", "| | |", "|---|---|"]
    lines += [f"| {k} | {v} |" for k, v in res.machine.items()]
    lines += [
        "",
        "## Banks",
        "",
        "| backend | customers | footprints | build |",
        "|---|---|---|---|",
    ]
    for backend, counts in res.banks.items():
        took = res.build.get(f"{backend}_s", math.nan)
        lines.append(
            f"| {backend} | {counts.get('customers', 0):,} | {counts.get('footprints', 0):,} "
            f"| {'reused' if math.isnan(took) else f'{took / 60:.1f} min'} |"
        )
    for backend in res.fast:
        lines += ["", f"## Pages on {backend}", ""]
        lines.append(
            "| page | data cold | data warm | page cold | page warm | rows scanned | peak RSS "
            "| usual way | usual rows read | usual peak RSS | ratio usual / data cold "
            "| ratio usual / page cold |"
        )
        lines.append("|---|---|---|---|---|---|---|---|---|---|---|---|")
        for page, f in res.fast[backend].items():
            n = res.naive.get(backend, {}).get(page, {})
            if "error" in f:
                lines.append(f"| {page} | error: {f['error'][:300]} ||||||||||| ")
                continue
            cold_ok = f["page_cold_s"] <= TARGET_COLD_S
            warm_ok = f["page_warm_s"] <= TARGET_WARM_S
            usual_s = n.get("total_s", math.nan)
            ratio = usual_s / f["page_cold_s"] if f["page_cold_s"] else math.nan
            data_ratio = usual_s / f["data_cold_s"] if f["data_cold_s"] else math.nan
            usual = (
                "—"
                if not n or "error" in n
                else secs(n["total_s"]) + (" (extrap.)" if n.get("extrapolated") else "")
            )
            usual_rss = (
                "—"
                if not n or "error" in n
                else f"{n['peak_rss_extrapolated_mb']:,.0f} MB"
                + (" (extrap.)" if n.get("extrapolated") else "")
            )
            lines.append(
                f"| {page} | {secs(f['data_cold_s'])} | {secs(f['data_warm_s'])} "
                f"| {secs(f['page_cold_s'])}{verdict(cold_ok)} | {secs(f['page_warm_s'])}{verdict(warm_ok)} "
                f"| {f['rows_scanned']:,} | {f['peak_rss_mb']:,.0f} MB"
                f"{verdict(f['peak_rss_mb'] <= TARGET_RSS_MB)} | {usual} "
                f"| {n.get('rows_read', 0):,} of {n.get('rows_in_tables', 0):,} | {usual_rss} "
                f"| {'—' if math.isnan(data_ratio) else f'{data_ratio:,.0f}×'}"
                f"{'' if math.isnan(data_ratio) else verdict(data_ratio >= TARGET_RATIO)} "
                f"| {'—' if math.isnan(ratio) else f'{ratio:,.1f}×'}"
                f"{'' if math.isnan(ratio) else verdict(ratio >= TARGET_RATIO)} |"
            )
            if n.get("error"):
                lines.append(f"|  | usual way failed: {n['error'][:200]} |||||||||||")
        overhead = [f.get("apptest_overhead_s", 0.0) for f in res.fast[backend].values()]
        if overhead:
            lines += [
                "",
                f"AppTest itself needs {secs(sorted(overhead)[len(overhead) // 2])} to run a "
                "one-line script (included in the page figures).",
            ]
        slow = {
            page: sorted(f.get("loaders", {}).items(), key=lambda kv: -kv[1])[:3]
            for page, f in res.fast[backend].items()
            if "loaders" in f
        }
        lines += ["", "Slowest loaders (cold, median):", ""]
        for page, top in slow.items():
            lines.append(f"- {page}: " + ", ".join(f"`{k}` {secs(v)}" for k, v in top))
    lines += ["", "## Scan throughput", "", *throughput_table(res.throughput)]
    if res.browser:
        b = res.browser
        lines += ["", "## First chart in chromium (DuckDB bank, fresh server)", ""]
        lines.append(
            "Seconds from navigation to the first visible chart (for `customer`, whose opening "
            "tab holds metrics and no chart: the first visible metric). *First visit*: a fresh "
            "server and a browser profile with an empty cache, per page. *Cold*: a returning "
            "browser (its cache holds the app's scripts) on a freshly restarted server, nothing "
            "of the bank cached there — the Monday-morning case. *Warm*: the same again."
        )
        lines.append("")
        lines.append("| page | first visit | cold | warm |")
        lines.append("|---|---|---|---|")
        for page in cfg.pages:
            first = b.get("first_visit_s", {}).get(page, math.nan)
            cold = b.get("cold_s", {}).get(page, math.nan)
            warm = b.get("warm_s", {}).get(page, math.nan)
            oks = [None if math.isnan(x) else x <= TARGET_BROWSER_S for x in (first, cold)]
            lines.append(
                f"| {page} | {secs(first)}{verdict(oks[0])} | {secs(cold)}{verdict(oks[1])} | {secs(warm)} |"
            )
        lines.append("")
        if "server_peak_rss_mb" in b:
            rss = b["server_peak_rss_mb"]
            lines.append(
                f"Server start {secs(b['server_start_s'])}; server process peak memory "
                f"{rss:,.0f} MB{verdict(rss <= TARGET_RSS_MB)}."
            )
        if b.get("error"):
            lines.append(f"Browser errors: {b['error']}")
    if res.load:
        ld = res.load
        lines += ["", "## Concurrent sessions (DuckDB bank, one server)", ""]
        if "sessions" in ld:
            lines.append(
                f"{ld['sessions']} Streamlit sessions at once (websocket clients speaking the "
                "browser's protocol), each on its own page, language, week, branch and tier: "
                f"{ld['errors']} errors, {ld['crossed']} shown another session's filters; time "
                f"to first chart p50 {secs(ld['p50_s'])}, p95 {secs(ld['p95_s'])}, max "
                f"{secs(ld['max_s'])}; all done in {secs(ld['wall_s'])}; server peak memory "
                f"{ld['server_peak_rss_mb']:,.0f} MB."
            )
        if ld.get("error"):
            lines.append(f"Load step error: {ld['error']}")
    lines += ["", "## How to read this", ""]
    lines += [
        "- *data cold*: the page's loaders (`fn.__wrapped__`, nothing cached) on the arguments of "
        "its default view; *data warm*: the same calls through `st.cache_data`.",
        "- *page cold / warm*: the whole page script (router, sidebar, loaders, metrics, charts) "
        "under Streamlit's AppTest, after `st.cache_data.clear()` / on the next run. Median of "
        f"{cfg.repeat}. This is the figure the targets apply to.",
        "- *rows scanned*: rows of the tables each executed statement reads (a table read by two "
        "statements counts twice); the database may skip much of it (zone maps, indexes).",
        "- *usual way*: `pd.read_sql` of every table the page needs, then pandas "
        "(`bench/naive.py`); nothing cached, so it is its own cold and, in a typical app, its "
        "first load. Tables larger than "
        f"{cfg.naive_cap:,} rows are read up to that many rows and time and memory are scaled "
        "linearly (*extrap.*): reading all of them does not fit this machine's memory.",
        "- *peak RSS*: each measurement runs in its own process; the figure is that process's peak.",
        "- ‡: the usual way's figure comes from an earlier run on the same bank (`--reuse-naive`);"
        " it does not depend on the fast path.",
    ]
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> None:
    """Command line."""
    p = argparse.ArgumentParser(prog="python -m bench", description=__doc__.splitlines()[0])
    p.add_argument("--customers", type=int, default=1_000_000)
    p.add_argument("--pg-customers", type=int, default=50_000, help="0: no PostgreSQL bank")
    p.add_argument("--skip-build", action="store_true", help="use the banks as they are")
    p.add_argument("--repeat", type=int, default=3)
    p.add_argument("--naive-cap", type=int, default=500_000)
    p.add_argument("--pages", default=",".join(PAGES))
    p.add_argument("--no-browser", action="store_true")
    p.add_argument("--no-naive", action="store_true")
    p.add_argument("--duckdb-url", default=f"duckdb:///{DUCKDB_PATH}")
    p.add_argument("--out", default=str(RESULTS), help="markdown file ('-': none)")
    p.add_argument("--reuse-naive", default="", help="results.json whose usual-way figures to keep")
    p.add_argument("--load-sessions", type=int, default=50, help="0: no load step")
    a = p.parse_args(argv)
    run(
        Config(
            customers=a.customers,
            pg_customers=a.pg_customers,
            skip_build=a.skip_build,
            repeat=a.repeat,
            naive_cap=a.naive_cap,
            pages=tuple(x for x in a.pages.split(",") if x),
            browser=not a.no_browser,
            naive=not a.no_naive,
            duckdb_url=a.duckdb_url,
            out=None if a.out == "-" else Path(a.out),
            reuse_naive=Path(a.reuse_naive) if a.reuse_naive else None,
            load_sessions=a.load_sessions,
        )
    )


if __name__ == "__main__":
    main()
