"""What the page charts share: the house colour and the standard plotly layout."""

from __future__ import annotations

import plotly.graph_objects as go

PRIMARY = "#1f5fa8"


def standard_layout(fig: go.Figure, height: int = 360, legend_y: float = -0.2) -> go.Figure:
    """Fixed height, tight margins, legend under the plot."""
    fig.update_layout(
        height=height,
        margin={"l": 10, "r": 10, "t": 30, "b": 10},
        legend={"orientation": "h", "y": legend_y},
    )
    return fig
