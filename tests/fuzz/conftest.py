"""Print how many distinct hostile inputs the fuzz suite tried, per area and in all."""

from __future__ import annotations

import pytest

from tests.dashboard.conftest import _routed_runs, demo_app_url, demo_engine  # noqa: F401
from tests.fuzz.hostile import TRIED


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    """One line at the end of the run: distinct hostile inputs tried, by area."""
    if not TRIED:
        return
    total = sum(len(v) for v in TRIED.values())
    parts = "; ".join(f"{area}: {len(values)}" for area, values in sorted(TRIED.items()))
    terminalreporter.write_line(f"fuzz suite: {total} distinct hostile inputs tried ({parts})")
