"""Links from every row that names a customer to that customer's page.

A list's customer-number column becomes a link (``st.column_config.LinkColumn``) to
``/customer?customer=<id>&lang=<lang>``, still showing the number. The browser opens it in a new
tab (Streamlit's link cells always do): the list keeps its place and its address, the new tab
has an honest address of its own, and the session cookie signs it in. A role that may not open
the customer page keeps the plain number (a link would only lead to a refusal).
"""

from __future__ import annotations

import polars as pl
import streamlit as st

from dashboard.nav import PAGE_TABLE

CUSTOMER_PATH = next(url for _, file, url, _, _ in PAGE_TABLE if file == "customer.py")
NUMBER_IN_URL = r"customer=(\d+)"  # what the link shows: the customer number it carries


def may_open_customers() -> bool:
    """Whether the signed-in user's role may open the customer page."""
    user = st.session_state.get("_user")
    return user is not None and user.may_open(CUSTOMER_PATH)


def customer_url(customer_id: int, lang: str) -> str:
    """The customer page's address for one customer."""
    return f"/{CUSTOMER_PATH}?customer={int(customer_id)}&lang={lang}"


def link_customers(
    frame: pl.DataFrame, header: str, lang: str
) -> tuple[pl.DataFrame, dict[str, object]]:
    """``frame`` with its customer-number column ``header`` as links, and the column config
    that shows them; unchanged (and no config) for a role without the customer page."""
    if header not in frame.columns or not may_open_customers():
        return frame, {}
    url = pl.format(f"/{CUSTOMER_PATH}?customer={{}}&lang={lang}", pl.col(header).cast(pl.Int64))
    return (
        frame.with_columns(url.alias(header)),
        {header: st.column_config.LinkColumn(header, display_text=NUMBER_IN_URL)},
    )
