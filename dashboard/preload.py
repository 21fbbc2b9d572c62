"""Import what the pages need once, when the server starts, not in a user's first visit.

Streamlit imports a page's modules the first time any session opens that page. On this machine
that first visit paid about 1.4 s of imports (scipy.stats for the confidence intervals, plotly's
trace classes, pandas for st.dataframe, the database dialect) before its first chart could be
drawn. The launcher
(``python -m dashboard``) calls ``preload()`` before the server listens. No data is read here:
the pages' caches start empty.
"""

from __future__ import annotations

import contextlib
import gc
import importlib
import logging
import pkgutil
import time

# Every module the pages import, by package. The demo generator is left out: only a first start
# on an empty database needs it, and bootstrap imports it then.
PACKAGES = ("metrics", "dashboard.charts", "dashboard.loaders", "data_access.queries")
MODULES = (
    "dashboard.errors",
    "dashboard.export",
    "dashboard.format",
    "dashboard.links",
    "dashboard.search",
    "data_access.masking",
    "dashboard.report",
    "dashboard.state",
    "dashboard.tabs",
)


def _modules() -> list[str]:
    names = list(MODULES)
    for package in PACKAGES:
        path = importlib.import_module(package).__path__
        names += [f"{package}.{m.name}" for m in pkgutil.iter_modules(path)]
    return names


def preload(database_url: str | None = None) -> float:
    """Import the pages' modules, plotly's trace classes and the database dialect; seconds spent."""
    t0 = time.perf_counter()
    # Before the server starts, each @st.cache_data decoration warns that no runtime exists; the
    # caches themselves are bound at call time, inside the runtime, so the warning is moot here.
    importlib.import_module("streamlit.runtime.caching")  # it sets its logger's level on import
    cache_log = logging.getLogger("streamlit.runtime.caching.cache_data_api")
    level = cache_log.level
    cache_log.setLevel(logging.ERROR)
    try:
        for name in _modules():
            importlib.import_module(name)
    finally:
        cache_log.setLevel(level)
    import pandas  # noqa: F401  (st.dataframe converts through pandas, imported on first use)
    import plotly.graph_objects as go
    from streamlit.string_util import is_emoji

    is_emoji("👣")  # set_page_config's icon: compiles a large emoji pattern on first use

    # plotly builds each trace type's validators on its first use
    for trace in (go.Bar, go.Heatmap, go.Scatter, go.Funnel, go.Pie, go.Treemap):
        go.Figure(trace())
    if database_url:
        import sqlalchemy as sa

        # SQLAlchemy finds a dialect (duckdb-engine, psycopg) through an entry point on first use
        # (a bad URL is left to the pages to explain, in the user's language)
        with contextlib.suppress(sa.exc.ArgumentError, sa.exc.NoSuchModuleError):
            sa.engine.make_url(database_url).get_dialect()
    # Streamlit runs a full collection after every script run (runner.postScriptGC); freezing
    # the preloaded modules' objects keeps them out of it (measured 0.26 s a run without).
    gc.collect()
    gc.freeze()
    return time.perf_counter() - t0
