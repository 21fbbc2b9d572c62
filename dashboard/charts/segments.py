"""Pure chart and table builders of the value-segments page (no Streamlit): frames in, figures out.

Every label arrives as an argument, already translated, so tests can call these directly.
"""

from __future__ import annotations

import plotly.graph_objects as go
import polars as pl

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


def treemap(
    breakdown: pl.DataFrame,
    tier_labels: dict[str, str],
    segment_labels: dict[str, str],
    *,
    root_label: str,
    size_by: str = "customers",
    hover_customers: str = "customers",
    hover_aum: str = "AUM",
) -> go.Figure:
    """Treemap of tier → RFM segment sized by ``size_by`` (customers or aum) of a breakdown frame
    (tier, rfm_segment, customers, aum, clv)."""
    if size_by not in ("customers", "aum", "clv"):
        raise ValueError(f"cannot size a treemap by {size_by!r}")
    ids, labels, parents, values, customers, aum, colors = [], [], [], [], [], [], []
    total = breakdown.select(pl.col(size_by).sum()).item() or 0
    ids.append("all")
    labels.append(root_label)
    parents.append("")
    values.append(float(total))
    customers.append(int(breakdown["customers"].sum() or 0))
    aum.append(float(breakdown["aum"].sum() or 0.0))
    colors.append("#ffffff")
    tiers = breakdown.group_by("tier").agg(
        pl.col(size_by).sum(),
        pl.col("customers").sum().alias("_c"),
        pl.col("aum").sum().alias("_a"),
    )
    order = {code: i for i, code in enumerate(tier_labels)}
    tiers = tiers.sort(pl.col("tier").replace_strict(order, default=len(order)))
    for row in tiers.iter_rows(named=True):
        ids.append(f"t:{row['tier']}")
        labels.append(tier_labels.get(row["tier"], row["tier"]))
        parents.append("all")
        values.append(float(row[size_by]))
        customers.append(int(row["_c"]))
        aum.append(float(row["_a"]))
        colors.append(TIER_COLORS.get(row["tier"], "#888888"))
    for row in breakdown.iter_rows(named=True):
        ids.append(f"t:{row['tier']}/s:{row['rfm_segment']}")
        labels.append(segment_labels.get(row["rfm_segment"], row["rfm_segment"]))
        parents.append(f"t:{row['tier']}")
        values.append(float(row[size_by]))
        customers.append(int(row["customers"]))
        aum.append(float(row["aum"]))
        colors.append(TIER_COLORS.get(row["tier"], "#888888"))
    fig = go.Figure(
        go.Treemap(
            ids=ids,
            labels=labels,
            parents=parents,
            values=values,
            branchvalues="total",
            marker={"colors": colors},
            customdata=list(zip(customers, aum, strict=True)),
            hovertemplate=(
                f"<b>%{{label}}</b><br>{hover_customers}: %{{customdata[0]:,}}"
                f"<br>{hover_aum}: %{{customdata[1]:,.0f}}<extra></extra>"
            ),
            # one decimal: plotly's own percent shows three significant digits ("0.455%")
            texttemplate="%{label}<br>%{percentRoot:.1%}",
        )
    )
    fig.update_layout(height=420, margin={"l": 5, "r": 5, "t": 30, "b": 5})
    return fig


def cell_grid(
    breakdown: pl.DataFrame,
    tier_labels: dict[str, str],
    segment_labels: dict[str, str],
    *,
    size_by: str = "customers",
    hover_customers: str = "customers",
    hover_aum: str = "AUM",
) -> go.Figure:
    """RFM segment (rows, in the standard's order from the top) × tier (columns, lowest left) as
    one square per non-empty cell, sized by ``size_by`` and labelled with its customers; each
    point's customdata is ``[tier, rfm_segment]``, what a click on it drills to (a treemap's
    click only zooms). Eleven segments as columns beside the treemap left 30 px a column: the
    counts ran into each other and the slanted names overlapped; as rows each reads on its own."""
    if size_by not in ("customers", "aum", "clv"):
        raise ValueError(f"cannot size a grid by {size_by!r}")
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
                f"<b>%{{x}} · %{{y}}</b><br>{hover_customers}: %{{customdata[2]:,}}"
                f"<br>{hover_aum}: %{{customdata[3]:,.0f}}<extra></extra>"
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
