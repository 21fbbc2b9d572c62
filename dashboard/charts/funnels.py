"""Pure chart and table builders of the funnels page (no Streamlit): frames in, figures / bytes out.

Every label arrives as an argument, already translated, so tests can call these directly.
"""

from __future__ import annotations

import plotly.graph_objects as go
import polars as pl

from dashboard.charts.common import ACCENT, MUTED, PALE, PRIMARY, standard_layout
from data_access.masking import mask_frame


def _layout(fig: go.Figure, height: int = 360) -> go.Figure:
    return standard_layout(fig, height, legend_y=-0.15)  # funnel legends sit a little higher


def funnel_chart(
    counts: pl.DataFrame,
    stage_labels: dict[str, str],
    rate_words: tuple[str, str] = ("of first", "of previous"),
) -> go.Figure:
    """Plotly funnel of ``customers`` per ``stage`` (from ``metrics.funnels.stage_counts``).

    ``rate_words`` name the two percentages in the reader's language (plotly's own are English).
    """
    of_first, of_previous = rate_words
    text = (
        f"%{{value:,}}<br>%{{percentInitial:.1%}} {of_first}"
        f"<br>%{{percentPrevious:.1%}} {of_previous}"
    )
    fig = go.Figure(
        go.Funnel(
            y=[stage_labels.get(s, s) for s in counts["stage"].to_list()],
            x=counts["customers"].to_list(),
            texttemplate=text,
            # the default hover says 'of initial', 'of previous', 'of total' in English
            hovertemplate=f"%{{y}}<br>{text}<extra></extra>",
            marker={"color": PRIMARY},
            customdata=[[i] for i in range(counts.height)],  # the step a click drills to
        )
    )
    return _layout(fig).update_layout(dragmode=False)


def rates_table(
    counts: pl.DataFrame, stage_labels: dict[str, str], headers: dict[str, str]
) -> pl.DataFrame:
    """The conversion table: stage label, customers, % vs first, % vs previous (as 0–100 numbers).

    ``headers`` maps ``stage, customers, rate_vs_first, rate_vs_previous`` to column titles.
    """
    return counts.select(
        pl.col("stage")
        .replace_strict(stage_labels, default=pl.col("stage"))
        .alias(headers["stage"]),
        pl.col("customers").alias(headers["customers"]),
        (pl.col("rate_vs_first") * 100).round(1).alias(headers["rate_vs_first"]),
        (pl.col("rate_vs_previous") * 100).round(1).alias(headers["rate_vs_previous"]),
    )


def breakdown_chart(
    table: pl.DataFrame,
    group_labels: dict[str, str],
    *,
    first: str,
    conversion_title: str,
    count_title: str,
    max_groups: int = 25,
) -> go.Figure:
    """Horizontal bars of conversion (%) per group, largest groups (by ``first`` stage) shown.

    Input: ``metrics.funnels.breakdown`` (``group``, one column per stage, ``conversion``).
    """
    top = table.head(max_groups).reverse()  # plotly draws the first bar at the bottom
    names = [group_labels.get(g, g) for g in top["group"].to_list()]
    conversion = [None if c is None else round(c * 100, 1) for c in top["conversion"].to_list()]
    fig = go.Figure(
        go.Bar(
            x=conversion,
            y=names,
            orientation="h",
            marker={"color": PRIMARY},
            customdata=top[first].to_list(),
            text=[None if c is None else f"{c:.1f}%" for c in conversion],
            # a bar of no length has no inside: its "0.0%" goes beside it, or the group reads
            # as missing
            textposition=["outside" if not c else "auto" for c in conversion],
            hovertemplate=f"%{{y}}<br>{conversion_title}: %{{x:.1f}}%<br>{count_title}: %{{customdata:,}}<extra></extra>",
        )
    )
    fig.update_xaxes(title=conversion_title, ticksuffix="%", rangemode="tozero")
    return _layout(fig, height=max(260, 28 * len(names) + 80))


def breakdown_table(
    table: pl.DataFrame,
    group_labels: dict[str, str],
    stages: tuple[str, ...] | list[str],
    stage_labels: dict[str, str],
    group_title: str,
    conversion_title: str,
) -> pl.DataFrame:
    """The breakdown as a table: group label, customers per stage, conversion (0–100)."""
    return table.select(
        pl.col("group").replace_strict(group_labels, default=pl.col("group")).alias(group_title),
        *(pl.col(s).alias(stage_labels.get(s, s)) for s in stages),
        (pl.col("conversion") * 100).round(1).alias(conversion_title),
    )


