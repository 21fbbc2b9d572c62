"""Tables as every page shows them: no index, a dash where a value is missing, the full width."""

from __future__ import annotations

from typing import Any

import polars as pl
import streamlit as st

from dashboard.charts.customer import coded_table
from dashboard.links import link_customers


def money_column(*, fen: bool = True) -> Any:
    """A money column's format: thousands separators and the same decimals on every row, two for
    amounts to the fen, none for whole yuan (limits, declared incomes). Streamlit's "localized"
    drops trailing zeros: 176.2 under 416.46."""
    return st.column_config.NumberColumn(format="%,.2f" if fen else "%,.0f")


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


def show_customer_list(
    frame: pl.DataFrame,
    id_header: str,
    lang: str,
    where: Any = st,
    column_config: dict[str, Any] | None = None,
) -> None:
    """``frame`` with its customer numbers (column ``id_header``) as links to the customer page."""
    linked, links = link_customers(frame, id_header, lang)
    show_table(linked, where, column_config=links | (column_config or {}))
