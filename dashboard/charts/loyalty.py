"""Pure chart and table builders of the loyalty page (no Streamlit): frames in, figures out.

Every label arrives as an argument, already translated, so tests can call these directly.
"""

from __future__ import annotations

import plotly.graph_objects as go
import polars as pl

from dashboard.charts.common import BAD, GOOD, MUTED, PRIMARY, standard_layout
from data_access.masking import mask_frame

ALERT = BAD
LIFECYCLE_COLORS = {
    "new": MUTED,
    "returning": PRIMARY,
    "resurrecting": GOOD,
    "dormant": BAD,
}


def distribution_chart(
    hist: pl.DataFrame, *, threshold: float, x_title: str, y_title: str, risk_label: str
) -> go.Figure:
    """Bars of customers per loyalty band (``loyalty_histogram``); bands under the churn-risk
    threshold in red, with a dashed line at the threshold."""
    starts = hist["band_start"].to_list()
    fig = go.Figure(
        go.Bar(
            x=[(a + b) / 2 for a, b in zip(starts, hist["band_end"].to_list(), strict=True)],
            y=hist["customers"].to_list(),
            width=[b - a for a, b in zip(starts, hist["band_end"].to_list(), strict=True)],
            marker={"color": [ALERT if s < threshold else PRIMARY for s in starts]},
            hovertemplate="%{x}: %{y:,}<extra></extra>",
        )
    )
    fig.add_vline(x=threshold, line_dash="dash", line_color=ALERT, annotation_text=risk_label)
    fig.update_xaxes(title=x_title, range=[0, 100])
    fig.update_yaxes(title=y_title)
    return standard_layout(fig)


def components_chart(
    contrib: pl.DataFrame,
    labels: dict[str, str],
    *,
    earned: str,
    missed: str,
    x_title: str,
) -> go.Figure:
    """Horizontal stacked bars per component: points earned towards the average score and
    points missed (the component's weight × 100 in all) — what drives the average."""
    names = [labels.get(c, c) for c in contrib["component"].to_list()]
    # (column, legend name, colour, text on the bar): the points earned carry their value
    parts = (("points", earned, PRIMARY, "%{x:.1f}"), ("points_missed", missed, MUTED, None))
    fig = go.Figure(
        [
            go.Bar(
                y=names,
                x=contrib[col].to_list(),
                name=name,
                orientation="h",
                marker={"color": color},
                texttemplate=text,
                # labelled hover, not plotly's raw '(12.7, 产品深度)'
                hovertemplate=f"%{{y}}<br>{name}: %{{x:.1f}}<extra></extra>",
            )
            for col, name, color, text in parts
        ]
    )
    fig.update_layout(barmode="stack")
    fig.update_yaxes(autorange="reversed")
    fig.update_xaxes(title=x_title, range=[0, 100 * max(contrib["weight"].max() or 0, 0.01)])
    return standard_layout(fig)


def cohort_heatmap(
    retention: pl.DataFrame, *, value_col: str, x_title: str, y_title: str, hover_size: str
) -> go.Figure:
    """Heatmap: cohort month (rows, newest at the bottom) × age in months, cells the retention
    share in ``value_col`` (``retention_on`` or ``retention_on_or_after``), text in percent."""
    if value_col not in ("retention_on", "retention_on_or_after"):
        raise ValueError(f"unknown retention column {value_col!r}")
    cohorts = sorted(set(retention["cohort_month"].to_list()))
    ages = list(range(int(retention["age"].max()) + 1)) if retention.height else []
    cell = {(r["cohort_month"], r["age"]): r[value_col] for r in retention.iter_rows(named=True)}
    size = dict(zip(retention["cohort_month"], retention["customers"], strict=True))
    z = [[cell.get((c, a)) for a in ages] for c in cohorts]
    text = [["" if v is None else f"{v * 100:.0f}%" for v in row] for row in z]
    fig = go.Figure(
        go.Heatmap(
            z=z,
            x=ages,
            y=[f"{c:%Y-%m}" for c in cohorts],
            text=text,
            texttemplate="%{text}",
            customdata=[[size[c]] * len(ages) for c in cohorts],
            hovertemplate=f"%{{y}} +%{{x}}: %{{text}} ({hover_size} %{{customdata:,}})<extra></extra>",
            colorscale="Blues",
            zmin=0,
            zmax=1,
            showscale=False,
        )
    )
    fig.update_xaxes(title=x_title, dtick=1)
    fig.update_yaxes(title=y_title, autorange="reversed", type="category")
    return standard_layout(fig, height=max(300, 28 * len(cohorts) + 80))


