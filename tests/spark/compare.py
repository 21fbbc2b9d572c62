"""Compare what two engines returned: frames row-order free, floats within a tolerance."""

from __future__ import annotations

import dataclasses
import math
from typing import Any

import pandas as pd
import polars as pl
from polars.testing import assert_frame_equal

REL_TOL = 1e-6
ABS_TOL = 1e-6


def _sorted(df: pl.DataFrame) -> pl.DataFrame:
    """Rows in a canonical order: exact columns first, then floats rounded (last digits differ)."""
    if df.height < 2 or not df.columns:
        return df
    exact = [c for c, t in df.schema.items() if not t.is_float() and t.is_nested() is False]
    floats = [c for c, t in df.schema.items() if t.is_float()]
    keys = [pl.col(c) for c in exact] + [pl.col(c).round(4) for c in floats]
    return df.sort(keys, nulls_last=True) if keys else df


def _first_difference(a: pl.DataFrame, b: pl.DataFrame) -> str:
    """The first differing row of two frames of one shape, and how many rows differ."""
    differs = []
    for i in range(a.height):
        ra, rb = a.row(i), b.row(i)
        same = all(
            x == y
            or (
                isinstance(x, float)
                and isinstance(y, float)
                and math.isclose(x, y, rel_tol=REL_TOL, abs_tol=ABS_TOL)
            )
            or (x is None and y is None)
            for x, y in zip(ra, rb, strict=True)
        )
        if not same:
            differs.append(i)
    if not differs:
        return "no row differs"
    i = differs[0]
    return f"{len(differs)} rows differ; first: {dict(zip(a.columns, a.row(i), strict=True))} vs {b.row(i)}"


def assert_same(left: Any, right: Any, where: str = "") -> None:
    """``left`` (DuckDB) and ``right`` (Spark) hold the same figures."""
    if isinstance(left, pl.DataFrame):
        assert isinstance(right, pl.DataFrame), f"{where}: {type(right)}"
        assert left.columns == right.columns, where
        assert left.height == right.height, f"{where}: {left.height} rows vs {right.height}"
        a, b = _sorted(left), _sorted(right)
        try:
            assert_frame_equal(
                a, b, check_exact=False, rel_tol=REL_TOL, abs_tol=ABS_TOL, check_dtypes=True
            )
        except AssertionError as exc:
            raise AssertionError(f"{where}: {_first_difference(a, b)}\n{exc}") from None
    elif isinstance(left, pd.DataFrame):
        assert_same(pl.from_pandas(left), pl.from_pandas(right), where)
    elif isinstance(left, pl.Series):
        assert_same(left.to_frame(), right.to_frame(), where)
    elif dataclasses.is_dataclass(left) and not isinstance(left, type):
        assert type(left) is type(right), where
        for f in dataclasses.fields(left):
            assert_same(getattr(left, f.name), getattr(right, f.name), f"{where}.{f.name}")
    elif isinstance(left, dict):
        assert isinstance(right, dict) and left.keys() == right.keys(), where
        for k in left:
            assert_same(left[k], right[k], f"{where}[{k!r}]")
    elif isinstance(left, list | tuple):
        assert len(left) == len(right), where
        for i, (a, b) in enumerate(zip(left, right, strict=True)):
            assert_same(a, b, f"{where}[{i}]")
    elif isinstance(left, float) and isinstance(right, float | int):
        both_nan = math.isnan(left) and math.isnan(right)
        assert both_nan or math.isclose(left, right, rel_tol=REL_TOL, abs_tol=ABS_TOL), (
            f"{where}: {left} vs {right}"
        )
    else:
        assert left == right, f"{where}: {left!r} vs {right!r}"
