"""Refresh the marts (derived tables) after a load: customer-level metrics computed once, read by pages.

A ``Refresher`` is a function (engine, standards, as_of, progress) -> rows written; the ordered
list of them is ``data_access.marts.MARTS`` (a mart runs after the marts it reads).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

import sqlalchemy as sa

from data_access import load_state
from data_access.settings import get_setting
from metrics.standards import Standards, load_standards

Progress = Callable[[str, float], None]
Refresher = Callable[[sa.Engine, Standards, date, Progress], int]


def _quiet(_: str, __: float) -> None:
    return None


def configured_standards() -> Standards:
    """The bank's standard (FOOTPRINT_STANDARDS, else the bundled edition): one for CLI and pages."""
    return load_standards(get_setting("standards_file") or None)


def refresh_all(
    engine: sa.Engine, standards: Standards, as_of: date, progress: Progress = _quiet
) -> dict[str, int]:
    """Run every refresher in dependency order, stamping each mart as it commits; rows per mart."""
    from data_access.marts import MARTS  # the marts import this module for its types

    load_state.begin_refresh(engine, standards.fingerprint)
    written: dict[str, int] = {}
    for i, mart in enumerate(MARTS):
        progress(f"refresh {mart.name}", i / len(MARTS))
        written[mart.name] = mart.refresh(engine, standards, as_of, progress)
        load_state.mart_done(engine, mart.name, as_of)
    load_state.complete_refresh(engine, standards.fingerprint)
    progress("refresh done", 1.0)
    return written


def refresh_after_import(
    engine: sa.Engine,
    standards: Standards,
    as_of: date,
    table: str,
    since: date | None,
    previous: date | None,
    progress: Progress = _quiet,
) -> dict[str, str]:
    """Refresh what an import into ``table`` made stale; how each mart was refreshed, by name.

    ``since`` is the oldest date among the rows the import inserted or changed (old and new
    values), ``previous`` the data date before it. Only when the marts are complete, under this
    standard and for ``previous`` is anything skipped: a mart reading neither ``table`` nor a
    refreshed mart stays as it is when the data date did not move; a mart that can (the KPI
    facts) recomputes only the periods from ``since`` (or from ``previous`` when only the data
    date moved). Every other stale mart is recomputed whole: the customer value model is fitted
    on all customers and the signals look back from the data date, so neither is per customer.
    """
    from data_access.marts import MARTS

    with engine.connect() as conn:
        meta = load_state.read_meta(conn)
    current = (
        previous is not None
        and meta.get("refresh_state") == load_state.COMPLETE
        and meta.get("marts_standard") == standards.fingerprint
        and all(
            meta.get(f"{load_state.MART_PREFIX}{m.name}") == previous.isoformat() for m in MARTS
        )
    )
    if not current:
        refresh_all(engine, standards, as_of, progress)
        return {m.name: "whole" for m in MARTS}
    assert previous is not None
    moved = as_of != previous
    done: dict[str, str] = {}
    load_state.begin_refresh(engine, standards.fingerprint)
    for i, mart in enumerate(MARTS):
        stale = moved or table in mart.sources or any(r in done for r in mart.reads)
        if not stale:
            continue
        progress(f"refresh {mart.name}", i / len(MARTS))
        # the periods to redo: those of the changed rows, and the one the old data date ended in
        start = min(d for d in (since if table in mart.sources else None, previous) if d)
        by_period = table in mart.by_period or table not in mart.sources
        # Spark's tables have no DELETE (data_access.dialects rewrites the whole table for one)
        if mart.since is not None and by_period and engine.dialect.name != "hive":
            mart.since(engine, standards, as_of, start, progress)
            done[mart.name] = f"from {start.isoformat()}"
        else:
            mart.refresh(engine, standards, as_of, progress)
            done[mart.name] = "whole"
        load_state.mart_done(engine, mart.name, as_of)
    load_state.complete_refresh(engine, standards.fingerprint)
    progress("refresh done", 1.0)
    return done
