"""Tables as every page shows them: no index, a dash where a value is missing, the full width."""

from __future__ import annotations

from typing import Any

import polars as pl
import streamlit as st

from dashboard.charts.customer import coded_table


def show_table(frame: pl.DataFrame, where: Any = st, **options: Any) -> Any:
    """``where.dataframe`` of ``frame`` in the house form; ``options`` go to Streamlit as they are."""
    return where.dataframe(frame, hide_index=True, placeholder="—", width="stretch", **options)


def show_coded_table(
    frame: pl.DataFrame,
    codes: dict[str, dict[str, str]],
    headers: dict[str, str],
    where: Any = st,
    **options: Any,
) -> Any:
    """``frame`` with its code columns shown as labels and its columns as ``headers`` say."""
    return show_table(coded_table(frame, codes, headers), where, **options)
