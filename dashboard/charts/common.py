"""What the page charts share: the house colours, one plotly template, the standard layout.

Every chart module takes its colours from here (named by what they mean); ``standard_layout``
applies the ``footprint`` template (colourway, font with CJK fallbacks, white background).
"""

from __future__ import annotations

import plotly.graph_objects as go
import plotly.io as pio

PRIMARY = "#1f5fa8"  # the bank's blue: values, the selected, "good"
ACCENT = "#d9822b"  # targets, second series, medium severity
BAD = "#c23030"  # below target, at risk, high severity
WARN = "#e3b341"  # low severity
GOOD = "#3a9d5d"
GREY = "#9aa5b1"  # prior year, context
MUTED = "#9bb5d6"  # a light blue for the rest of a distribution
PALE = "#e3e8ef"  # empty, incomplete
# Categorical series in order (officers, products, kinds): the template's colourway.
PALETTE = (
    PRIMARY,
    ACCENT,
    GOOD,
    "#b23a48",
    "#7b5ea7",
    "#8c6d46",
    "#d36fa5",
    "#6b7a8f",
    "#b8a52b",
    "#2fa4a9",
    MUTED,
    "#e3a587",
    "#4d4d4d",
)

# Every figure names it: Streamlit makes its own template plotly's default when it is imported,
# so a figure that names none is drawn in Streamlit's font and colours, not the house's.
TEMPLATE = "footprint"
pio.templates[TEMPLATE] = go.layout.Template(
    layout={
        "colorway": list(PALETTE),
        "font": {"family": '"Noto Sans CJK SC", "Microsoft YaHei", "PingFang SC", sans-serif'},
        "paper_bgcolor": "white",
        "plot_bgcolor": "white",
        "xaxis": {"gridcolor": PALE, "zerolinecolor": PALE},
        "yaxis": {"gridcolor": PALE, "zerolinecolor": PALE},
    }
)


def standard_layout(fig: go.Figure, height: int = 360, legend_y: float = -0.2) -> go.Figure:
    """Fixed height, tight margins, legend under the plot."""
    fig.update_layout(
        template=TEMPLATE,
        height=height,
        margin={"l": 10, "r": 10, "t": 30, "b": 10},
        legend={"orientation": "h", "y": legend_y},
    )
    return fig
