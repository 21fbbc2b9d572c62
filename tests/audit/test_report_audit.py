"""Audit of the weekly report (the one HTML file a branch president downloads): its KPI table —
each KPI's value, week-over-week change, target and attainment — and its branch-ranking table,
read back from the rendered file and compared with the figures recomputed in plain SQL, for the
whole bank and one branch, in the week holding 31 October and in the data's last week."""

from __future__ import annotations

import html
import re
from datetime import timedelta

import polars as pl
import pytest
import sqlalchemy as sa

from dashboard.format import pct
from dashboard.loaders.kpis import load_week_view
from dashboard.report import (
    KPI_ORDER,
    WeeklyReport,
    build_weekly_report,
    change_text,
    kpi_text,
    label,
)
from data_access.filters import Scope
from data_access.selection import Selection
from tests.audit.conftest import DATA_END
from tests.audit.test_kpis_audit import (
    WEEKS,
    _monthly_priors,
    page_league,
    sql_attainment,
    sql_branch_figures,
    sql_kpi,
    sql_target,
)

TABLES = re.compile(r"<table>(.*?)</table>", re.S)
HEADERS = re.compile(r"<th>(.*?)</th>", re.S)
ROWS = re.compile(r"<tbody>(.*?)</tbody>", re.S)
ROW = re.compile(r"<tr>(.*?)</tr>", re.S)
CELLS = re.compile(r"<td[^>]*>(.*?)</td>", re.S)


def _table(document: str, first_header: str) -> list[list[str]]:
    """The rows (cell texts) of the file's table whose first column is headed ``first_header``."""
    for table in TABLES.findall(document):
        headers = [html.unescape(h) for h in HEADERS.findall(table)]
        if headers and headers[0] == first_header:
            body = ROWS.search(table)
            rows = ROW.findall(body.group(1)) if body else []
            return [[html.unescape(c) for c in CELLS.findall(r)] for r in rows]
    raise AssertionError(f"no table headed {first_header!r}")


def _report(week, scope: Scope, lang: str) -> str:
    """The file as the KPI page builds it (dashboard/pages/kpis.py), branch and officer names
    left as numbers."""
    view = load_week_view(week, Selection(scope))
    league = page_league(week, scope).with_columns(
        pl.col("officer_id").cast(pl.String).alias("officer"),
        pl.col("branch_id").cast(pl.String).alias("branch"),
    )
    named = pl.col("branch_id").cast(pl.String).alias("branch")
    report = WeeklyReport(
        lang=lang,
        week=week,
        as_of=DATA_END,
        selection=scope.level,
        bank=view.bank,
        ranking=view.ranking.with_columns(named),
        league=league,
        flags=view.flags.with_columns(named),
        weekly=view.weekly,
        targets=view.targets,
    )
    return build_weekly_report(report)


@pytest.mark.parametrize("week", [WEEKS[0], WEEKS[1]], ids=[f"{WEEKS[0]}", f"{WEEKS[1]}"])
def test_weekly_report_file(bank: sa.Engine, largest_branch: int, week) -> None:
    for scope, lang in ((Scope.bank(), "zh"), (Scope.branch(largest_branch), "en")):
        where = f"{scope.level} {week}"
        document = _report(week, scope, lang)
        kpi_rows = _table(document, label("kpis.col_kpi", lang))
        ranking_rows = _table(document, label("kpis.col_rank", lang))  # the league comes after
        by_label = {r[0]: r for r in kpi_rows}
        for kpi in KPI_ORDER:
            value = sql_kpi(bank, kpi, week, scope)
            row = by_label[label(f"kpis.kpi_{kpi}", lang)]
            if kpi == "effective_customers":
                prev, _ = _monthly_priors(bank, week, scope, value)
            else:
                prev = sql_kpi(bank, kpi, week - timedelta(weeks=1), scope)
            target = sql_target(bank, kpi, week, scope)
            change = (value - prev) / abs(prev) if prev else None
            attainment = sql_attainment(kpi, value, target)
            assert row[1] == kpi_text(kpi, value, lang, one_unit=True), f"{where} {kpi}"
            assert row[2] == change_text(kpi, value - prev, change, lang, one_unit=True), (
                f"{where} {kpi}: change"
            )
            want_target = "—" if target is None else kpi_text(kpi, target, lang, one_unit=True)
            assert row[4] == want_target, f"{where} {kpi}: target"
            assert row[5] == pct(attainment), f"{where} {kpi}: attainment"
        # the ranking table of a branch president's file: the branch, its score, KPIs on target
        if scope.level == "branch":
            goods = [g for _, g in sql_branch_figures(bank, week, largest_branch).values()]
            goods = [g for g in goods if g is not None]
            assert [r[1:] for r in ranking_rows] == [
                [str(largest_branch), pct(sum(goods) / len(goods)),
                 f"{sum(g >= 1 for g in goods)} / {len(goods)}"]
            ], where  # fmt: skip
