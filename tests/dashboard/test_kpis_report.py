"""The weekly HTML report: self-contained, in the reader's language, holding the week's figures."""

from __future__ import annotations

import re
from datetime import date, timedelta

import polars as pl
import pytest

from dashboard import report as rp
from metrics import kpis as km

W = date(2026, 11, 16)


def _report(lang: str) -> rp.WeeklyReport:
    weekly = pl.DataFrame(
        [
            (1, W, "deposit_balance", 123_456_789.0),
            (1, W - timedelta(weeks=1), "deposit_balance", 120_000_000.0),
            (1, W - timedelta(weeks=52), "deposit_balance", 100_000_000.0),
            (1, W, "new_customers", 1234.0),
            (1, W, "outflow_other_banks", 50_000.0),
        ],
        schema=list(km.WEEKLY_COLUMNS),
        orient="row",
    )
    targets = pl.DataFrame(
        [(1, W, "deposit_balance", 125_000_000.0)], schema=list(km.TARGET_COLUMNS), orient="row"
    )
    by_branch = km.branch_kpis(weekly, targets, week=W)
    ranking = km.branch_ranking(by_branch).with_columns(pl.lit("城关支行").alias("branch"))
    league = pl.DataFrame(
        {
            "rank": [1],
            "officer": ["王芳"],
            "branch": ["城关支行"],
            "conversions": [7],
            "new_customers": [3],
            "activities": [21],
            "lagging": [True],
        }
    )
    flags = pl.DataFrame(
        {
            "branch": ["城关支行"],
            "kpi": ["outflow_other_banks"],
            "reason": ["outflow_spike"],
            "change": [40_000.0],
            "adverse": [True],
        }
    )
    return rp.WeeklyReport(
        lang=lang,
        week=W,
        as_of=date(2026, 11, 22),
        selection="城关支行",
        bank=km.bank_kpis(weekly, targets, week=W),
        ranking=ranking,
        league=league,
        flags=flags,
        weekly=weekly.filter(pl.col("kpi") != "outflow_other_banks"),  # one trend fewer
        targets=targets,
    )


@pytest.fixture(scope="module")
def docs() -> dict[str, str]:
    return {lang: rp.build_weekly_report(_report(lang)) for lang in ("zh", "en")}


@pytest.mark.parametrize(
    ("lang", "expected"),
    [
        pytest.param(
            "zh",
            ["12,345.68万元", "+345.68万元 (+2.9%)", "+2,345.68万元 (+23.5%)", "5.00万元", "98.8%", "1,234",
             "资金外流异常增加", "王芳", "活动量偏低", "每周经营指标周报 2026-11-16 ~ 2026-11-22"],
            id="zh-wan",
        ),
        pytest.param(
            "en",
            ["CNY 123,456,789", "+CNY 3,456,789 (+2.9%)", "CNY 50,000", "98.8%", "1,234", "Outflow spike to other banks",
             "Low activity", "Weekly KPI report 2026-11-16 – 2026-11-22"],
            id="en-separators",
        ),
    ],
)  # fmt: skip
def test_report_holds_the_figures(docs: dict[str, str], lang: str, expected: list[str]) -> None:
    doc = docs[lang]
    for text in expected:
        assert text in doc, text


def test_report_is_self_contained(docs: dict[str, str]) -> None:
    for doc in docs.values():
        assert doc.startswith("<!DOCTYPE html>")
        assert rp.external_references(doc) == []
        assert not re.search(r"<script[^>]*\bsrc=", doc)
        assert not re.search(r"<link[^>]*\bhref=", doc)
        # plotly.js inlined exactly once, whatever the number of charts
        assert len(re.findall(r"plotly\.js v\d", doc)) == 1
        assert doc.count('class="plotly-graph-div"') == 3  # attainment + two trends


@pytest.mark.parametrize(
    "markup",
    [
        pytest.param('<img src="https://example.com/x.png">', id="img-src"),
        pytest.param(
            '<link rel="stylesheet" href="//cdn.example.com/a.css">', id="protocol-relative"
        ),
        pytest.param('<script src="https://cdn.plot.ly/plotly.min.js"></script>', id="script-src"),
        pytest.param("<style>body{background:url(http://x.org/a.png)}</style>", id="css-url"),
        pytest.param("<style>@import 'x.css';</style>", id="css-import"),
    ],
)
def test_external_references_are_caught(markup: str) -> None:
    assert rp.external_references(f"<html><body>{markup}</body></html>") != []


