"""Footprint signals from per-customer features: each rule at its bar, evidence, and invariants."""

from __future__ import annotations

import dataclasses

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from metrics.footprint_rules import load_rules
from metrics.signals import compute_signals, feature_columns, signal_evidence
from metrics.standards import load_standards

STD = load_standards()
FEATURE_COLUMNS = feature_columns(load_rules())
CODES = [s.code for s in STD.signals]


def features(**overrides: object) -> dict[str, object]:
    """One customer with nothing observed, plus overrides."""
    row: dict[str, object] = {
        "customer_id": 1,
        "fuel_max_grade": None,
        "fuel_max_litres": None,
        "fuel_receipts": 0,
        "fuel_receipts_recent": 0.0,
        "vehicles": 0,
        "business_circles": 0,
        "holds_pos": 0,
        "holds_business_loan": 0,
        "remittances_12m": 0,
        "remittance_amount_12m": 0.0,
        "pensions_3m": 0,
        "out_total_90d": 0.0,
        "out_other_90d": 0.0,
        "consented_platforms": 0,
        "max_platform_limit": None,
        "family_events_12m": 0,
    }
    row.update(overrides)
    return row


def frame(*rows: dict[str, object]) -> pl.DataFrame:
    return pl.DataFrame(list(rows), schema={"customer_id": pl.Int64, **FEATURE_COLUMNS})


def active(row: dict[str, object]) -> set[str]:
    out = compute_signals(frame(row), STD).row(0, named=True)
    return {c for c in CODES if out[c]}


@pytest.mark.parametrize(
    ("overrides", "expected"),
    [
        pytest.param({}, set(), id="nothing-observed"),
        pytest.param({"fuel_max_grade": 95, "fuel_max_litres": 30.0}, {"car_owner"}, id="fuel-95"),
        pytest.param({"fuel_max_grade": 92, "fuel_max_litres": 49.9}, set(), id="fuel-92-small"),
        pytest.param({"fuel_max_grade": 92, "fuel_max_litres": 50.0}, {"car_owner"}, id="fuel-50L"),
        pytest.param({"vehicles": 1}, {"car_owner"}, id="vehicle"),
        pytest.param({"holds_pos": 1}, {"merchant"}, id="pos"),
        pytest.param({"holds_business_loan": 1}, {"merchant"}, id="business-loan"),
        pytest.param({"business_circles": 2}, {"merchant"}, id="business-circle"),
        pytest.param({"remittances_12m": 1}, {"migrant_family"}, id="remittance"),
        pytest.param({"pensions_3m": 3}, {"pensioner"}, id="pension"),
        pytest.param(
            {"out_total_90d": 1000.0, "out_other_90d": 500.0}, set(), id="outflow-at-bar-not-above"
        ),
        pytest.param(
            {"out_total_90d": 1000.0, "out_other_90d": 501.0},
            {"outflow_risk"},
            id="outflow-above-bar",
        ),
        pytest.param({"consented_platforms": 1}, {"internet_credit"}, id="platform"),
        pytest.param({"family_events_12m": 1}, {"family_event"}, id="family-event"),
        pytest.param(
            {"fuel_max_grade": 98, "pensions_3m": 1, "holds_pos": 1},
            {"car_owner", "pensioner", "merchant"},
            id="several",
        ),
    ],
)
def test_each_rule(overrides: dict[str, object], expected: set[str]) -> None:
    assert active(features(**overrides)) == expected


def test_outflow_bar_comes_from_the_standard() -> None:
    lower = dataclasses.replace(STD, alerts=dataclasses.replace(STD.alerts, outflow_share=0.2))
    row = frame(features(out_total_90d=100.0, out_other_90d=30.0))
    assert compute_signals(row, STD)["outflow_risk"].to_list() == [False]
    assert compute_signals(row, lower)["outflow_risk"].to_list() == [True]


def test_columns_follow_the_standard_and_keep_ids() -> None:
    df = frame(features(customer_id=7), features(customer_id=8, vehicles=1)).with_columns(
        pl.lit(3).alias("branch_id"), pl.lit(None, pl.Int64).alias("officer_id")
    )
    out = compute_signals(df, STD)
    assert out.columns == ["customer_id", "branch_id", "officer_id", *CODES]
    assert out["car_owner"].to_list() == [False, True]


