"""Pure chart and table builders of the value-segments page (no Streamlit): frames in, figures out.

Every label arrives as an argument, already translated, so tests can call these directly.
"""

from __future__ import annotations

from dataclasses import dataclass

import plotly.graph_objects as go
import polars as pl

from dashboard.charts.common import TEMPLATE
from data_access.masking import mask_frame

TIER_COLORS = {"mass": "#9fb8d8", "affluent": "#4a86c5", "vip": "#1f5fa8", "private": "#0b2f5b"}


def text_color_on(background: str) -> str:
    """Dark or white text, whichever reads on ``background`` (#rrggbb): white counts on the pale
    mass-tier squares were hard to read. WCAG relative luminance, switching at 0.4."""

    def channel(hex2: str) -> float:
        c = int(hex2, 16) / 255
        return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4

    r, g, b = (channel(background[i : i + 2]) for i in (1, 3, 5))
    return "#1f2933" if 0.2126 * r + 0.7152 * g + 0.0722 * b > 0.4 else "#ffffff"


@dataclass(frozen=True)
class CellLabels:
    """The words of the tier × RFM segment charts: tier and segment labels by code (in their
    order) and what the hover calls a cell's customer count and AUM."""

    tiers: dict[str, str]
    segments: dict[str, str]
    customers: str = "customers"
    aum: str = "AUM"


SIZES = ("customers", "aum", "clv")  # what a cell may be sized by


def treemap(
    breakdown: pl.DataFrame, labels: CellLabels, *, root_label: str, size_by: str = "customers"
) -> go.Figure:
    """Treemap of tier → RFM segment sized by ``size_by`` (customers or aum) of a breakdown frame
    (tier, rfm_segment, customers, aum, clv)."""
    if size_by not in SIZES:
        raise ValueError(f"cannot size a treemap by {size_by!r}")
    sums = (
        pl.col(size_by).sum().cast(pl.Float64).alias("value"),
        pl.col("customers").sum().cast(pl.Int64),
        pl.col("aum").sum().cast(pl.Float64),
    )
    tier_rank = pl.col("tier").replace_strict(
        {code: i for i, code in enumerate(labels.tiers)}, default=len(labels.tiers)
    )
    tier_color = pl.col("tier").replace_strict(TIER_COLORS, default="#888888")
    tier_id = pl.lit("t:") + pl.col("tier")
    # One row a node: the root, the tiers in ladder order, then each cell under its tier.
    nodes = pl.concat(
        [
            breakdown.select(*sums).select(
                pl.lit("all").alias("id"),
                pl.lit(root_label).alias("label"),
                pl.lit("").alias("parent"),
                pl.all(),
                pl.lit("#ffffff").alias("color"),
            ),
            breakdown.group_by("tier")
            .agg(*sums)
            .sort(tier_rank)
            .select(
                tier_id.alias("id"),
                pl.col("tier").replace_strict(labels.tiers, default=pl.col("tier")).alias("label"),
                pl.lit("all").alias("parent"),
                "value",
                "customers",
                "aum",
                tier_color.alias("color"),
            ),
            breakdown.select(
                (tier_id + "/s:" + pl.col("rfm_segment")).alias("id"),
                pl.col("rfm_segment")
                .replace_strict(labels.segments, default=pl.col("rfm_segment"))
                .alias("label"),
                tier_id.alias("parent"),
                pl.col(size_by).cast(pl.Float64).alias("value"),
                pl.col("customers").cast(pl.Int64),
                pl.col("aum").cast(pl.Float64),
                tier_color.alias("color"),
            ),
        ]
    )
    fig = go.Figure(
        go.Treemap(
            ids=nodes["id"].to_list(),
            labels=nodes["label"].to_list(),
            parents=nodes["parent"].to_list(),
            values=nodes["value"].to_list(),
            branchvalues="total",
            marker={"colors": nodes["color"].to_list()},
            customdata=nodes.select("customers", "aum").rows(),
            hovertemplate=(
                f"<b>%{{label}}</b><br>{labels.customers}: %{{customdata[0]:,}}"
                f"<br>{labels.aum}: %{{customdata[1]:,.0f}}<extra></extra>"
            ),
            # one decimal: plotly's own percent shows three significant digits ("0.455%")
            texttemplate="%{label}<br>%{percentRoot:.1%}",
        )
    )
    fig.update_layout(template=TEMPLATE, height=420, margin={"l": 5, "r": 5, "t": 30, "b": 5})
    return fig


