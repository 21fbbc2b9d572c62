"""The few style rules Streamlit's theme options do not cover (sent once per run, takes no space)."""

from __future__ import annotations

import streamlit as st

# KPI cards sit four to a row: on a tablet in portrait (768 px) Streamlit's fixed 2.25rem figures
# were cut to "176,18…". The figure shrinks with the window, never below 1.25rem.
CSS = """
[data-testid="stMetricValue"] { font-size: clamp(1.25rem, 3vw, 2.25rem); }
"""


def apply_style() -> None:
    """Add the app's style rules to the page."""
    st.html(f"<style>{CSS}</style>")
