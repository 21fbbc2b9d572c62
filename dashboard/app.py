"""Footprint (足迹): the router — page config, shared sidebar, navigation by audience."""

from __future__ import annotations

import streamlit as st

from dashboard.bootstrap import ensure_demo_database
from dashboard.drill import follow
from dashboard.errors import friendly_errors
from dashboard.freshness import show_data_warnings
from dashboard.frontend_text import frontend_text
from dashboard.i18n import t
from dashboard.nav import PAGE_TABLE, PAGES_DIR
from dashboard.state import init_language, sidebar
from dashboard.style import apply_style

st.set_page_config(page_title="Footprint 足迹", page_icon="👣", layout="wide")
apply_style()
frontend_text(init_language())  # Streamlit's own words in the user's language

pages: dict[str, list[st.Page]] = {}
for section, file, url_path, icon, title in PAGE_TABLE:
    page = st.Page(
        PAGES_DIR / file, title=t(title), icon=icon, url_path=url_path, default=url_path == "home"
    )
    pages.setdefault(t(f"common.section_{section}"), []).append(page)

navigation = st.navigation(pages)
with friendly_errors():
    ensure_demo_database()
    show_data_warnings()
    follow()  # a click on another page's chart or table asked for this one
    st.session_state["_page_context"] = sidebar(navigation.url_path)
try:
    navigation.run()
finally:
    # The context belongs to this run: a page run without the router must not find a stale one.
    st.session_state.pop("_page_context", None)
