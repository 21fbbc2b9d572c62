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
