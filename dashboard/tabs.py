"""Lazy tabs: only the open tab's code runs and is sent; the open tab survives language and URL.

``st.tabs`` runs every tab's body unless it tracks state (``on_change``), and then it keys the
state by the *label*, which changes with the language. Here the open tab is kept by a stable code
in ``tab_<page>`` and in the URL (``?tab=<code>``, absent for the first tab), and the widget is
refreshed from it before drawing, as the sidebar does with its filters.
"""

from __future__ import annotations

from collections.abc import Mapping

import streamlit as st
from streamlit.delta_generator import DeltaGenerator

from dashboard.params import parse_params

URL_PARAM = "tab"


def _state_key(page: str) -> str:
    return f"tab_{page}"


def _widget_key(page: str) -> str:
    return f"w_tab_{page}"


def _remember(page: str, codes_by_label: dict[str, str]) -> None:
    """On a tab switch: keep the code of the tab the user opened."""
    label = st.session_state[_widget_key(page)]
    st.session_state[_state_key(page)] = codes_by_label.get(
        label, next(iter(codes_by_label.values()))
    )


def open_tab(page: str, codes: list[str]) -> str:
    """The code of the page's open tab: session state, else the URL, else the first."""
    state = _state_key(page)
    if state not in st.session_state:
        st.session_state[state] = parse_params(st.query_params.to_dict()).tab
    if st.session_state[state] not in codes:
        st.session_state[state] = codes[0]
    return st.session_state[state]


def lazy_tabs(page: str, labels: Mapping[str, str]) -> dict[str, DeltaGenerator | None]:
    """Tabs by code (``labels``: code → label); the open tab's container, ``None`` for the others.

    Callers write ``if (tab := tabs["league"]) is not None: with tab: ...`` — a hidden tab's
    queries and charts never run.
    """
    codes = list(labels)
    current = open_tab(page, codes)
    codes_by_label = {label: code for code, label in labels.items()}
    st.session_state[_widget_key(page)] = labels[current]
    containers = st.tabs(
        list(labels.values()),
        key=_widget_key(page),
        on_change=_remember,
        args=(page, codes_by_label),
    )
    st.session_state[f"tab_first_{page}"] = codes[0]  # the sidebar leaves it out of the URL
    # The sidebar already wrote the open tab with the filters (one history entry); this only
    # corrects a tab the URL named that the page does not have.
    if current == codes[0] and URL_PARAM in st.query_params:
        st.query_params.pop(URL_PARAM, None)
    elif current != codes[0] and st.query_params.get(URL_PARAM) != current:
        st.query_params[URL_PARAM] = current
    return {
        code: container if code == current else None
        for code, container in zip(codes, containers, strict=True)
    }


def keep_widget_state(*keys: str) -> None:
    """Keep the values of widgets inside lazy tabs while their tab is closed.

    Streamlit forgets a widget's value after a run that did not draw it; writing the value back
    before drawing stops that (Streamlit's documented way to keep widget state across pages).
    """
    for key in keys:
        if key in st.session_state:
            st.session_state[key] = st.session_state[key]
