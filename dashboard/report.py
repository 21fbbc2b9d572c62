"""The weekly KPI report: one self-contained HTML file (inline CSS, plotly.js inlined once, no CDN),
rendered from dashboard/templates/weekly_report.html.j2 (Jinja2, autoescaped).

Built by a pure function from the frames the page already holds, so the download button can
generate it on demand (on another thread, where ``st.session_state`` is out of reach: labels come
from the catalog with an explicit language).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import NamedTuple

import jinja2
import plotly.graph_objects as go
import polars as pl

from dashboard.charts.kpis import attainment_figure, axis_for, trend_figure
from dashboard.format import count, money, money_in_one_unit, pct
from dashboard.i18n import catalog
from data_access.queries.kpis import TARGET_SCHEMA, WEEKLY_SCHEMA  # the frames the page loads
from metrics.codes import KPI_CODES
from metrics.kpis import LOWER_IS_BETTER, MONEY_KPIS, kpi_trend

KPI_ORDER = KPI_CODES  # the registry lists the cards in their order

TEMPLATES = Path(__file__).with_name("templates")
# Autoescaped: every label, name and number is text; only plotly's own chart markup is marked safe.
_JINJA = jinja2.Environment(
    loader=jinja2.FileSystemLoader(TEMPLATES),
    autoescape=True,
    undefined=jinja2.StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
)


def label(key: str, lang: str, **kwargs: object) -> str:
    """A translation in an explicit language (no session state needed)."""
    text = catalog()[key][lang]
    return text.format(**kwargs) if kwargs else text


def kpi_text(kpi: str, value: float | None, lang: str, *, one_unit: bool = False) -> str:
    """A KPI value as the reader expects it: money in 万元 / CNY, counts with separators.

    ``one_unit``: money always in 万元 (zh) / CNY, for a table column mixing sizes.
    """
    if kpi not in MONEY_KPIS:
        return count(value)
    return (money_in_one_unit if one_unit else money)(value, lang_code=lang)


def card_unit(kpi: str, lang: str) -> str:
    """The unit a card puts in its label ('万元' / "CNY '000"), empty for counts."""
    return label("kpis.card_unit", lang) if kpi in MONEY_KPIS else ""


def card_label(kpi: str, lang: str) -> str:
    """A card's label with the unit of its number: '存款余额(万元)', "Deposit balance (CNY '000)"."""
    name, unit = label(f"kpis.kpi_{kpi}", lang), card_unit(kpi, lang)
    if not unit:
        return name
    return f"{name}({unit})" if lang == "zh" else f"{name} ({unit})"


def card_text(kpi: str, value: float | None, lang: str, *, signed: bool = False) -> str:
    """A card's number without its unit (the unit sits in the label, so the value fits the card)."""
    if value is None:
        return "—"
    scaled = value / (10_000 if lang == "zh" else 1_000) if kpi in MONEY_KPIS else value
    digits = 1 if kpi in MONEY_KPIS and lang == "zh" else 0
    text = f"{abs(scaled):,.{digits}f}"
    # The sign leads: st.metric colours a delta by its first character.
    sign = (
        ("+" if value > 0 else "-" if value < 0 else "") if signed else ("-" if value < 0 else "")
    )
    return f"{sign}{text}"


def change_text(
    kpi: str, abs_change: float | None, rel: float | None, lang: str, *, one_unit: bool = False
) -> str:
    """'+12.5万元 (+3.1%)' — the signed change and its percentage (``one_unit``: see kpi_text)."""
    if abs_change is None:
        return "—"
    # The sign leads ("-CNY 1.2M", not "CNY -1.2M"): st.metric colours a delta by its first character.
    shown = kpi_text(kpi, abs(abs_change), lang, one_unit=one_unit)
    # a change that rounds to nothing carries no sign ('0', not '+0' for a typical 0.3)
    rounds_to_zero = not any(ch in "123456789" for ch in shown)
    sign = "" if rounds_to_zero else "+" if abs_change > 0 else "-" if abs_change < 0 else ""
    text = f"{sign}{shown}"
    return text if rel is None else f"{text} ({pct(rel, signed=True)})"


