"""Refresh the marts (derived tables) after a load: customer-level metrics computed once, read by pages.

Each area registers a ``Refresher``: a function (engine, standards, as_of, progress) -> rows written.
Order matters where one mart reads another (value before loyalty).
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

REFRESHERS: list[tuple[str, Refresher]] = []


def register(name: str) -> Callable[[Refresher], Refresher]:
    """Decorator: add a refresher under ``name`` (run in import order)."""

    def wrap(fn: Refresher) -> Refresher:
        REFRESHERS.append((name, fn))
        return fn

    return wrap


def _quiet(_: str, __: float) -> None:
    return None


def configured_standards() -> Standards:
    """The bank's standard (FOOTPRINT_STANDARDS, else the bundled edition): one for CLI and pages."""
    return load_standards(get_setting("standards_file") or None)


def refresh_all(
    engine: sa.Engine, standards: Standards, as_of: date, progress: Progress = _quiet
) -> dict[str, int]:
    """Run every registered refresher, stamping each mart as it commits; rows written per mart."""
    import data_access.marts  # noqa: F401  (registers the refreshers)

    load_state.begin_refresh(engine, standards.fingerprint)
    written: dict[str, int] = {}
    for i, (name, fn) in enumerate(REFRESHERS):
        progress(f"refresh {name}", i / max(len(REFRESHERS), 1))
        written[name] = fn(engine, standards, as_of, progress)
        load_state.mart_done(engine, name, as_of)
    load_state.complete_refresh(engine, standards.fingerprint)
    progress("refresh done", 1.0)
    return written