def lifecycle_chart(lc: pl.DataFrame, labels: dict[str, str], *, y_title: str) -> go.Figure:
    """Stacked weekly bars: new, returning and resurrecting above zero, dormant below."""
    weeks = lc["week"].to_list()
    bars = [
        go.Bar(
            x=weeks,
            y=(lc[state] * (-1 if state == "dormant" else 1)).to_list(),
            name=labels.get(state, state),
            marker={"color": LIFECYCLE_COLORS[state]},
            # the hover gives the count itself, dormant too (drawn below zero)
            customdata=lc[state].to_list(),
            hovertemplate="%{x|%Y-%m-%d}<br>%{fullData.name}: %{customdata:,}<extra></extra>",
        )
        for state in ("returning", "new", "resurrecting", "dormant")
    ]
    fig = go.Figure(bars)
    fig.update_layout(barmode="relative")
    fig.update_yaxes(title=y_title)
    # numeric dates: plotly's default ticks ('Jul 2026') are English month names in the Chinese UI
    fig.update_xaxes(tickformat="%Y-%m-%d", hoverformat="%Y-%m-%d")
    return standard_layout(fig)


def migration_heatmap(
    migration: pl.DataFrame,
    order: tuple[str, ...],
    labels: dict[str, str],
    *,
    from_title: str,
    to_title: str,
) -> go.Figure:
    """Tier migration matrix (from ``metrics.value.tier_migration``): rows from-tier, columns
    to-tier, colour the share of the from-tier, text the share and the count."""
    cell = {(r["from_tier"], r["to_tier"]): r for r in migration.iter_rows(named=True)}
    z = [[(cell.get((f, t)) or {}).get("share_of_from") for t in order] for f in order]
    text = [
        [
            f"{c['share_of_from'] * 100:.1f}%<br>{c['customers']:,}"
            if (c := cell.get((f, t)))
            else ""
            for t in order
        ]
        for f in order
    ]
    names = [labels.get(c, c) for c in order]
    fig = go.Figure(
        go.Heatmap(
            z=z,
            x=names,
            y=names,
            text=text,
            texttemplate="%{text}",
            colorscale="Blues",
            zmin=0,
            zmax=1,
            showscale=False,
            hoverinfo="skip",
        )
    )
    fig.update_xaxes(title=to_title, side="top", type="category")
    fig.update_yaxes(title=from_title, autorange="reversed", type="category")
    return standard_layout(fig, height=320)


def churn_rows(
    churn: pl.DataFrame,
    component_labels: dict[str, str],
    branch_names: dict[int, str],
    headers: dict[str, str],
    *,
    value_scale: float = 1.0,
    reasons: dict[str, str] | None = None,
) -> pl.DataFrame:
    """The churn-risk table shown on screen from ``churn`` (customer_id, branch_id, loyalty,
    components, value_at_stake, churn_reason, name, phone): masked name (张*) and phone
    (138****1234), branch, the reason (labelled by ``reasons``), loyalty, value at stake divided by
    ``value_scale`` (10,000 for 万元), the weakest component. ``headers`` maps ``name, phone,
    branch, reason, loyalty, value_at_stake, weakest`` (and ``customer_id``, first, when given) to
    column titles. Order of ``churn`` is kept."""
    comps = [c for c in component_labels if c in churn.columns]
    weakest = (
        pl.concat_list([pl.col(c) for c in comps])
        .list.arg_min()
        .replace_strict(dict(enumerate(component_labels[c] for c in comps)), return_dtype=pl.String)
        if comps
        else pl.lit(None, dtype=pl.String)
    )
    masked = mask_frame(churn, {"name": "name", "phone": "phone"}).with_columns(
        # a missing name or phone stays empty (the column masker turns null into a row of stars)
        *(
            pl.when(churn[c].is_null()).then(None).otherwise(pl.col(c)).alias(c)
            for c in ("name", "phone")
        )
    )
    number = (
        [pl.col("customer_id").alias(headers["customer_id"])] if "customer_id" in headers else []
    )
    return masked.with_columns(weakest.alias("weakest")).select(
        *number,
        pl.col("name").alias(headers["name"]),
        pl.col("phone").alias(headers["phone"]),
        pl.col("branch_id")
        .replace_strict(
            branch_names, default=pl.col("branch_id").cast(pl.String), return_dtype=pl.String
        )
        .alias(headers["branch"]),
        *(
            [
                pl.col("churn_reason")
                .replace_strict(reasons, default=pl.col("churn_reason"), return_dtype=pl.String)
                .alias(headers.get("reason", "reason"))
            ]
            if reasons is not None and "churn_reason" in churn.columns
            else []
        ),
        pl.col("loyalty").round(1).alias(headers["loyalty"]),
        (pl.col("value_at_stake") / value_scale).alias(headers["value_at_stake"]),
        pl.col("weakest").alias(headers["weakest"]),
    )