def test_null_counts_read_as_nothing_observed() -> None:
    row = features(vehicles=None, holds_pos=None, out_total_90d=None, out_other_90d=None)
    assert active(row) == set()


def test_missing_feature_column_is_named() -> None:
    with pytest.raises(ValueError, match="vehicles"):
        compute_signals(frame(features()).drop("vehicles"), STD)


def test_unknown_signal_in_standard_is_rejected() -> None:
    extra = dataclasses.replace(STD.signals[0], code="owns_boat")
    std = dataclasses.replace(STD, signals=(*STD.signals, extra))
    with pytest.raises(ValueError, match="owns_boat"):
        compute_signals(frame(features()), std)


def test_evidence_names_the_footprints() -> None:
    ev = signal_evidence(
        frame(
            features(
                fuel_max_grade=98,
                fuel_max_litres=60.0,
                out_total_90d=1000.0,
                out_other_90d=300.0,
                consented_platforms=2,
                max_platform_limit=30000.0,
            )
        ),
        STD,
    )
    by = {r["code"]: r for r in ev.iter_rows(named=True)}
    assert ev["code"].to_list() == CODES
    assert by["car_owner"]["active"] is True
    assert by["car_owner"]["evidence_en"] == "fuel receipt of 98#; 60 L in one fill"
    assert by["car_owner"]["evidence_zh"] == "加油小票 98#;单次加油 60 升"
    # observed but below the alert bar: shown, not active
    assert by["outflow_risk"]["active"] is False
    assert by["outflow_risk"]["evidence_en"].startswith("30% of money out in 90 days")
    assert by["internet_credit"]["evidence_en"] == (
        "credit lines on 2 platform(s) shown with consent, highest CNY 30,000"
    )
    assert by["pensioner"]["evidence_en"] == ""


def test_evidence_needs_one_row() -> None:
    with pytest.raises(ValueError, match="one customer"):
        signal_evidence(frame(features(), features(customer_id=2)), STD)


_row = st.fixed_dictionaries(
    {
        "fuel_max_grade": st.none() | st.sampled_from([92, 95, 98]),
        "fuel_max_litres": st.none() | st.floats(0, 200),
        "vehicles": st.integers(0, 3),
        "holds_pos": st.integers(0, 2),
        "business_circles": st.integers(0, 3),
        "pensions_3m": st.integers(0, 3),
        "out_total_90d": st.floats(0, 1e6),
        "out_other_90d": st.floats(0, 1e6),
    }
)


@settings(max_examples=60, deadline=None)
@given(_row)
def test_active_signals_always_have_evidence(overrides: dict[str, object]) -> None:
    if overrides["out_other_90d"] > overrides["out_total_90d"]:
        overrides["out_other_90d"] = overrides["out_total_90d"]
    ev = signal_evidence(frame(features(**overrides)), STD)
    for r in ev.iter_rows(named=True):
        if r["active"]:
            assert r["evidence_zh"] and r["evidence_en"]


def test_no_outflow_evidence_when_nothing_left_for_other_banks() -> None:
    ev = signal_evidence(frame(features(out_total_90d=1000.0, out_other_90d=0.0)), STD)
    row = ev.filter(pl.col("code") == "outflow_risk").row(0, named=True)
    assert (row["active"], row["evidence_en"]) == (False, "")


@settings(max_examples=60, deadline=None)
@given(_row, st.integers(0, 3), st.integers(0, 3))
def test_more_footprints_never_turn_a_signal_off(
    overrides: dict[str, object], more_vehicles: int, more_events: int
) -> None:
    overrides["out_other_90d"] = 0.0  # the outflow share is a ratio: not monotone in counts
    before = active(features(**overrides))
    after = active(
        features(
            **overrides
            | {
                "vehicles": overrides["vehicles"] + more_vehicles,
                "family_events_12m": more_events,
                "pensions_3m": overrides["pensions_3m"] + more_events,
            }
        )
    )
    assert before <= after
