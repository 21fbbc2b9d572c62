"""The fast path, page by page: each page's default view through its own loaders and script.

``measure_page(page, url)`` runs the real router on one page with Streamlit's AppTest while every
cached loader records the arguments it is called with; then it times

- data (loaders only): cold = the loaders' ``__wrapped__`` functions on those arguments (nothing
  cached), warm = the cached functions after one call;
- page (the whole script: data, metrics, charts): cold = a run after ``st.cache_data.clear()``,
  warm = the next run;

and counts the rows of the tables each executed statement reads. Run as ``python -m bench.pages
PAGE URL [repeat]`` it prints one JSON line, so each page is measured in a fresh process whose peak
memory is the page's own.
"""

from __future__ import annotations

import importlib
import json
import os
import re
import statistics
import sys
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from bench.common import current_rss_mb, peak_rss_mb

PAGES = ("kpis", "segments", "loyalty", "funnels", "officers", "customer", "customer_book")
# customer: one customer's footprint (?customer=42); customer_book: the same page without one.
PAGE_FILE = {"customer_book": "customer"}
APP = str(Path(__file__).resolve().parent.parent / "dashboard" / "app.py")
LOADER_MODULES = ("common", "kpis", "segments", "loyalty", "funnels", "officers", "customer")
# Query parameters of each page's default view (the customer page needs one customer).
DEFAULT_QUERY: dict[str, dict[str, str]] = {"customer": {"customer": "42"}}


@dataclass
class Call:
    """One loader call of the page's default view."""

    name: str
    fn: Any
    args: tuple
    kwargs: dict


@dataclass
class PageFigures:
    """What one page costs, fast path."""

    page: str
    data_cold_s: float = 0.0
    data_warm_s: float = 0.0
    page_cold_s: float = 0.0
    page_warm_s: float = 0.0
    rows_scanned: int = 0
    statements: int = 0
    tables: list[str] = field(default_factory=list)
    loaders: dict[str, float] = field(default_factory=dict)
    peak_rss_mb: float = 0.0
    apptest_overhead_s: float = 0.0
    exception: str = ""


def cached_loaders() -> dict[int, tuple[str, Any]]:
    """Every ``st.cache_data`` function of the dashboard's loader modules, by object id."""
    found: dict[int, tuple[str, Any]] = {}
    for short in LOADER_MODULES:
        mod = importlib.import_module(f"dashboard.loaders.{short}")
        for name, obj in vars(mod).items():
            if hasattr(obj, "__wrapped__") and hasattr(obj, "clear") and name.startswith("load_"):
                home = obj.__wrapped__.__module__.rsplit(".", 1)[-1]
                found[id(obj)] = (f"{home}.{name}", obj)
    return found


def _recording(name: str, fn: Any, calls: list[Call]) -> Callable:
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        calls.append(Call(name, fn, args, kwargs))
        return fn(*args, **kwargs)

    wrapper.__wrapped__ = fn.__wrapped__  # type: ignore[attr-defined]
    return wrapper


def record_calls(run: Callable[[], Any]) -> tuple[list[Call], Any]:
    """Run ``run`` with every loader (wherever imported) replaced by a recorder; calls in order."""
    loaders = cached_loaders()
    calls: list[Call] = []
    patched: list[tuple[Any, str, Any]] = []
    for mod in [m for n, m in list(sys.modules.items()) if n.startswith("dashboard")]:
        for attr, obj in list(vars(mod).items()):
            if id(obj) in loaders:
                name, fn = loaders[id(obj)]
                patched.append((mod, attr, obj))
                setattr(mod, attr, _recording(name, fn, calls))
    try:
        out = run()
    finally:
        for mod, attr, obj in patched:
            setattr(mod, attr, obj)
    return calls, out


def unique_calls(calls: list[Call]) -> list[Call]:
    """Calls with distinct (loader, arguments), first occurrence kept."""
    seen: set = set()
    out = []
    for c in calls:
        key = (c.name, repr(c.args), repr(sorted(c.kwargs.items())))
        if key not in seen:
            seen.add(key)
            out.append(c)
    return out


class StatementLog:
    """Collects the SQL text each cursor executes on an engine."""

    def __init__(self, engine: sa.Engine) -> None:
        self.engine = engine
        self.statements: list[str] = []

    def _hook(self, conn, cursor, statement, parameters, context, executemany) -> None:
        self.statements.append(statement)

    def __enter__(self) -> StatementLog:
        sa.event.listen(self.engine, "before_cursor_execute", self._hook)
        return self

    def __exit__(self, *exc: object) -> None:
        sa.event.remove(self.engine, "before_cursor_execute", self._hook)


def tables_read(statement: str, names: list[str]) -> list[str]:
    """Tables a statement reads (FROM / JOIN), once each."""
    text = statement.lower()
    return [
        n
        for n in names
        if re.search(rf'\b(from|join)\s+(\w+\.)?"?{n}"?(\s|$|\)|,)', text, flags=re.MULTILINE)
    ]


def table_rows(engine: sa.Engine) -> dict[str, int]:
    """Row count of every table of the schema."""
    from data_access.schema import metadata

    out = {}
    present = set(sa.inspect(engine).get_table_names())
    with engine.connect() as conn:
        for name, table in metadata.tables.items():
            if name in present:
                stmt = sa.select(sa.func.count()).select_from(table)
                out[name] = conn.execute(stmt).scalar_one()
    return out


