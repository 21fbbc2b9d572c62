"""The few style rules Streamlit's theme options do not cover (sent once per run, takes no space)."""

from __future__ import annotations

from html import escape

import streamlit as st

# KPI cards sit four to a row: on a tablet in portrait (768 px) Streamlit's fixed 2.25rem figures
# were cut to "176,18…". The figure shrinks with the window, never below 1.25rem.
SCREEN_CSS = """
[data-testid="stMetricValue"] { font-size: clamp(1.25rem, 3vw, 2.25rem); }
.fp-print-header { display: none; }
/* a card's label wraps rather than losing its end: "Deposit balance (CNY…" hid "'000" on a
   phone, "Soft footprints per officer-w…" five cards to a row on a laptop */
[data-testid="stMetricLabel"] * {
  white-space: normal !important; overflow: visible !important; text-overflow: clip !important;
}
"""

# A president's phone (390 px): Streamlit stacks every column full width below 640 px, which
# makes eight KPI cards eight screens long. Cards in a `.st-key-fp_cards…` container stay two
# across, and nothing on the page may push it sideways.
PHONE_CSS = """
@media (max-width: 640px) {
  [class*="st-key-fp_cards"] [data-testid="stColumn"] {
    min-width: calc(50% - 0.5rem) !important;
    flex: 1 1 calc(50% - 0.5rem) !important;
  }
  [class*="st-key-fp_cards"] [data-testid="stHorizontalBlock"] { flex-wrap: wrap; gap: 0.5rem; }
  [data-testid="stMetricValue"] { font-size: 1.15rem; }
  [data-testid="stMetricLabel"] p { font-size: 0.8rem; }
  [data-testid="stMainBlockContainer"] { padding: 3rem 0.6rem 2rem 0.6rem; }
  [data-testid="stMain"] { overflow-x: hidden; }
  .js-plotly-plot, .stPlotlyChart { max-width: 100%; }
}
"""

# Print (Ctrl+P or "Save as PDF"): A4 portrait, no sidebar or buttons, the whole page rather than
# the visible part of Streamlit's scrolling main area, charts kept whole, and a header that says
# what is printed (the selection and the data's date), since the sidebar that says so is hidden.
PRINT_CSS = """
@page { size: A4 portrait; margin: 12mm 10mm; }
@media print {
  [data-testid="stSidebar"], [data-testid="stSidebarCollapsedControl"], header,
  [data-testid="stHeader"], [data-testid="stToolbar"], [data-testid="stDecoration"],
  [data-testid="stStatusWidget"], [data-testid="stDownloadButton"], [data-testid="stButton"],
  [data-testid="stBaseButton-headerNoPadding"], [data-testid="stElementToolbar"],
  [data-testid="stExpandSidebarButton"] { display: none !important; }
  html, body, .stApp, [data-testid="stAppViewContainer"], [data-testid="stMain"],
  [data-testid="stMainBlockContainer"] {
    overflow: visible !important; height: auto !important; min-height: 0 !important;
    position: static !important;
  }
  /* Charts and tables are laid out by script at the screen's width and do not reflow for paper:
     the page keeps a desktop width and is scaled to A4's printable width (190 mm ≈ 718 px). */
  [data-testid="stMainBlockContainer"] {
    padding: 0 !important; width: 1150px !important; max-width: none !important; zoom: 0.62;
  }
  .fp-print-header {
    display: block !important; border-bottom: 1px solid #999; margin-bottom: 6mm;
    padding-bottom: 2mm; font-size: 10pt; color: #333;
  }
  [data-testid="stPlotlyChart"], [data-testid="stVegaLiteChart"], [data-testid="stMetric"],
  [data-testid="stDataFrame"] { break-inside: avoid; page-break-inside: avoid; }
  * { -webkit-print-color-adjust: exact !important; print-color-adjust: exact !important; }
}
"""

CSS = SCREEN_CSS + PHONE_CSS + PRINT_CSS


def apply_style() -> None:
    """Add the app's style rules to the page."""
    st.html(f"<style>{CSS}</style>")


def print_header(lines: list[str]) -> None:
    """A header seen only on paper: what is printed, for whom, as of when."""
    body = "<br>".join(escape(line) for line in lines)
    st.html(f'<div class="fp-print-header">{body}</div>')
