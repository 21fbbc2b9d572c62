"""The customer page's own address — which customer, the search text, its page and page size —
kept in the URL so a link reproduces the view and Back returns one step.

The session keeps the truth (``f_customer``, ``f_search``, ``f_search_page``, ``f_search_size``)
and writes it to the address in one change per run. What the page last wrote is remembered: an
address that differs from it came from Back, Forward or a pasted link, and wins over the session.
An ID number never goes into an address: it is written masked (``4307**********123X``), and
only the session that typed it can read it back.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import streamlit as st

from data_access.identifiers import clean_text
from data_access.masking import mask_id_number
from data_access.queries.customer import SEARCH_PAGE_SIZES, looks_like_id_number

OWN_PARAMS = ("customer", "q", "page", "size")
DEFAULT_SIZE = 20
_WRITTEN = "_customer_url_written"
_MASKED_ID = re.compile(r"\d{1,4}\*+[\dX]{1,4}")


@dataclass(frozen=True)
class SearchState:
    """What the customer page shows: a customer (or none) and a search (text, page, size)."""

    customer: str
    text: str
    page: int
    size: int
    masked_link: bool = False  # the link held a masked ID number, which cannot be searched


def link_text(text: str) -> str:
    """The search text as an address may hold it (an ID number masked)."""
    return (mask_id_number(text.upper()) or "") if looks_like_id_number(text) else text


def _from_url(raw: dict[str, str], typed: str) -> SearchState:
    from dashboard.params import parse_params

    url = parse_params(raw)
    text, masked = url.q or "", False
    if text and _MASKED_ID.fullmatch(text):
        # the session's own ID-number search, or a link from someone else's (unusable: say so)
        masked = link_text(typed) != text
        text = "" if masked else typed
    return SearchState(
        customer=str(url.customer) if url.customer else "",
        text=text,
        page=url.page or 1,
        size=url.size or DEFAULT_SIZE,
        masked_link=masked,
    )


def read_state() -> SearchState:
    """The view to show: the session's, unless the address changed behind the page's back."""
    ss = st.session_state
    raw = {k: v for k, v in st.query_params.to_dict().items() if k in OWN_PARAMS}
    written = ss.get(_WRITTEN)
    # arriving from another page drops the query string (st.navigation): the session's view stays
    arrived = ss.get("_came_from") != "customer"
    moved = written is not None and raw != written and not (arrived and not raw)
    if "f_search" not in ss or "f_customer" not in ss or moved:
        state = _from_url(raw, str(ss.get("f_search", "")))
        ss.f_customer, ss.f_search = state.customer, state.text
        ss.f_search_page, ss.f_search_size = state.page, state.size
        return state
    return SearchState(
        customer=str(ss.f_customer).strip(),
        text=str(ss.f_search),
        page=int(ss.f_search_page),
        size=int(ss.f_search_size),
    )


def write_state(state: SearchState) -> None:
    """Put the view in the address in one change (no change, no new history entry)."""
    own = {
        "customer": state.customer,
        "q": link_text(clean_text(state.text)),
        "page": str(state.page) if state.page > 1 and state.text else "",
        "size": str(state.size) if state.size != DEFAULT_SIZE and state.text else "",
    }
    own = {k: v for k, v in own.items() if v}
    st.session_state[_WRITTEN] = own
    current = st.query_params.to_dict()
    wanted = {k: v for k, v in current.items() if k not in OWN_PARAMS} | own
    if wanted != current:
        st.query_params.from_dict(wanted)


def searched(text: str) -> None:
    """Callback of the search box: a new text starts at page 1."""
    st.session_state.f_search = text
    st.session_state.f_search_page = 1


def turn_to(page: int) -> None:
    """Callback of the pager."""
    st.session_state.f_search_page = max(1, page)


def resize() -> None:
    """Callback of the page-size choice: back to page 1."""
    size = st.session_state.get("w_search_size")
    st.session_state.f_search_size = size if size in SEARCH_PAGE_SIZES else DEFAULT_SIZE
    st.session_state.f_search_page = 1


def pages(total: int, size: int) -> int:
    """How many pages ``total`` results fill (at least one)."""
    return max(1, -(-total // max(1, size)))
