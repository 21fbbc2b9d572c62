"""Pure chart builders of the credit desk and the suggestion outcomes (no Streamlit)."""

from __future__ import annotations

import plotly.graph_objects as go
import polars as pl

from dashboard.charts.common import ACCENT, BAD, MUTED, PRIMARY, WARN, standard_layout

SEVERITY_COLORS = {"high": BAD, "medium": ACCENT, "low": WARN}


def mismatch_chart(
    mismatches: pl.DataFrame,
    check_labels: dict[str, str],
    severity_labels: dict[str, str],
    *,
    title: str = "",
    count_label: str = "",
) -> go.Figure:
    """Stacked bars: mismatches per check (rows of ``metrics.credit.credit_mismatches``) by
    severity, titled, the axis counting whole mismatches."""
    counts = mismatches.group_by("check", "severity").agg(pl.len().alias("n"))
    fig = go.Figure()
    for sev, color in SEVERITY_COLORS.items():
        part = counts.filter(pl.col("severity") == sev)
        by = dict(zip(part["check"].to_list(), part["n"].to_list(), strict=True))
        fig.add_bar(
            name=severity_labels[sev],
            x=[check_labels[c] for c in check_labels],
            y=[by.get(c, 0) for c in check_labels],
            marker={"color": color},
        )
    most = int(counts.group_by("check").agg(pl.col("n").sum())["n"].max() or 0)
    fig.update_layout(barmode="stack", title={"text": title})
    # whole mismatches: one at most read as ticks 0.2 … 0.8 on an axis without a name
    fig.update_yaxes(
        title={"text": count_label}, tick0=0, dtick=max(1, -(-most // 5)), rangemode="tozero"
    )
    return standard_layout(fig, 300)


def acceptance_chart(
    summary: pl.DataFrame, labels: dict[str, str], names: tuple[str, str], count_label: str = ""
) -> go.Figure:
    """Horizontal bars per rule: accepted and converted answers (``metrics.feedback`` summary)."""
    rows = summary.sort("answers")
    y = [labels.get(r, r) for r in rows["rule"].to_list()]
    fig = go.Figure()
    fig.add_bar(name=names[0], y=y, x=rows["accepted"].to_list(), orientation="h",
                marker={"color": MUTED})  # fmt: skip
    fig.add_bar(name=names[1], y=y, x=rows["converted"].to_list(), orientation="h",
                marker={"color": PRIMARY})  # fmt: skip
    most = int(max([*rows["accepted"].to_list(), *rows["converted"].to_list(), 0]) or 0)
    fig.update_layout(barmode="group")
    # whole answers: one read as ticks 0.2 … 0.8 on an axis without a name
    fig.update_xaxes(
        title={"text": count_label}, tick0=0, dtick=max(1, -(-most // 5)), rangemode="tozero"
    )
    return standard_layout(fig, max(240, 40 * len(y) + 80))