def is_good(kpi: str, change: float | None) -> bool | None:
    """Whether a change is good news (outflows: a fall is good)."""
    if change is None or change == 0:
        return None
    return (change < 0) if kpi in LOWER_IS_BETTER else (change > 0)


@dataclass(frozen=True)
class WeeklyReport:
    """What the report shows, already computed by the page (names resolved, frames small)."""

    lang: str
    week: date
    as_of: date
    selection: str
    bank: pl.DataFrame  # metrics.kpis.bank_kpis
    ranking: pl.DataFrame  # rank, branch, score, on_target, with_target
    league: pl.DataFrame  # rank, officer, branch, conversions, new_customers, activities, lagging
    flags: pl.DataFrame  # branch, kpi, reason, change
    # The weekly KPI frame and targets behind the trends (computed only when the file is built).
    weekly: pl.DataFrame = field(default_factory=lambda: pl.DataFrame(schema=WEEKLY_SCHEMA))
    targets: pl.DataFrame = field(default_factory=lambda: pl.DataFrame(schema=TARGET_SCHEMA))


class Cell(NamedTuple):
    """One table cell: its text and its classes ('num' right-aligns, 'good' / 'bad' colour)."""

    text: str
    classes: str = ""


class Table(NamedTuple):
    """Headers, rows of cells, and the sentence shown instead when there are no rows."""

    headers: list[str]
    rows: list[list[Cell]]
    empty: str = ""


def _num(text: str, cls: str = "") -> Cell:
    return Cell(text, " ".join(c for c in ("num", cls) if c))


def _headers(lg: str, *keys: str) -> list[str]:
    return [label(f"kpis.{k}", lg) for k in keys]


def _kpi_table(r: WeeklyReport) -> Table:
    lg = r.lang
    by_kpi = {row["kpi"]: row for row in r.bank.iter_rows(named=True)}
    rows = []
    for kpi in (k for k in KPI_ORDER if k in by_kpi):
        row = by_kpi[kpi]
        good = is_good(kpi, row["wow_abs"])
        target = row["target"]
        # one money unit down each column: a week's outflow of '3,500元' beside deposits of
        # '12,345.7万元' reads as the larger figure at a glance
        rows.append(
            [
                Cell(label(f"kpis.kpi_{kpi}", lg)),
                _num(kpi_text(kpi, row["value"], lg, one_unit=True)),
                _num(
                    change_text(kpi, row["wow_abs"], row["wow_pct"], lg, one_unit=True),
                    "" if good is None else ("good" if good else "bad"),
                ),
                _num(change_text(kpi, row["yoy_abs"], row["yoy_pct"], lg, one_unit=True)),
                _num(kpi_text(kpi, target, lg, one_unit=True) if target is not None else "—"),
                _num(pct(row["attainment"])),
            ]
        )
    keys = ("col_kpi", "col_value", "col_wow", "col_yoy", "col_target", "col_attainment")
    return Table(_headers(lg, *keys), rows)


def _ranking_table(r: WeeklyReport) -> Table:
    rows = [
        [
            _num("—" if row["rank"] is None else str(row["rank"])),
            Cell(row["branch"]),
            _num(pct(row["score"])),
            _num(f"{row['on_target']} / {row['with_target']}"),
        ]
        for row in r.ranking.iter_rows(named=True)
    ]
    return Table(_headers(r.lang, "col_rank", "col_branch", "col_score", "col_on_target"), rows)


def _league_table(r: WeeklyReport) -> Table:
    lg = r.lang
    rows = [
        [
            _num(str(row["rank"])),
            Cell(row["officer"]),
            Cell(row["branch"]),
            *(_num(count(row[k])) for k in ("conversions", "new_customers", "activities")),
            Cell(label("kpis.lagging", lg) if row["lagging"] else "", "bad"),
        ]
        for row in r.league.iter_rows(named=True)
    ]
    keys = (
        "col_rank",
        "col_officer",
        "col_branch",
        "col_conversions",
        "col_new_customers",
        "col_activities",
        "col_lagging",
    )
    return Table(_headers(lg, *keys), rows)


