"""Count the faults the suite survived (printed at the end of the run)."""

from __future__ import annotations

SURVIVED: list[str] = []


def survived(fault: str, url: str) -> None:
    """Record one fault survived, with its backend."""
    backend = url.split(":", 1)[0].split("+", 1)[0]
    SURVIVED.append(f"{fault} on {backend}")