def cell_grid(
    breakdown: pl.DataFrame, labels: CellLabels, *, size_by: str = "customers"
) -> go.Figure:
    """RFM segment (rows, in the standard's order from the top) × tier (columns, lowest left) as
    one square per non-empty cell, sized by ``size_by`` and labelled with its customers; each
    point's customdata is ``[tier, rfm_segment]``, what a click on it drills to (a treemap's
    click only zooms). Eleven segments as columns beside the treemap left 30 px a column: the
    counts ran into each other and the slanted names overlapped; as rows each reads on its own."""
    if size_by not in SIZES:
        raise ValueError(f"cannot size a grid by {size_by!r}")
    tier_labels, segment_labels = labels.tiers, labels.segments
    tier_order = {code: i for i, code in enumerate(tier_labels)}
    seg_order = {code: i for i, code in enumerate(segment_labels)}
    cells = breakdown.filter(pl.col("customers") > 0).sort(
        pl.col("tier").replace_strict(tier_order, default=len(tier_order)),
        pl.col("rfm_segment").replace_strict(seg_order, default=len(seg_order)),
    )
    biggest = float(cells[size_by].max() or 0.0) if cells.height else 0.0
    sizes = [
        12 + 22 * (float(v) / biggest) ** 0.5 if biggest > 0 else 12 for v in cells[size_by]
    ]  # area follows the value
    colors = [TIER_COLORS.get(c, "#888888") for c in cells["tier"]]
    fig = go.Figure(
        go.Scatter(
            x=[tier_labels.get(c, c) for c in cells["tier"]],
            y=[segment_labels.get(c, c) for c in cells["rfm_segment"]],
            mode="markers+text",
            text=[f"{n:,}" for n in cells["customers"]],
            textposition="middle center",
            textfont={"color": [text_color_on(c) for c in colors], "size": 11},
            marker={"symbol": "square", "size": sizes, "color": colors},
            customdata=[
                list(r) for r in cells.select("tier", "rfm_segment", "customers", "aum").rows()
            ],
            hovertemplate=(
                f"<b>%{{x}} · %{{y}}</b><br>{labels.customers}: %{{customdata[2]:,}}"
                f"<br>{labels.aum}: %{{customdata[3]:,.0f}}<extra></extra>"
            ),
        )
    )
    fig.update_xaxes(
        categoryorder="array", categoryarray=[tier_labels[c] for c in tier_labels], side="top"
    )  # the lowest tier on the left
    fig.update_yaxes(
        categoryorder="array",
        categoryarray=[segment_labels[c] for c in reversed(segment_labels)],
        automargin=True,
    )  # plotly draws the first category at the bottom: the standard's first segment on top
    fig.update_layout(
        template=TEMPLATE,
        height=40 + 36 * len(segment_labels),
        margin={"l": 5, "r": 5, "t": 30, "b": 5},
        dragmode=False,
    )
    return fig


def member_table(
    members: pl.DataFrame,
    headers: dict[str, str],
    *,
    tier_labels: dict[str, str],
    segment_labels: dict[str, str],
    branch_names: dict[int, str],
    officer_names: dict[int, str],
    as_of_year: int,
    occupation_labels: dict[str, str] | None = None,
    town_labels: dict[str, str] | None = None,
) -> pl.DataFrame:
    """The customer list with personal data masked, labels translated, columns renamed by
    ``headers`` (keys: customer_id, name, phone, id_number, branch, officer, town, occupation,
    age, tier, rfm_segment, aum, p_alive, clv) in that order."""
    masked = mask_frame(members).with_columns(
        # a missing phone or ID stays empty (mask_frame turns a null into a row of stars)
        pl.when(members[c].is_null()).then(None).otherwise(pl.col(c)).alias(c)
        for c in ("name", "phone", "id_number")
    )
    table = masked.select(
        pl.col("customer_id").cast(pl.String),
        "name",
        "phone",
        "id_number",
        pl.col("branch_id").replace_strict(branch_names, default=None, return_dtype=pl.String).alias("branch"),
        pl.col("officer_id").replace_strict(officer_names, default=None, return_dtype=pl.String).alias("officer"),
        pl.col("town").replace_strict(town_labels or {}, default=pl.col("town")),
        pl.col("occupation").replace_strict(occupation_labels or {}, default=pl.col("occupation")),
        (as_of_year - pl.col("birth_year")).alias("age"),
        pl.col("tier").replace_strict(tier_labels, default=pl.col("tier")).alias("tier"),
        pl.col("rfm_segment").replace_strict(segment_labels, default=pl.col("rfm_segment")).alias("rfm_segment"),
        pl.col("aum").round(0),
        pl.col("p_alive").round(3),
        pl.col("clv").round(2),
    )  # fmt: skip
    missing = [c for c in table.columns if c not in headers]
    if missing:
        raise ValueError(f"no header for {missing}")
    return table.rename({c: headers[c] for c in table.columns})
