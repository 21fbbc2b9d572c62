"""Print how many faults the fault suite survived."""

from __future__ import annotations

import pytest

from tests.faults.survived import SURVIVED


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    """One line at the end of the run: faults survived."""
    if SURVIVED:
        terminalreporter.write_line(f"fault suite: {len(SURVIVED)} faults survived")
