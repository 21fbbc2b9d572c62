"""Checks shared by the tests of the two TOML files a bank edits (standards and footprint rules)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest


def assert_unreadable_named(
    load: Callable[[Path], object], error: type[Exception], folder: Path, name: str, opening: str
) -> None:
    """``load`` names a missing file, and a file ``name`` whose table header ``opening`` is never
    closed (not TOML), each with ``error``."""
    with pytest.raises(error, match="not found"):
        load(folder / "nope.toml")
    bad = folder / name
    bad.write_text(opening + "\n", encoding="utf-8")
    with pytest.raises(error, match="not valid TOML"):
        load(bad)
