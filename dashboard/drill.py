"""Drill-down (联动/钻取): a click on a chart or a table row narrows the sidebar's selection.

A click sets the same session keys the sidebar widgets keep (``f_branches``, ``f_officers``) in
an ``on_select`` callback, which runs before the script: the sidebar then draws the new
selection and writes it to the URL in the same run, so a copied link reproduces the step. A
callback cannot change page, so a drill that leads elsewhere leaves its target in ``_drill_to``
and the router opens it before running the current one (``follow``), as one history entry.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from urllib.parse import urlencode

import streamlit as st

from dashboard.nav import PAGE_TABLE

_TARGET = "_drill_to"


def _clicked(key: str) -> list[object]:
    """The customdata of the points selected in the chart kept under ``key``."""
    event = st.session_state.get(key)
    points = getattr(getattr(event, "selection", None), "points", None) or []
    out: list[object] = []
    for point in points:
        data = point.get("customdata")
        out.append(data[0] if isinstance(data, list | tuple) else data)
    return [d for d in out if d is not None]


def _rows(key: str) -> list[int]:
    """The row positions selected in the dataframe kept under ``key``."""
    event = st.session_state.get(key)
    return list(getattr(getattr(event, "selection", None), "rows", None) or [])


def _narrow_to_branch(branch_id: int) -> None:
    st.session_state["f_branches"] = [int(branch_id)]
    st.session_state["f_officers"] = []


def branch_click(chart_key: str, *, tab: tuple[str, str] | None = None) -> Callable[[], None]:
    """Callback: the clicked branch (customdata) becomes the selection; optionally open a tab.

    ``tab``: (page, tab code) of the lazy tab to open next, e.g. ("kpis", "league").
    """

    def callback() -> None:
        branches = _clicked(chart_key)
        if not branches:
            return
        _narrow_to_branch(int(branches[0]))  # type: ignore[call-overload]
        if tab is not None:
            st.session_state[f"tab_{tab[0]}"] = tab[1]

    return callback


def officer_row(
    table_key: str, officers: Sequence[tuple[int, int]], *, page: str
) -> Callable[[], None]:
    """Callback: the officer in the clicked row (``officers``: (officer_id, branch_id) per row)
    becomes the selection, and ``page`` (a file in pages/) opens on their book."""

    def callback() -> None:
        rows = [r for r in _rows(table_key) if 0 <= r < len(officers)]
        if not rows:
            return
        officer_id, branch_id = officers[rows[0]]
        _narrow_to_branch(branch_id)
        st.session_state["f_officers"] = [int(officer_id)]
        # The new page's address is pushed once, already carrying the selection, so that Back
        # from it returns straight to this view (the sidebar would otherwise push a second entry).
        query = {k: v for k, v in st.query_params.to_dict().items() if k != "tab"}
        query.update(branches=str(branch_id), officers=str(officer_id))
        st.session_state[_TARGET] = (page, query)

    return callback


def navigation_script(url_path: str, query: dict[str, str]) -> str:
    """A script that opens ``url_path?query`` inside the running app as ONE history entry.

    ``st.switch_page(query_params=…)`` writes the query on the current page first (the browser
    pushes an entry: the KPI page on the clicked officer) and then the new page (a second
    entry), so Back from the book landed on a view nobody had asked for. Pushing the address
    ourselves and announcing it as history navigation lets Streamlit's own Back/Forward
    handling (``popstate``) run the page: one entry, and Back returns to the click's view.
    """
    url = f"{url_path}?{urlencode(query)}" if query else url_path  # relative: any base path
    return (
        f"<script>window.history.pushState({{}}, '', {json.dumps(url)});"
        "window.dispatchEvent(new PopStateEvent('popstate'));</script>"
    )


def follow() -> None:
    """Open the page a drill asked for (called by the router before the page runs)."""
    target = st.session_state.pop(_TARGET, None)
    if target:
        page, query = target
        url_path = next(url for _, file, url, _, _ in PAGE_TABLE if file == page)
        st.html(navigation_script(url_path, query), unsafe_allow_javascript=True)
        st.stop()  # this page is being left: nothing of it is drawn
