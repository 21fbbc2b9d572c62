"""Hostile values used by the fuzz suite, and a counter of the distinct inputs tried."""

from __future__ import annotations

from collections import defaultdict

TRIED: dict[str, set[str]] = defaultdict(set)


def tried(area: str, value: object) -> None:
    """Count one distinct hostile input of ``area`` (printed at the end of the session)."""
    TRIED[area].add(repr(value)[:300])


# values that broke pages in the probe, and their relatives
HOSTILE_TEXT = [
    "²",
    "³,1",
    "١٢",  # Arabic-Indic digits: isdigit() but not an id
    "9" * 25,
    "9" * 5000,
    "1" * 19,
    "-1",
    "0",
    "1e3",
    "1.5",
    " ",
    ",,,",
    "1,,2",
    "\x00",
    "1\x00",
    "%00",
    "NaN",
    "inf",
    "null",
    "None",
    "[]",
    "{}",
    "' OR 1=1 --",
    "1; DROP TABLE customers",
    "<script>alert(1)</script>",
    "../../etc/passwd",
    "🦶",
    "足迹",
    "\u202e1",
    "1\n2",
    "a" * 3000,
    "2026-02-30",
    "9999-12-31",
    "0001-01-01",
    "2026-11-16T00:00",
    "２０２６-１１-１６",
    "mass,gold",
    "VIP",
    "zh-CN",
    "EN",
    "tab;",
    "Training",
]