def time_to_convert_chart(
    histogram: pl.DataFrame,
    median: float | None,
    *,
    days_title: str,
    count_title: str,
    median_label: str,
) -> go.Figure:
    """Bars of converted customers per bin of days, with the median as a vertical line."""
    starts = histogram["bin_start"].to_list()
    widths = [e - s for s, e in zip(starts, histogram["bin_end"].to_list(), strict=True)]
    fig = go.Figure(
        go.Bar(
            x=[s + w / 2 for s, w in zip(starts, widths, strict=True)],
            y=histogram["customers"].to_list(),
            width=widths,
            marker={"color": MUTED, "line": {"color": PRIMARY, "width": 1}},
            name=count_title,
            hovertemplate=f"{days_title}: %{{x}}<br>{count_title}: %{{y}}<extra></extra>",
        )
    )
    if median is not None:
        fig.add_vline(
            x=median,
            line={"color": ACCENT, "width": 2, "dash": "dash"},
            annotation_text=f"{median_label} {median:.1f}",
            annotation_position="top right",
        )
    fig.update_xaxes(title=days_title, rangemode="tozero")
    # whole customers: two at most read as ticks 0, 0.5, 1, 1.5, 2
    most = int(histogram["customers"].max() or 0)
    fig.update_yaxes(title=count_title, tick0=0, dtick=max(1, -(-most // 5)), rangemode="tozero")
    return _layout(fig)


def trend_chart(
    trend: pl.DataFrame, *, targeted_title: str, conversion_title: str, incomplete_label: str
) -> go.Figure:
    """Targeted customers per entry week (bars) and their conversion (line); weeks whose window
    has not fully passed are drawn pale and named ``incomplete_label``."""
    weeks = [w.isoformat() for w in trend["entry_week"].to_list()]
    complete = trend["complete"].to_list()
    fig = go.Figure()
    fig.add_bar(
        x=weeks,
        y=trend["targeted"].to_list(),
        name=targeted_title,
        marker={"color": [MUTED if c else PALE for c in complete]},
        hovertemplate=f"%{{x}}<br>{targeted_title}: %{{y:,}}<extra></extra>",
    )
    conversion = [None if c is None else round(c * 100, 1) for c in trend["conversion"].to_list()]
    fig.add_scatter(
        x=weeks,
        y=[c if ok else None for c, ok in zip(conversion, complete, strict=True)],
        name=conversion_title,
        mode="lines+markers",
        line={"color": PRIMARY},
        yaxis="y2",
        hovertemplate=f"%{{x}}<br>{conversion_title}: %{{y:.1f}}%<extra></extra>",
    )
    if not all(complete):
        fig.add_scatter(
            x=weeks,
            y=[None if ok else c for c, ok in zip(conversion, complete, strict=True)],
            name=incomplete_label,
            mode="markers",
            marker={"color": PRIMARY, "symbol": "circle-open", "size": 9},
            yaxis="y2",
            hovertemplate=f"%{{x}}<br>{incomplete_label}: %{{y:.1f}}%<extra></extra>",
        )
    fig.update_layout(
        # weeks as categories: plotly would read ISO dates as a time axis and widen a lone bar
        xaxis={"type": "category"},
        # conversion on the overlaying axis: plotly draws it above the bars, which hid the points
        yaxis={"title": targeted_title, "side": "right", "showgrid": False},
        yaxis2={
            "title": conversion_title,
            "ticksuffix": "%",
            "rangemode": "tozero",
            "overlaying": "y",
            "side": "left",
            # own round ticks ('1%'), not ones synced to the bars' grid ('0.931%')
            "tickmode": "auto",
        },
    )
    return _layout(fig)


def call_list(
    dropped: pl.DataFrame,
    headers: dict[str, str],
    stage_labels: dict[str, str],
    campaign_labels: dict[int, str] | None = None,
) -> pl.DataFrame:
    """The masked call list: officer, customer (张*), phone (138****1234), last stage and when.

    Input: ``data_access.queries.funnels.fetch_drop_list``. ``headers`` maps ``officer_name,
    customer_id, name, phone, last_stage, last_stage_at`` (and ``campaign`` when
    ``campaign_labels`` is given: the list then spans campaigns) to column titles.
    """
    masked = mask_frame(dropped, {"name": "name", "phone": "phone"}).with_columns(
        # a missing phone stays empty (the column masker turns null into a run of stars)
        pl.when(dropped[c].is_null()).then(None).otherwise(pl.col(c)).alias(c)
        for c in ("name", "phone")
    )
    campaign = (
        [
            pl.col("campaign_id")
            .replace_strict(campaign_labels, default=pl.col("campaign_id").cast(pl.String))
            .alias(headers["campaign"])
        ]
        if campaign_labels is not None
        else []
    )
    return masked.select(
        pl.col("officer_name").fill_null("—").alias(headers["officer_name"]),
        *campaign,
        pl.col("customer_id").alias(headers["customer_id"]),
        pl.col("name").alias(headers["name"]),
        pl.col("phone").alias(headers["phone"]),
        pl.col("last_stage")
        .replace_strict(stage_labels, default=pl.col("last_stage"))
        .alias(headers["last_stage"]),
        pl.col("last_stage_at").dt.strftime("%Y-%m-%d").alias(headers["last_stage_at"]),
    )


def per_officer(dropped: pl.DataFrame) -> pl.DataFrame:
    """Customers to call per officer (``officer_id``, ``officer_name``, ``calls``), most first;
    customers without an officer form one row with a null id."""
    return (
        dropped.group_by("officer_id")
        .agg(pl.col("officer_name").first(), pl.len().cast(pl.Int64).alias("calls"))
        .sort(["calls", "officer_id"], descending=[True, False], nulls_last=True)
    )
