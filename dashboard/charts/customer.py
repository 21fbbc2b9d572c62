"""Pure chart and table builders of the customer footprint page (no Streamlit).

Every label arrives as an argument, already translated; ``unit`` divides amounts (10,000 for 万元
in Chinese, 1 in English), so tests call these directly with literal frames.
"""

from __future__ import annotations

import plotly.graph_objects as go
import polars as pl

from dashboard.charts.common import PALETTE, TEMPLATE
from data_access.masking import mask_id_number, mask_name, mask_phone
from metrics.quality import application_contradictions, places_seen


def _layout(title: str, height: int = 340, **extra: object) -> dict[str, object]:
    """One layout dict (plotly validates a figure once when it is built whole, not per update)."""
    return {
        "template": TEMPLATE,
        "title": {"text": title, "x": 0, "font": {"size": 14}},
        "height": height,
        "margin": {"l": 10, "r": 10, "t": 40, "b": 10},
        # hang the legend from below the axis title: anchored at its bottom (plotly's default
        # there) a two-row legend grew upwards over the title ('周')
        "legend": {"orientation": "h", "yanchor": "top", "y": -0.25},
        **extra,
    }


# An amount axis in grouped digits, trailing zeros trimmed (20,000 / 0.5): plotly's default SI
# prefixes wrote 20,000 万元 as "20k", a thousand ten-thousands.
AMOUNT_TICKS = ",~f"


def weekly_by_kind(weekly: pl.DataFrame) -> pl.DataFrame:
    """Amount and count per week and kind (from the week × kind × channel × direction rows)."""
    return (
        weekly.group_by("week_start", "kind")
        .agg(pl.col("amount").sum(), pl.col("n").sum())
        .sort("week_start", "kind")
    )


def channel_mix(weekly: pl.DataFrame) -> pl.DataFrame:
    """Count and share of footprints per channel, largest first."""
    out = weekly.group_by("channel").agg(pl.col("n").sum(), pl.col("amount").sum())
    total = out["n"].sum()
    return out.with_columns((pl.col("n") / total if total else pl.lit(0.0)).alias("share")).sort(
        ["n", "channel"], descending=[True, False]
    )


def timeline_chart(
    weekly: pl.DataFrame,
    kind_labels: dict[str, str],
    *,
    title: str,
    x_title: str,
    y_title: str,
    unit: float = 1.0,
) -> go.Figure:
    """Stacked bars: amount per week, one colour per footprint kind (kinds in ``kind_labels`` order)."""
    by_kind = weekly_by_kind(weekly)
    present = set(by_kind["kind"].to_list())
    kinds = [k for k in kind_labels if k in present] + sorted(present - set(kind_labels))
    traces = []
    for i, kind in enumerate(kinds):
        part = by_kind.filter(pl.col("kind") == kind)
        traces.append(
            go.Bar(
                x=part["week_start"].to_list(),
                y=(part["amount"] / unit).to_list(),
                name=kind_labels.get(kind, kind),
                marker={"color": PALETTE[i % len(PALETTE)]},
                customdata=part["n"].to_list(),
                hovertemplate="%{x|%Y-%m-%d}: %{y:,.2f} (%{customdata})"
                "<extra>%{fullData.name}</extra>",
            )
        )
    # numeric dates: plotly's default ticks ('Jul 2026') are English month names in the Chinese UI
    layout = _layout(
        title,
        barmode="stack",
        xaxis_title=x_title,
        yaxis_title=y_title,
        xaxis_tickformat="%Y-%m-%d",
        yaxis_tickformat=AMOUNT_TICKS,
    )
    return go.Figure(data=traces, layout=layout)


def channel_chart(weekly: pl.DataFrame, channel_labels: dict[str, str], *, title: str) -> go.Figure:
    """Donut of footprint counts per channel."""
    mix = channel_mix(weekly)
    pie = go.Pie(
        labels=[channel_labels.get(c, c) for c in mix["channel"].to_list()],
        values=mix["n"].to_list(),
        hole=0.5,
        sort=False,
        marker={"colors": list(PALETTE[: mix.height])},
        # small slices' labels went outside and overlapped ('0.51%' over '1.03%'): inside or none
        textposition="inside",
        texttemplate="%{percent:.1%}",
    )
    layout = _layout(title, uniformtext={"minsize": 10, "mode": "hide"})
    return go.Figure(data=[pie], layout=layout)