def _median(xs: list[float]) -> float:
    return statistics.median(xs) if xs else 0.0


BENCH_USER = "bench_admin"  # the benchmark's own account on the bank it measures


def _bench_session(url: str, username: str = BENCH_USER, role: str = "admin") -> str:
    """A session token of the benchmark's administrator (or ``username`` with ``role``; created on
    first use): pages are measured as a signed-in user sees them, through the same sign-in check."""
    import secrets

    from data_access import auth
    from data_access.engine import make_engine
    from data_access.schema import users

    engine = make_engine(url)
    try:
        auth.ensure_roles(engine)
        password = secrets.token_urlsafe(16)
        with engine.begin() as conn:
            known = conn.execute(sa.select(users.c.user_id).where(users.c.username == username))
            if known.first() is None:
                auth.create_user(conn, username, password, role)
            else:
                auth.reset_password(conn, username, password)
        return auth.open_session(engine, auth.authenticate(engine, username, password))
    finally:
        engine.dispose()


def open_app(page: str, url: str) -> Any:
    """The router after one run (on the default page), signed in, with ``page``'s query
    parameters set."""
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file(APP, default_timeout=600)
    at.session_state["_session_token"] = _bench_session(url)
    for key, value in DEFAULT_QUERY.get(page, {}).items():
        at.query_params[key] = value
    at.run()
    return at


def _exception_text(at: Any) -> str:
    return "; ".join(str(e.message)[:200] for e in at.exception) if at.exception else ""


def measure_page(page: str, url: str, repeat: int = 3) -> PageFigures:
    """Cold and warm figures of one page's default view on the bank at ``url``."""
    import streamlit as st

    os.environ["FOOTPRINT_DATABASE_URL"] = url
    from dashboard.db import get_engine

    st.cache_data.clear()
    st.cache_resource.clear()
    fig = PageFigures(page)
    at = open_app(page, url)
    path = f"pages/{PAGE_FILE.get(page, page)}.py"

    at.switch_page(path).run()  # imports the page's modules once, outside the figures
    # Whole page script: cold (data caches cleared) and warm (the run after); the first cold
    # run records the loader calls of the page's default view.
    cold, hot = [], []
    calls: list[Call] = []
    for i in range(repeat):
        st.cache_data.clear()
        t0 = time.perf_counter()
        if i == 0:
            calls, _ = record_calls(lambda: at.switch_page(path).run())
        else:
            at.switch_page(path).run()
        cold.append(time.perf_counter() - t0)
        t0 = time.perf_counter()
        at.run()
        hot.append(time.perf_counter() - t0)
    fig.page_cold_s = _median(cold)
    fig.page_warm_s = _median(hot)
    fig.exception = _exception_text(at)
    calls = unique_calls(calls)
    engine = get_engine()

    # Data, cold: the undecorated loaders.
    per_loader: dict[str, list[float]] = {c.name: [] for c in calls}
    totals = []
    statements: list[str] = []
    for i in range(repeat):
        total = 0.0
        with StatementLog(engine) as log:
            for c in calls:
                t0 = time.perf_counter()
                c.fn.__wrapped__(*c.args, **c.kwargs)
                took = time.perf_counter() - t0
                per_loader[c.name].append(took)
                total += took
        totals.append(total)
        if i == 0:
            statements = log.statements
    fig.data_cold_s = _median(totals)
    fig.loaders = {k: round(_median(v), 4) for k, v in per_loader.items()}

    # Data, warm: through the cache (filled by one call first).
    for c in calls:
        c.fn(*c.args, **c.kwargs)
    warm = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        for c in calls:
            c.fn(*c.args, **c.kwargs)
        warm.append(time.perf_counter() - t0)
    fig.data_warm_s = _median(warm)

    counts = table_rows(engine)
    names = sorted(counts, key=len, reverse=True)
    touched: set[str] = set()
    for s in statements:
        for n in tables_read(s, names):
            fig.rows_scanned += counts[n]
            touched.add(n)
    fig.statements = len(statements)
    fig.tables = sorted(touched)
    fig.peak_rss_mb = peak_rss_mb()
    fig.apptest_overhead_s = app_overhead_s(repeat)
    return fig


def app_overhead_s(repeat: int = 3) -> float:
    """Seconds AppTest itself needs to run a one-line script (shown beside the page figures)."""
    from streamlit.testing.v1 import AppTest

    runs = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        AppTest.from_string("import streamlit as st\nst.write(1)").run()
        runs.append(time.perf_counter() - t0)
    return _median(runs)


def main(argv: list[str]) -> None:
    """``python -m bench.pages PAGE URL [repeat]``: one JSON line with the page's figures."""
    page, url = argv[0], argv[1]
    repeat = int(argv[2]) if len(argv) > 2 else 3
    fig = measure_page(page, url, repeat)
    out = asdict(fig) | {"rss_now_mb": current_rss_mb()}
    print("BENCH " + json.dumps(out), flush=True)


if __name__ == "__main__":
    main(sys.argv[1:])
