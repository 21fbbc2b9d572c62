"""Home: what Footprint is, and one link per page the user may open, grouped by audience."""

import streamlit as st

from dashboard.access import current_user
from dashboard.errors import friendly_errors
from dashboard.i18n import t
from dashboard.loaders.common import load_branches, load_standard
from dashboard.nav import PAGE_TABLE, PAGES_DIR
from dashboard.state import page_context

ctx = page_context()
user = current_user()
st.title(t("home.title"))
st.subheader(t("home.headline"))
with (
    friendly_errors()
):  # a refused standards file or an unreadable database: a message, not a crash
    snapshot = t(
        "home.snapshot",
        branches=load_branches(ctx.scope).height,
        day=f"{ctx.as_of:%Y-%m-%d}",
        version=load_standard().version,
    )
st.caption(snapshot)
st.write(t("home.intro"))

sections: dict[str, list[tuple[str, str, str]]] = {}
for section, file, url_path, icon, _ in PAGE_TABLE:
    if section != "home" and user.may_open(url_path):
        sections.setdefault(section, []).append((file, url_path, icon))

# at most three sections a row: six across left a column too narrow for "客户经理足迹运用"
PER_ROW = 3
items = list(sections.items())
columns = [c for i in range(0, len(items), PER_ROW) for c in st.columns(PER_ROW)]
for column, (section, pages) in zip(columns, items, strict=False):
    with column:
        st.subheader(t(f"common.section_{section}"))
        for file, url_path, icon in pages:
            st.page_link(str(PAGES_DIR / file), label=t(f"{url_path}.title"), icon=icon)
            st.caption(t(f"home.{url_path}"))