def balance_chart(
    balances: pl.DataFrame,
    *,
    title: str,
    series: dict[str, str],
    x_title: str,
    y_title: str,
    unit: float = 1.0,
) -> go.Figure:
    """Lines of month-average AUM and loans; ``series`` maps 'aum' / 'loan_avg' to legend names."""
    traces = [
        go.Scatter(
            x=balances["month"].to_list(),
            y=(balances[col] / unit).to_list(),
            name=series[col],
            mode="lines+markers",
            line={"color": PALETTE[i]},
            hovertemplate="%{x|%Y-%m}<br>%{fullData.name}: %{y:,.2f}<extra></extra>",
        )
        for i, col in enumerate(("aum", "loan_avg"))
    ]
    layout = _layout(
        title,
        height=300,
        xaxis_title=x_title,
        yaxis_title=y_title,
        xaxis_tickformat="%Y-%m",
        xaxis_hoverformat="%Y-%m",
        yaxis_tickformat=AMOUNT_TICKS,
    )
    return go.Figure(data=traces, layout=layout)


def signal_counts_chart(
    counts: pl.DataFrame, signal_labels: dict[str, str], *, title: str
) -> go.Figure:
    """Horizontal bars: customers with each signal on (rows of ``fetch_signal_counts`` except '')."""
    rows = counts.filter(pl.col("code") != "")
    bar = go.Bar(
        x=rows["customers"].to_list(),
        y=[signal_labels.get(c, c) for c in rows["code"].to_list()],
        orientation="h",
        marker={"color": PALETTE[0]},
        text=rows["customers"].to_list(),
        textposition="auto",
        # '3,026' and a hover of label: count, not plotly's raw '(3026, 养老金客户)'
        texttemplate="%{x:,}",
        hovertemplate="%{y}: %{x:,}<extra></extra>",
    )
    return go.Figure(data=[bar], layout=_layout(title, height=300, yaxis={"autorange": "reversed"}))


# --- tables -------------------------------------------------------------------------------------

MASKERS = {"name": mask_name, "phone": mask_phone, "id_number": mask_id_number}


def profile_table(
    profile: dict[str, object],
    fields: tuple[str, ...],
    field_labels: dict[str, str],
    value_labels: dict[str, str],
    headers: tuple[str, str],
) -> pl.DataFrame:
    """Two columns (field, value) for the profile card; personal data masked, codes translated."""
    rows = []
    for f in fields:
        value = profile.get(f)
        if f in MASKERS:
            text = MASKERS[f](value) if value is not None else None
        elif value is None:
            text = None
        elif isinstance(value, float):
            text = f"{value:,.0f}"
        else:
            text = value_labels.get(f"{f}:{value}", str(value))
        rows.append((field_labels.get(f, f), text if text not in (None, "") else "—"))
    return pl.DataFrame(rows, schema=[headers[0], headers[1]], orient="row")


def coded_table(
    df: pl.DataFrame, codes: dict[str, dict[str, str]], headers: dict[str, str]
) -> pl.DataFrame:
    """Translate code columns (``codes`` maps column → code → label) and rename to ``headers``."""
    out = df.with_columns(
        pl.col(col).replace_strict(labels, default=pl.col(col)).alias(col)
        for col, labels in codes.items()
        if col in df.columns
    ).with_columns(
        # dates as the reader writes them (a Date column would show a midnight time)
        pl.col(pl.Date).dt.strftime("%Y-%m-%d"),
        pl.col(pl.Datetime).dt.strftime("%Y-%m-%d %H:%M"),
    )
    keep = [c for c in headers if c in out.columns]
    return out.select(keep).rename({c: headers[c] for c in keep})


def application_table(
    checks: pl.DataFrame,
    places: pl.DataFrame,
    ratio: float,
    codes: dict[str, dict[str, str]],
    headers: dict[str, str],
    warn: str = "⚠️",
    min_inflows: int = 0,
) -> pl.DataFrame:
    """Loan applications with the footprint evidence and a warning mark where it contradicts them.

    ``checks`` from ``fetch_application_checks``; ``places`` from ``fetch_places``; ``ratio`` the
    standard's income_contradiction_ratio, ``min_inflows`` its contradiction_min_inflows. Adds income_flag / place_flag (``warn`` or '') and
    places_seen, then translates ``codes`` and renames to ``headers`` (in that order).
    """
    flags = application_contradictions(checks, places, ratio, min_inflows).select(
        "application_id", "income_flag", "place_flag"
    )
    out = (
        checks.join(flags, on="application_id", how="left")
        .join(places_seen(places), on="customer_id", how="left")
        .with_columns(
            pl.when(pl.col(f).fill_null(False)).then(pl.lit(warn)).otherwise(pl.lit("")).alias(f)
            for f in ("income_flag", "place_flag")
        )
    )
    return coded_table(out, codes, headers)
