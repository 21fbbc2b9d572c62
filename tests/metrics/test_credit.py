"""Credit desk checks on literal applications: every check at its bar, severities, the rating and
the capped platform adjustment, precision and recall."""

from __future__ import annotations

import dataclasses
import math
from datetime import date, datetime
from typing import Any

import polars as pl
import pytest

from metrics.credit import (
    EVIDENCE_COLUMNS,
    credit_mismatches,
    precision_recall,
    rate_applications,
)
from metrics.standards import load_standards

STD = load_standards()
CREDIT = STD.credit
RATIO, MIN_IN = STD.alerts.income_contradiction_ratio, STD.alerts.contradiction_min_inflows


def app(**overrides: Any) -> dict[str, Any]:
    """An honest consumer-loan application with plenty of footprints, plus overrides."""
    row: dict[str, Any] = {
        "application_id": 1,
        "customer_id": 1,
        "product": "loan_consumer",
        "applied_on": date(2026, 11, 1),
        "declared_income": 60_000.0,
        "declared_business": "装修",
        "declared_place": "城关镇",
        "observed_inflow": 50_000.0,
        "inflow_count": 24,
        "declared_place_seen": 30,
        "place_count": 2,
        "places_seen": "城关镇 ×30, 青石镇 ×2",
        "pos_inflows": 0,
        "merchant_inflows": 0,
        "farm_footprints": 0,
        "business_circles": 0,
        "holds_pos": 0,
        "loans_due": 0,
        "repayments_seen": 0,
        "last_repayment_at": None,
        "instalments_due": 0,
        "platform_limit": 0.0,
        "platforms": 0,
    }
    return row | overrides


def frame(*rows: dict[str, Any]) -> pl.DataFrame:
    return pl.DataFrame(list(rows), schema=EVIDENCE_COLUMNS)


def checks(**overrides: Any) -> list[tuple[str, str]]:
    m = credit_mismatches(frame(app(**overrides)), RATIO, MIN_IN, CREDIT)
    return list(zip(m["check"], m["severity"], strict=True))


@pytest.mark.parametrize(
    ("overrides", "expected"),
    [
        pytest.param({}, [], id="honest"),
        pytest.param({"declared_income": 100_000.0}, [("income", "medium")], id="income-2x"),
        pytest.param({"declared_income": 99_999.0}, [], id="income-just-below"),
        pytest.param({"declared_income": 200_000.0}, [("income", "high")], id="income-4x"),
        pytest.param({"declared_income": 200_000.0, "inflow_count": 2}, [], id="too-few-credits"),
        pytest.param({"declared_place_seen": 0}, [("place", "medium")], id="place-never-seen"),
        pytest.param({"declared_place_seen": 0, "place_count": 0}, [], id="seen-nowhere"),
        pytest.param({"product": "loan_business"}, [("business", "medium")], id="business-no-trade"),
        pytest.param({"product": "loan_business", "pos_inflows": 3}, [], id="business-pos"),
        pytest.param({"product": "loan_business", "merchant_inflows": 1}, [], id="business-merchant"),
        pytest.param({"product": "loan_business", "business_circles": 1}, [], id="business-circle"),
        pytest.param({"product": "loan_business", "holds_pos": 1}, [], id="business-acquiring"),
        pytest.param({"product": "loan_agri"}, [("business", "low")], id="farm-nothing"),
        pytest.param({"product": "loan_agri", "farm_footprints": 2}, [], id="farm-subsidy"),
        pytest.param({"product": "loan_business", "inflow_count": 1}, [], id="business-too-few"),
        pytest.param({"loans_due": 1}, [("debt", "high")], id="loan-no-repayment"),
        pytest.param({"loans_due": 1, "repayments_seen": 4}, [], id="loan-repaid"),
        pytest.param({"loans_due": 1, "instalments_due": 1, "repayments_seen": 4,
                      "last_repayment_at": datetime(2026, 8, 3, 3)}, [], id="instalment-90-days"),
        pytest.param({"loans_due": 1, "instalments_due": 1, "repayments_seen": 4,
                      "last_repayment_at": datetime(2026, 8, 2, 3)}, [("debt", "high")],
                     id="instalment-91-days"),
        pytest.param({"loans_due": 1, "repayments_seen": 1,
                      "last_repayment_at": datetime(2025, 11, 20, 4)}, [], id="farm-loan-yearly"),
        pytest.param({"declared_income": 200_000.0, "loans_due": 2, "declared_place_seen": 0},
                     [("debt", "high"), ("income", "high"), ("place", "medium")], id="three"),
    ],
)  # fmt: skip
def test_each_check(overrides: dict[str, Any], expected: list[tuple[str, str]]) -> None:
    assert checks(**overrides) == expected