def _flags_table(r: WeeklyReport) -> Table:
    lg = r.lang
    rows = [
        [
            Cell(row["branch"]),
            Cell(label(f"kpis.kpi_{row['kpi']}", lg)),
            Cell(label(f"kpis.reason_{row['reason']}", lg), "bad" if row["adverse"] else ""),
            _num(change_text(row["kpi"], row["change"], None, lg, one_unit=True)),
        ]
        for row in r.flags.iter_rows(named=True)
    ]
    keys = ("col_branch", "col_kpi", "col_reason", "col_change")
    return Table(_headers(lg, *keys), rows, empty=label("kpis.no_flags", lg))


def report_figures(r: WeeklyReport) -> list[go.Figure]:
    """The attainment bars and one trend per KPI, in the report's language."""
    lg = r.lang
    names = {c: label(f"kpis.line_{c}", lg) for c in ("value", "prior_year", "target")}
    kpi_labels = {k: label(f"kpis.kpi_{k}", lg) for k in KPI_ORDER}
    figures = [
        attainment_figure(
            r.bank,
            title=label("kpis.attainment_title", lg),
            labels=kpi_labels,
            target_label=label("kpis.line_target", lg),
        )
    ]
    for kpi in KPI_ORDER:
        trend = kpi_trend(r.weekly, r.targets, kpi=kpi, week=r.week)
        if trend["value"].null_count() == trend.height:
            continue
        axis = axis_for(kpi, lg, label("kpis.unit_money", lg), label("kpis.unit_count", lg))
        figures.append(trend_figure(trend, title=kpi_labels[kpi], axis=axis, names=names))
    return figures


def build_weekly_report(r: WeeklyReport) -> str:
    """The whole report as one HTML document that loads nothing from the network."""
    lg = r.lang
    figures = report_figures(r)
    charts = [
        fig.to_html(
            full_html=False,
            include_plotlyjs=(i == 0),  # the library once, inline: no CDN on a closed intranet
            include_mathjax=False,
            config={"displaylogo": False, "responsive": True},
        )
        for i, fig in enumerate(figures)
    ]
    week_end = r.week + timedelta(days=6)
    title = label("kpis.report_title", lg, start=f"{r.week:%Y-%m-%d}", end=f"{week_end:%Y-%m-%d}")
    sections = [
        {"header": label("kpis.cards_header", lg), "table": _kpi_table(r), "chart": charts[0]},
        {"header": label("kpis.flags_header", lg), "table": _flags_table(r), "chart": None},
        {"header": label("kpis.ranking_header", lg), "table": _ranking_table(r), "chart": None},
        {"header": label("kpis.league_header", lg), "table": _league_table(r), "chart": None},
    ]
    return _JINJA.get_template("weekly_report.html.j2").render(
        html_lang="zh-CN" if lg == "zh" else "en",
        title=title,
        meta=label("kpis.report_meta", lg, selection=r.selection, day=f"{r.as_of:%Y-%m-%d}"),
        sections=sections,
        trends_header=label("kpis.trends_header", lg),
        trends=charts[1:],
    )


_SCRIPT = re.compile(r"<script\b[^>]*>.*?</script>", re.S | re.I)
_EXTERNAL = re.compile(
    r"""(?:\b(?:src|href|action|data)\s*=\s*["']?\s*(?:https?:)?//)|(?:url\(\s*["']?\s*(?:https?:)?//)|(?:@import)""",
    re.I,
)


def external_references(document: str) -> list[str]:
    """Markup that would make a browser fetch from another host: src/href/url() to http(s) or //.

    Script bodies are skipped (plotly.js holds URL strings it uses only for maps, which the
    report has none of); a ``<script src=…>`` tag itself is checked.
    """
    found = [m.group(0) for m in _EXTERNAL.finditer(_SCRIPT.sub("<script></script>", document))]
    found += [
        tag
        for tag in re.findall(r"<script\b[^>]*>", document, re.I)
        if re.search(r"\bsrc\s*=", tag, re.I)
    ]
    return found
