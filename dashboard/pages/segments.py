"""Value segments page (placeholder until its issue lands)."""

import streamlit as st

from dashboard.i18n import t
from dashboard.state import page_context

ctx = page_context()
st.title(t("segments.title"))
st.caption(f"{ctx.week:%Y-%m-%d}")