def test_evidence_names_the_footprints() -> None:
    m = credit_mismatches(
        frame(app(declared_income=150_000.0, declared_place="广州", declared_place_seen=0)),
        RATIO,
        MIN_IN,
        CREDIT,
    )
    by = {r["check"]: r for r in m.iter_rows(named=True)}
    assert by["income"]["evidence_zh"] == (
        "申报年收入 150,000 元,申请前12个月入账 24 笔、合计 50,000 元(申报为入账的 3.0 倍)"
    )
    assert "declared place '广州' never appears" in by["place"]["evidence_en"]
    assert "城关镇 ×30" in by["place"]["evidence_en"]


def test_debt_evidence_says_which_look_back() -> None:
    m = credit_mismatches(
        frame(
            app(application_id=1, loans_due=2),
            app(application_id=2, loans_due=1, instalments_due=1, repayments_seen=3,
                last_repayment_at=datetime(2026, 6, 25, 5)),
        ),
        RATIO,
        MIN_IN,
        CREDIT,
    )  # fmt: skip
    assert m["evidence_en"].to_list() == [
        "2 loan(s) held here, but no repayment seen in the 365 days before",
        "1 loan(s) repaid by monthly instalments held here, but no repayment in the 90 days "
        "before (last repayment: 2026-06-25)",
    ]
    assert m["evidence_zh"][1] == (
        "持有本行分期还款贷款 1 笔,申请前 90 天内未见还款(上次还款:2026-06-25)"
    )


def test_rating_and_capped_platform_adjustment() -> None:
    ev = frame(
        app(application_id=1),
        app(application_id=2, declared_income=200_000.0, platform_limit=30_000.0, platforms=2),
        app(application_id=3, loans_due=1, declared_place_seen=0, platform_limit=500_000.0),
    )
    m = credit_mismatches(ev, RATIO, MIN_IN, CREDIT)
    r = rate_applications(ev, m, CREDIT).sort("application_id")
    assert r["mismatches"].to_list() == [0, 1, 2]
    assert r["worst"].to_list() == [None, "high", "high"]
    assert r["rating"].to_list() == [100.0, 70.0, 55.0]  # 100 − 30; 100 − 30 − 15
    assert r["platform_points"].to_list() == [0.0, 3.0, 5.0]  # 1 point per 10,000; cap 5
    assert r["rating_with_platforms"].to_list() == [100.0, 73.0, 60.0]  # never above 100


def test_cap_comes_from_the_standard() -> None:
    tight = dataclasses.replace(CREDIT, platform_adjustment_cap=1.0)
    ev = frame(app(platform_limit=80_000.0))
    r = rate_applications(ev, credit_mismatches(ev, RATIO, MIN_IN, tight), tight)
    assert r["platform_points"].to_list() == [1.0]


def test_missing_columns_are_named() -> None:
    with pytest.raises(ValueError, match="loans_due"):
        credit_mismatches(frame(app()).drop("loans_due"), RATIO, MIN_IN, CREDIT)


def test_precision_recall() -> None:
    r = precision_recall({1, 2, 3, 4}, {2, 3, 5})
    assert (r["precision"], r["recall"]) == (0.5, 2 / 3)
    assert math.isnan(precision_recall(set(), {1})["precision"])
