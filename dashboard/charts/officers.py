"""Pure chart and table builders of the officer-engagement page (no Streamlit): frames in, figures out.

Every label arrives as an argument, already translated, so tests can call these directly.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

import numpy as np
import plotly.graph_objects as go
import polars as pl
from plotly.subplots import make_subplots

from dashboard.charts.common import PALETTE, PRIMARY, standard_layout
from data_access.masking import mask_frame

# At county scale (hundreds of officers) a row per officer makes a chart thousands of pixels tall:
# the heatmap, the league and the books chart draw this many (half strongest, half weakest).
CHART_ROWS = 60


def activity_heatmap(
    panel: pl.DataFrame, officer_labels: Mapping[int, str], value_label: str
) -> go.Figure:
    """Officer × week heatmap of ``value`` (from ``metrics.officers.weekly_panel``).

    Officers are rows in the order of ``officer_labels``; weeks are columns.
    """
    weeks = sorted(panel.get_column("week_start").unique().to_list())
    present = set(panel.get_column("officer_id").to_list())
    ids = [o for o in officer_labels if o in present]
    # a numpy grid: plotly validates one array far faster than hundreds of Python rows
    row = {o: i for i, o in enumerate(ids)}
    col = {w: j for j, w in enumerate(weeks)}
    cells = panel.filter(pl.col("officer_id").is_in(ids))
    z = np.zeros((len(ids), len(weeks)))
    z[
        np.array([row[o] for o in cells.get_column("officer_id").to_list()], dtype=np.int64),
        np.array([col[w] for w in cells.get_column("week_start").to_list()], dtype=np.int64),
    ] = cells.get_column("value").to_numpy()
    fig = go.Figure(
        go.Heatmap(
            z=z,
            x=[w.isoformat() for w in weeks],
            y=[officer_labels[o] for o in ids],
            colorscale="Blues",
            # the palest colour is a week with nothing, as the caption says, not the quietest week
            zmin=0,
            zmax=max(float(z.max(initial=0)), 1.0),
            colorbar={"title": {"text": value_label}},
            hovertemplate="%{y}<br>%{x}<br>" + value_label + ": %{z}<extra></extra>",
        )
    )
    fig.update_yaxes(autorange="reversed", type="category")
    fig.update_xaxes(type="category")
    return standard_layout(fig, height=max(260, 22 * len(ids) + 80))


def engagement_bars(
    scores: pl.DataFrame,
    components: Sequence[tuple[str, float, str]],
    officer_labels: Mapping[int, str],
    score_label: str,
) -> go.Figure:
    """Stacked horizontal bars: each component's weighted points (they add up to the score).

    ``components`` holds (code, weight, label); ``scores`` comes from ``engagement_scores``.
    """
    ids = scores.get_column("officer_id").to_list()
    y = [officer_labels.get(o, str(o)) for o in ids]
    fig = go.Figure()
    for i, (code, weight, label) in enumerate(components):
        fig.add_bar(
            name=label,
            y=y,
            x=[100.0 * weight * (v or 0.0) for v in scores.get_column(f"c_{code}").to_list()],
            orientation="h",
            marker={"color": PALETTE[i % len(PALETTE)]},
            hovertemplate="%{y}<br>" + label + ": %{x:.1f}<extra></extra>",
        )
    fig.update_layout(barmode="stack", xaxis={"title": {"text": score_label}, "range": [0, 100]})
    fig.update_yaxes(autorange="reversed", type="category")
    fig = standard_layout(fig, height=max(260, 22 * len(ids) + 100))
    # legend above the bars: below a tall chart (y=-0.2 of its height) it floated far from the axis
    return fig.update_layout(legend={"orientation": "h", "yanchor": "bottom", "y": 1.0, "x": 0})


def completeness_bars(
    frame: pl.DataFrame, key: str, labels: Mapping[object, str], axis_label: str
) -> go.Figure:
    """Horizontal bars of ``completeness`` (0..1, shown as %) for each ``key`` (officer or field)."""
    keys = frame.get_column(key).to_list()
    values = [100.0 * v for v in frame.get_column("completeness").to_list()]
    fig = go.Figure(
        go.Bar(
            x=values,
            y=[labels.get(k, str(k)) for k in keys],
            orientation="h",
            marker={"color": PRIMARY},
            text=[f"{v:.0f}%" for v in values],
            textposition="auto",
            hovertemplate="%{y}: %{x:.1f}%<extra></extra>",
        )
    )
    fig.update_layout(xaxis={"title": {"text": axis_label}, "range": [0, 100]})
    fig.update_yaxes(autorange="reversed", type="category")
    return standard_layout(fig, height=max(240, 22 * len(keys) + 80))


def did_chart(
    estimates: Sequence[tuple[str, pl.DataFrame]],
    training_labels: Mapping[int, str],
    pooled: Sequence[tuple[str, Mapping[str, object]]],
    pooled_label: str,
    axis_label: str,
) -> go.Figure:
    """Change after training against the untrained, with 95% CI error bars, per training and pooled.

    ``estimates``: (measure label, ``TrainingEffect.per_training``); ``pooled``: (measure label,
    ``TrainingEffect.pooled``) in the same order. A dashed line marks zero (no change).
    """
    fig = go.Figure()
    for i, ((measure, est), (_, pool)) in enumerate(zip(estimates, pooled, strict=True)):
        est = est.filter(pl.col("did").is_not_null())
        x = [training_labels.get(t, str(t)) for t in est.get_column("training_id").to_list()]
        did = est.get_column("did").to_list()
        hi = est.get_column("ci_high").to_list()
        lo = est.get_column("ci_low").to_list()
        if pool.get("did") is not None:
            x.append(pooled_label)
            did.append(pool["did"])
            hi.append(pool.get("ci_high"))
            lo.append(pool.get("ci_low"))
        plus = [(h - d) if h is not None else 0.0 for h, d in zip(hi, did, strict=True)]
        minus = [(d - lo_) if lo_ is not None else 0.0 for lo_, d in zip(lo, did, strict=True)]
        fig.add_scatter(
            name=measure,
            x=x,
            y=did,
            mode="markers",
            marker={"size": 10, "color": PALETTE[i % len(PALETTE)]},
            error_y={"type": "data", "symmetric": False, "array": plus, "arrayminus": minus},
            hovertemplate="%{x}<br>" + measure + ": %{y:+.2f}<extra></extra>",
        )
    fig.add_hline(y=0, line_dash="dash", line_color="#888")
    fig = standard_layout(fig, height=420)
    # legend above: the training names take the space below the axis
    fig.update_layout(
        scattermode="group",
        yaxis={"title": {"text": axis_label}},
        legend={"orientation": "h", "y": 1.08, "x": 0},
    )
    fig.update_xaxes(type="category", tickangle=0)
    return fig


def did_sentence(estimate: Mapping[str, object], template: str) -> str | None:
    """'+1.2 visits/week (95% CI 0.4–2.0)' from a ``TrainingEffect.pooled`` dict and a template with
    ``{did}``, ``{low}``, ``{high}``; None when there is no estimate."""
    did = estimate.get("did")
    if did is None or (isinstance(did, float) and math.isnan(did)):
        return None
    low, high = estimate.get("ci_low"), estimate.get("ci_high")
    return template.format(
        did=f"{did:+.1f}",
        low="?" if low is None else f"{low:.1f}",
        high="?" if high is None else f"{high:.1f}",
    )


def masked_table(frame: pl.DataFrame, headers: Mapping[str, str]) -> pl.DataFrame:
    """Mask personal columns (name 张*), keep the columns of ``headers`` in order and rename them."""
    cols = [c for c in headers if c in frame.columns]
    return mask_frame(frame).select(cols).rename({c: headers[c] for c in cols})


def league_table(
    scores: pl.DataFrame,
    codes: Sequence[str],
    branch_labels: Mapping[int, str],
    headers: Mapping[str, str],
) -> pl.DataFrame:
    """The engagement league: rank, officer, branch, score, each component in % of the benchmark.

    ``headers`` maps rank, name, branch, score and every component code to column titles.
    """
    out = scores.with_columns(
        pl.int_range(1, pl.len() + 1).alias("rank"),
        pl.col("branch_id")
        .replace_strict(dict(branch_labels), default=None, return_dtype=pl.String)
        .alias("branch"),
        *[(pl.col(f"c_{c}") * 100.0).alias(c) for c in codes],
    )
    cols = ["rank", "name", "branch", "score", *codes]
    return out.select(cols).rename({c: headers[c] for c in cols})


def wrap_label(text: str, width: int = 16) -> str:
    """Break a long axis label into lines of about ``width`` characters at spaces (plotly <br>)."""
    lines: list[str] = []
    for word in text.split(" "):
        if lines and len(lines[-1]) + 1 + len(word) <= width:
            lines[-1] += " " + word
        else:
            lines.append(word)
    return "<br>".join(lines)


def levels_chart(
    levels: Sequence[tuple[str, pl.DataFrame]],
    *,
    groups: Mapping[str, str],
    periods: Mapping[str, str],
    axis_label: str,
) -> go.Figure:
    """Each group's weekly mean before and after training, with 95% intervals, one panel per
    measure: the trained line's slope against the untrained line's is the estimate.

    ``levels``: (measure label, ``metrics.officers.TrainingEffect.levels``).
    """
    shown = [(m, f) for m, f in levels if not f.is_empty()]
    fig = make_subplots(rows=1, cols=len(shown), subplot_titles=[m for m, _ in shown])
    for col, (_, frame) in enumerate(shown, start=1):
        for i, (group, label) in enumerate(groups.items()):
            part = frame.filter(pl.col("group") == group)
            order = {p: k for k, p in enumerate(periods)}
            part = part.sort(pl.col("period").replace_strict(order, return_dtype=pl.Int64))
            mean = part.get_column("mean").to_list()
            hi = [h if h is not None else m for h, m in zip(part["ci_high"], mean, strict=True)]
            lo = [v if v is not None else m for v, m in zip(part["ci_low"], mean, strict=True)]
            fig.add_scatter(
                name=label,
                legendgroup=group,
                showlegend=col == 1,
                x=[periods[p] for p in part.get_column("period").to_list()],
                y=mean,
                mode="lines+markers",
                line={"color": PALETTE[i % len(PALETTE)]},
                error_y={
                    "type": "data",
                    "symmetric": False,
                    "array": [h - m for h, m in zip(hi, mean, strict=True)],
                    "arrayminus": [m - v for v, m in zip(lo, mean, strict=True)],
                },
                hovertemplate=label + " · %{x}: %{y:.2f}<extra></extra>",
                row=1,
                col=col,
            )
    # the legend under the panels: above them it ran into the first panel's title
    fig = standard_layout(fig, height=340, legend_y=-0.22)
    fig.update_yaxes(title={"text": axis_label}, row=1, col=1)
    return fig
