"""Footprint signals: the booleans of ``standards.signals``, computed from per-customer features.

Input (one row per customer; what ``data_access.queries.signals`` aggregates in SQL):
``customer_id``, optional ``branch_id`` / ``officer_id``, and the feature columns of
``FEATURE_COLUMNS`` (nulls mean "nothing observed"). Output: ``customer_id`` (+ branch/officer)
and one Boolean column per signal code, in the standard's order. The rules follow the signal
descriptions in metrics/standards.toml; the outflow share comes from ``standards.alerts``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import polars as pl

from metrics.standards import Standards

# Car owner: a receipt of this grade or better, or this many litres in one fill ("95# or better,
# or 50 L or more" in the standard's description).
CAR_MIN_FUEL_GRADE = 95
CAR_MIN_LITRES = 50.0

FEATURE_COLUMNS: dict[str, pl.DataType] = {
    "fuel_max_grade": pl.Int64,
    "fuel_max_litres": pl.Float64,
    "fuel_receipts": pl.Int64,
    "vehicles": pl.Int64,
    "business_circles": pl.Int64,
    "holds_pos": pl.Boolean,
    "holds_business_loan": pl.Boolean,
    "remittances_12m": pl.Int64,
    "remittance_amount_12m": pl.Float64,
    "pensions_3m": pl.Int64,
    "out_total_90d": pl.Float64,
    "out_other_90d": pl.Float64,
    "consented_platforms": pl.Int64,
    "max_platform_limit": pl.Float64,
    "family_events_12m": pl.Int64,
}
_ZERO_FILLED = tuple(c for c in FEATURE_COLUMNS if c not in ("fuel_max_grade", "fuel_max_litres"))


def outflow_share_expr() -> pl.Expr:
    """Share of money out (90 days) that went to other banks / platforms; null when nothing went out."""
    total = pl.col("out_total_90d")
    return pl.when(total > 0).then(pl.col("out_other_90d") / total).otherwise(None)


def _rules(standards: Standards) -> dict[str, pl.Expr]:
    share = standards.alerts.outflow_share
    return {
        "car_owner": (pl.col("fuel_max_grade") >= CAR_MIN_FUEL_GRADE).fill_null(False)
        | (pl.col("fuel_max_litres") >= CAR_MIN_LITRES).fill_null(False)
        | (pl.col("vehicles") > 0),
        "merchant": pl.col("holds_pos")
        | pl.col("holds_business_loan")
        | (pl.col("business_circles") > 0),
        "migrant_family": pl.col("remittances_12m") > 0,
        "pensioner": pl.col("pensions_3m") > 0,
        "outflow_risk": (outflow_share_expr() > share).fill_null(False),
        "internet_credit": pl.col("consented_platforms") > 0,
        "family_event": pl.col("family_events_12m") > 0,
    }


def prepare_features(features: pl.DataFrame) -> pl.DataFrame:
    """Check the feature columns, cast them, and read missing counts and flags as zero / False."""
    missing = [c for c in ("customer_id", *FEATURE_COLUMNS) if c not in features.columns]
    if missing:
        raise ValueError(f"signal features lack columns {missing}")
    return features.with_columns(
        [pl.col(c).cast(t) for c, t in FEATURE_COLUMNS.items()]
    ).with_columns(
        [
            pl.col(c).fill_null(False if FEATURE_COLUMNS[c] == pl.Boolean else 0)
            for c in _ZERO_FILLED
        ]
    )


def compute_signals(features: pl.DataFrame, standards: Standards) -> pl.DataFrame:
    """One Boolean column per signal of the standard, per customer (keeps branch_id / officer_id)."""
    rules = _rules(standards)
    unknown = [s.code for s in standards.signals if s.code not in rules]
    if unknown:
        raise ValueError(f"signals {unknown} in the standard have no rule in metrics/signals.py")
    keep = [c for c in ("customer_id", "branch_id", "officer_id") if c in features.columns]
    return prepare_features(features).select(
        *keep, *[rules[s.code].alias(s.code) for s in standards.signals]
    )


# --- evidence for one customer: which footprints make each signal ---------------------------------


def _n(value: float | None) -> str:
    return f"{value:,.0f}"


def _car(r: dict[str, Any]) -> list[tuple[str, str]]:
    out = []
    if (r["fuel_max_grade"] or 0) >= CAR_MIN_FUEL_GRADE:
        out.append((f"加油小票 {r['fuel_max_grade']}#", f"fuel receipt of {r['fuel_max_grade']}#"))
    if (r["fuel_max_litres"] or 0) >= CAR_MIN_LITRES:
        litres = _n(r["fuel_max_litres"])
        out.append((f"单次加油 {litres} 升", f"{litres} L in one fill"))
    if r["vehicles"] > 0:
        out.append((f"登记车辆 {r['vehicles']} 条", f"{r['vehicles']} vehicle record(s)"))
    return out


def _merchant(r: dict[str, Any]) -> list[tuple[str, str]]:
    out = []
    if r["holds_pos"]:
        out.append(("持有 POS 收单", "holds a POS terminal"))
    if r["holds_business_loan"]:
        out.append(("持有经营贷", "holds a business loan"))
    if r["business_circles"] > 0:
        n = r["business_circles"]
        out.append((f"生意圈记录 {n} 条", f"{n} business-circle note(s)"))
    return out


def _migrant(r: dict[str, Any]) -> list[tuple[str, str]]:
    n, amount = r["remittances_12m"], _n(r["remittance_amount_12m"])
    if n <= 0:
        return []
    return [
        (
            f"近12个月收到异地汇款 {n} 笔,合计 {amount} 元",
            f"{n} remittance(s) received in 12 months, CNY {amount} in total",
        )
    ]


def _pension(r: dict[str, Any]) -> list[tuple[str, str]]:
    n = r["pensions_3m"]
    return [(f"近3个月养老金入账 {n} 笔", f"{n} pension credit(s) in 3 months")] if n > 0 else []


def _outflow(r: dict[str, Any]) -> list[tuple[str, str]]:
    total = r["out_total_90d"]
    if not total or not r["out_other_90d"]:
        return []
    share = r["out_other_90d"] / total
    return [
        (
            f"近90天转出资金的 {share:.0%} 流向他行或互联网平台({_n(r['out_other_90d'])} 元)",
            f"{share:.0%} of money out in 90 days went to other banks or platforms "
            f"(CNY {_n(r['out_other_90d'])})",
        )
    ]


def _internet(r: dict[str, Any]) -> list[tuple[str, str]]:
    n = r["consented_platforms"]
    if n <= 0:
        return []
    top = _n(r["max_platform_limit"] or 0)
    return [
        (
            f"{n} 个互联网平台授信(客户授权展示),最高 {top} 元",
            f"credit lines on {n} platform(s) shown with consent, highest CNY {top}",
        )
    ]


def _family(r: dict[str, Any]) -> list[tuple[str, str]]:
    n = r["family_events_12m"]
    return [(f"近12个月家庭大事 {n} 件", f"{n} family event(s) in 12 months")] if n > 0 else []


EVIDENCE: dict[str, Callable[[dict[str, Any]], list[tuple[str, str]]]] = {
    "car_owner": _car,
    "merchant": _merchant,
    "migrant_family": _migrant,
    "pensioner": _pension,
    "outflow_risk": _outflow,
    "internet_credit": _internet,
    "family_event": _family,
}

EVIDENCE_SCHEMA = {
    "code": pl.String,
    "label_zh": pl.String,
    "label_en": pl.String,
    "description": pl.String,
    "active": pl.Boolean,
    "evidence_zh": pl.String,
    "evidence_en": pl.String,
}


def signal_evidence(features: pl.DataFrame, standards: Standards) -> pl.DataFrame:
    """For one customer (a 1-row feature frame): each signal, whether it is on, and the footprints seen.

    Output columns: EVIDENCE_SCHEMA, one row per signal in the standard's order. Evidence lists what
    was observed even when it falls short of the signal's bar (e.g. an outflow share below the alert).
    """
    if features.height != 1:
        raise ValueError(
            f"signal_evidence needs one customer's features, got {features.height} rows"
        )
    flags = compute_signals(features, standards).row(0, named=True)
    row = prepare_features(features).row(0, named=True)
    rows = []
    for s in standards.signals:
        items = EVIDENCE[s.code](row)
        rows.append(
            {
                "code": s.code,
                "label_zh": s.label_zh,
                "label_en": s.label_en,
                "description": s.description,
                "active": flags[s.code],
                "evidence_zh": ";".join(zh for zh, _ in items),
                "evidence_en": "; ".join(en for _, en in items),
            }
        )
    return pl.DataFrame(rows, schema=EVIDENCE_SCHEMA)
