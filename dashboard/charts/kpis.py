"""Charts of the Weekly KPIs page and report: pure functions from frames and labels to plotly figures."""

from __future__ import annotations

from dataclasses import dataclass

import plotly.graph_objects as go
import polars as pl

from dashboard.charts.common import ACCENT, BAD, GREY, PRIMARY, TEMPLATE
from metrics.kpis import FLOW_KPIS, MONEY_KPIS

COLORS = {"value": PRIMARY, "prior_year": GREY, "target": ACCENT, "bad": BAD}


@dataclass(frozen=True)
class Axis:
    """How a KPI's numbers are shown: the divisor (10,000 for 万元), axis title, tick format, and
    whether the axis starts at 0 (flows) or follows the data (balances, so weekly moves show)."""

    divisor: float
    title: str
    tickformat: str
    from_zero: bool = True


def axis_for(kpi: str, lang: str, money_unit: str, count_unit: str) -> Axis:
    """Money in 万元 (one decimal) in Chinese and in CNY '000 in English, as on the cards."""
    from_zero = kpi in FLOW_KPIS
    if kpi in MONEY_KPIS:
        if lang == "zh":
            return Axis(10_000.0, money_unit, ",.1f", from_zero)
        return Axis(1_000.0, money_unit, ",.0f", from_zero)
    return Axis(1.0, count_unit, ",.0f", from_zero)


def trend_figure(
    trend: pl.DataFrame, *, title: str, axis: Axis, names: dict[str, str]
) -> go.Figure:
    """This year's line, last year's (dashed) and the target (dotted) per week.

    ``trend``: week_start, value, prior_year, target (``metrics.kpis.kpi_trend``); ``names`` gives
    the legend of "value", "prior_year" and "target". Lines with no data are left out.
    """
    fig = go.Figure()
    styles = {"value": "solid", "prior_year": "dash", "target": "dot"}
    x = trend["week_start"].to_list()
    for col, dash in styles.items():
        series = trend[col]
        if series.null_count() == series.len():
            continue
        y = [None if v is None else v / axis.divisor for v in series.to_list()]
        fig.add_trace(
            go.Scatter(
                x=x,
                y=y,
                name=names[col],
                mode="lines",
                line={"color": COLORS[col], "dash": dash, "width": 3 if col == "value" else 2},
                connectgaps=False,
                # the unified hover's header already gives the week: one line per series
                hovertemplate=f"%{{y:{axis.tickformat}}}<extra>{names[col]}</extra>",
            )
        )
    fig.update_layout(
        template=TEMPLATE,
        title={"text": title},
        height=360,
        margin={"l": 10, "r": 10, "t": 50, "b": 10},
        legend={"orientation": "h", "y": -0.15},
        yaxis={
            "title": {"text": axis.title},
            "tickformat": axis.tickformat,
            "rangemode": "tozero" if axis.from_zero else "normal",
            "automargin": True,
        },
        # the year in the ticks (52 weeks span two years); the unified hover's header is the
        # axis hoverformat, else plotly writes 'Nov 16, 2026' in English
        xaxis={"tickformat": "%Y-%m", "hoverformat": "%Y-%m-%d"},
        hovermode="x unified",
    )
    return fig


def ranking_figure(
    ranking: pl.DataFrame, *, title: str, names: dict[int, str], score_label: str
) -> go.Figure:
    """Horizontal bars of each branch's capped mean attainment (best on top), a line at 100%.

    ``ranking``: rank, branch_id, score (``metrics.kpis.branch_ranking``); branches without a
    score are left out.
    """
    rows = ranking.filter(pl.col("score").is_not_null()).sort("rank", descending=True)
    labels = [names.get(b, str(b)) for b in rows["branch_id"].to_list()]
    scores = rows["score"].to_list()
    fig = go.Figure(
        go.Bar(
            x=scores,
            y=labels,
            orientation="h",
            customdata=[[b] for b in rows["branch_id"].to_list()],  # the drill-down's key
            marker={"color": [COLORS["value"] if s >= 1 else COLORS["bad"] for s in scores]},
            text=[f"{s:.1%}" for s in scores],  # 99.6% is not 100%: it is below the line
            textposition="auto",
            hovertemplate=f"%{{y}}<br>{score_label}: %{{x:.1%}}<extra></extra>",
        )
    )
    fig.add_vline(x=1.0, line={"color": COLORS["target"], "dash": "dot"})
    fig.update_layout(
        template=TEMPLATE,
        title={"text": title},
        height=max(240, 28 * len(labels) + 80),
        margin={"l": 10, "r": 10, "t": 50, "b": 10},
        xaxis={"tickformat": ".0%", "title": {"text": score_label}},
        yaxis={"automargin": True},
        showlegend=False,
    )
    return fig


def attainment_figure(
    bank: pl.DataFrame, *, title: str, labels: dict[str, str], target_label: str
) -> go.Figure:
    """One bar per KPI with a target: attainment (value / target; outflows target / value), so that
    above the 100% line is good for every bar.

    ``bank``: kpi, attainment (``metrics.kpis.bank_kpis``); ``labels`` maps KPI codes to names
    and gives the order of the bars.
    """
    got = dict(zip(bank["kpi"].to_list(), bank["attainment"].to_list(), strict=True))
    # In the order of ``labels`` (the page's KPI order), then any other KPI.
    order = [k for k in labels if k in got] + [k for k in got if k not in labels]
    kpis = [k for k in order if got[k] is not None]
    values = [got[k] for k in kpis]
    good = [v >= 1 for v in values]
    fig = go.Figure(
        go.Bar(
            x=[labels.get(k, k) for k in kpis],
            y=values,
            marker={"color": [COLORS["value"] if g else COLORS["bad"] for g in good]},
            text=[f"{v:.1%}" for v in values],  # 99.6% is not 100%: it is below the line
            # a bar of no length (no new customer at all) has its 0.0% above it, not hidden
            textposition=["outside" if not v else "auto" for v in values],
            hovertemplate="%{x}: %{y:.1%}<extra></extra>",
        )
    )
    fig.add_hline(
        y=1.0, line={"color": COLORS["target"], "dash": "dot"}, annotation_text=target_label
    )
    fig.update_layout(
        template=TEMPLATE,
        title={"text": title},
        height=320,
        margin={"l": 10, "r": 10, "t": 50, "b": 10},
        # the KPI names under the bars make room for themselves (turned on their side when the
        # bars are narrow; a 10 px margin cut them to "Dep…")
        xaxis={"automargin": True},
        yaxis={"tickformat": ".0%", "automargin": True},
        showlegend=False,
    )
    return fig