@pytest.mark.parametrize(
    ("kpi", "change", "rel", "text"),
    [
        pytest.param("deposit_balance", -21_530_000.0, -0.027, "-2,153.0万元 (-2.7%)", id="minus-leads"),
        pytest.param("new_customers", 3.0, None, "+3", id="count-no-pct"),
        pytest.param("new_customers", None, None, "—", id="missing"),
        pytest.param("conversions", 0.0, 0.0, "0 (0.0%)", id="zero"),
        pytest.param("mobile_signups", 0.3, None, "0", id="rounds-to-zero-no-sign"),
        pytest.param("mobile_signups", -0.4, None, "0", id="rounds-to-minus-zero-no-sign"),
    ],
)  # fmt: skip
def test_change_text(kpi: str, change: float | None, rel: float | None, text: str) -> None:
    assert rp.change_text(kpi, change, rel, "zh") == text


def test_report_has_every_label() -> None:
    """Every key the report reads exists in both languages (KeyError otherwise)."""
    for lang in ("zh", "en"):
        for kpi in rp.KPI_ORDER:
            assert rp.label(f"kpis.kpi_{kpi}", lang)
            assert rp.label(f"kpis.help_{kpi}", lang)
            stem = km.REASON_STEMS[kpi]
            assert rp.label(f"kpis.reason_{stem}_drop", lang)
            assert rp.label(f"kpis.reason_{stem}_spike", lang)


@pytest.mark.browser
def test_report_opens_offline_in_chromium(docs: dict[str, str], tmp_path) -> None:
    """Chromium opens the file, draws every chart, and requests nothing but the file itself."""
    from playwright.sync_api import sync_playwright

    file = tmp_path / "report.html"
    file.write_text(docs["zh"], encoding="utf-8")
    requests: list[str] = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=["--no-sandbox"])
        page = browser.new_page()
        page.on("request", lambda r: requests.append(r.url))
        page.goto(file.as_uri())
        page.wait_for_selector(".plotly-graph-div .main-svg", timeout=15_000)
        page.wait_for_timeout(500)
        drawn = page.locator(".plotly-graph-div:has(.main-svg)").count()
        browser.close()
    assert drawn == 3
    assert [u for u in requests if not u.startswith(("file:", "data:", "blob:"))] == []


@pytest.mark.parametrize(
    ("kpi", "value", "lang", "signed", "text"),
    [
        pytest.param("deposit_balance", 1_759_302_000.0, "zh", False, "175,930.2", id="zh-wan"),
        pytest.param("deposit_balance", 1_759_302_000.0, "en", False, "1,759,302", id="en-thousands"),
        pytest.param("outflow_other_banks", -52_000.0, "zh", True, "-5.2", id="signed-minus"),
        pytest.param("new_customers", 12.0, "en", True, "+12", id="count-plus"),
        pytest.param("conversions", 0.0, "zh", True, "0", id="zero"),
        pytest.param("aum", None, "zh", False, "—", id="missing"),
    ],
)  # fmt: skip
def test_card_text(kpi: str, value: float | None, lang: str, signed: bool, text: str) -> None:
    assert rp.card_text(kpi, value, lang, signed=signed) == text


def test_card_label_carries_the_unit() -> None:
    assert rp.card_label("deposit_balance", "zh") == "存款余额(万元)"
    assert rp.card_label("deposit_balance", "en") == "Deposit balance (CNY '000)"
    assert rp.card_label("new_customers", "zh") == "新增客户"


def test_a_table_column_keeps_one_money_unit() -> None:
    """'3,500元' beside '12.5万元' in one column misreads: the flags' columns use 万元 throughout."""
    from dashboard.report import change_text

    small = change_text("outflow_other_banks", 3_500.0, None, "zh", one_unit=True)
    large = change_text("deposit_balance", -125_000.0, None, "zh", one_unit=True)
    assert (small, large) == ("+0.35万元", "-12.50万元")
    assert change_text("outflow_other_banks", 3_500.0, None, "zh") == "+3,500元"  # cards vary
    assert change_text("conversions", 3.0, None, "zh", one_unit=True) == "+3"
