"""Loyalty and retention page (placeholder until its issue lands)."""

import streamlit as st

from dashboard.i18n import t
from dashboard.state import page_context

ctx = page_context()
st.title(t("loyalty.title"))
st.caption(f"{ctx.week:%Y-%m-%d}")
