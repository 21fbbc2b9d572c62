"""Footprint rules as data: the loader names a bad rule; every measure kind, window and decay on
literal rows; signals (any / all, shares, thresholds from the standard) and their evidence."""

from __future__ import annotations

import copy
import tomllib
from datetime import date, datetime
from pathlib import Path
from typing import Any

import polars as pl
import pytest

from metrics.footprint_rules import (
    DEFAULT_RULES,
    RulesError,
    compute_measures,
    condition_evidence,
    decay_steps,
    evaluate_signals,
    load_rules,
    parse_rules,
    rules_for,
)
from metrics.standards import load_standards
from tests.metrics.toml_files import assert_unreadable_named

STD = load_standards()
AS_OF = date(2026, 11, 22)
DOC: dict[str, Any] = tomllib.loads(DEFAULT_RULES.read_text(encoding="utf-8"))


def test_default_rules_load_and_match_the_standard() -> None:
    rules = load_rules()
    assert [s.code for s in rules.signals] == [s.code for s in STD.signals]
    # one fact, one place: the standard's signal labels are the rules' (drift fails here)
    assert [(s.info.label_zh, s.info.label_en) for s in rules.signals] == [
        (s.label_zh, s.label_en) for s in STD.signals
    ]
    assert len(rules.offers) == 11 and rules.tier_boost["vip"] == 1.1
    assert rules_for(STD).source == str(DEFAULT_RULES)


def test_rules_beside_the_standard_win(tmp_path) -> None:
    std_file = tmp_path / "standards.toml"
    std_file.write_bytes(Path(STD.source).read_bytes())
    text = DEFAULT_RULES.read_text(encoding="utf-8").replace(
        'version = "2026.12-default"', 'version = "bank-7"'
    )
    (tmp_path / "rules.toml").write_text(text, encoding="utf-8")
    assert rules_for(load_standards(std_file)).version == "bank-7"


def _mutate(path: list[Any], value: Any) -> dict[str, Any]:
    doc = copy.deepcopy(DOC)
    node = doc
    for key in path[:-1]:
        node = node[key]
    if value is _DELETE:
        del node[path[-1]]
    else:
        node[path[-1]] = value
    return doc


_DELETE = object()


@pytest.mark.parametrize(
    ("path", "value", "message"),
    [
        pytest.param(["measures", 0, "source"], "gossip", "measures.fuel_max_grade.source", id="source"),
        pytest.param(["measures", 0, "aggregate"], "avg", "measures.fuel_max_grade.aggregate", id="aggregate"),
        pytest.param(["measures", 0, "field"], "colour", "measures.fuel_max_grade.field", id="field"),
        pytest.param(["measures", 2, "field"], "litres", "measures.fuel_receipts.field: a count", id="count-field"),
        pytest.param(["measures", 0, "where"], {"colour": ["red"]}, "measures.fuel_max_grade.where.colour", id="where-column"),
        pytest.param(["measures", 0, "where"], {"litres": {"min": 9, "max": 1}}, "min 9.0 is above max", id="range"),
        pytest.param(["measures", 0, "where"], {"kind": {"min": 1}}, "needs a number column", id="range-on-text"),
        pytest.param(["measures", 6, "window_months"], 0, "family_events_12m.window_months", id="window"),
        pytest.param(["measures", 6, "window_days"], 30, "window_days or window_months", id="two-windows"),
        pytest.param(["measures", 3, "half_life_days"], -1, "fuel_receipts_recent.half_life_days", id="half-life"),
        pytest.param(["measures", 0, "half_life_days"], 30, "decay applies to count and sum", id="decay-max"),
        pytest.param(["measures", 1, "code"], "fuel_max_grade", "measures.fuel_max_grade: appears twice", id="dup"),
        pytest.param(["measures", 0, "colour"], 1, "unknown keys ['colour']", id="unknown-key"),
        pytest.param(["signals", 0, "when", 0, "measure"], "fuel_grade_max", "signals.car_owner.when[0].measure", id="measure"),
        pytest.param(["signals", 0, "when", 0, "op"], "=>", "signals.car_owner.when[0].op", id="op"),
        pytest.param(["signals", 0, "when", 0, "value"], _DELETE, "exactly one of value", id="no-value"),
        pytest.param(["signals", 0, "when", 0, "evidence_zh"], "{fuel}", "evidence_zh: unknown name", id="template"),
        pytest.param(["signals", 0, "match"], "most", "signals.car_owner.match", id="match"),
        pytest.param(["signals", 0, "when"], [], "at least one condition", id="no-conditions"),
        pytest.param(["signals", 0, "label_en"], _DELETE, "signals.car_owner.label_en: missing", id="label"),
        pytest.param(["offers", 1, "weight"], 1.5, "offers.car_credit_card.weight", id="weight"),
        pytest.param(["offers", 1, "signals"], ["owns_boat"], "offers.car_credit_card.signals", id="offer-signal"),
        pytest.param(["offers", 2, "tiers"], ["gold"], "offers.affluent_wealth.tiers", id="offer-tier"),
        pytest.param(["offers", 4, "months"], [13], "offers.spring_agri_loan.months", id="offer-month"),
        pytest.param(["rules", "version"], _DELETE, "rules.version: missing", id="version"),
    ],
)  # fmt: skip
def test_bad_rule_is_named(path: list[Any], value: Any, message: str) -> None:
    with pytest.raises(RulesError, match=message.replace("[", r"\[").replace("]", r"\]")):
        parse_rules(_mutate(path, value))


def test_missing_or_broken_file_is_named(tmp_path) -> None:
    assert_unreadable_named(load_rules, RulesError, tmp_path, "rules.toml", "[rules")


# --- every measure kind on literal rows ---------------------------------------------------------


def _rules(measures: list[dict[str, Any]], signals: list[dict[str, Any]] | None = None):
    doc = {
        "rules": {"version": "t", "label_zh": "规则", "label_en": "Rules", "description": "test"},
        "tier_boost": {"mass": 1.0},
        "measures": [{"description": "m"} | m for m in measures],
        "signals": signals or [],
        "offers": [],
    }
    return parse_rules(doc)


HARD = pl.DataFrame(
    {
        "customer_id": [1, 1, 1, 1, 2, 2],
        "occurred_at": [
            datetime(2026, 11, 20, 9),  # 2 days old
            datetime(2026, 9, 1, 9),  # in 3 months? no: before 2026-08-23 is out; 2026-09-01 is in
            datetime(2025, 12, 1, 9),  # within 12 months
            datetime(2026, 11, 23, 9),  # after the day: never counts
            datetime(2026, 11, 1, 9),
            datetime(2025, 11, 22, 9),  # exactly 12 months back: out (window starts the day after)
        ],
        "kind": ["remittance_in", "pension", "remittance_in", "pension", "transfer_out", "remittance_in"],
        "direction": ["in", "in", "in", "in", "out", "in"],
        "channel": ["counter", "counter", "mobile", "counter", "mobile", "atm"],
        "counterparty_type": ["individual", "government", "individual", "government", "other_bank", "individual"],
        "merchant_category": [None, None, None, None, "fuel", None],
        "place": ["广州", "本镇", "深圳", "本镇", "本镇", "东莞"],
        "amount": [2000.0, 1500.0, 3000.0, 1500.0, 800.0, 500.0],
        "self_initiated": [False, False, False, False, True, False],
    }
)  # fmt: skip

SOFT = pl.DataFrame(
    {
        "customer_id": [1, 1, 2],
        "captured_at": [datetime(2026, 11, 21, 10), datetime(2025, 11, 21, 10), datetime(2026, 11, 1, 10)],
        "kind": ["fuel_receipt", "fuel_receipt", "vehicle"],
        "source": ["counter", "visit", "visit"],
        "place": [None, None, None],
        "fuel_grade": [97, 92, None],
        "litres": [100.0, 30.0, None],
        "amount": [820.0, 230.0, 150000.0],
        "confidence": [0.9, 0.8, 0.6],
    }
)  # fmt: skip

HOLD = pl.DataFrame(
    {
        "customer_id": [1, 1, 2],
        "opened_on": [date(2020, 1, 1), date(2026, 12, 1), date(2019, 1, 1)],
        "closed_on": [None, None, date(2026, 11, 22)],
        "product": ["pos_merchant", "pos_merchant", "loan_business"],
        "balance": [None, None, 1.0],
        "credit_limit": [None, None, None],
    },
    schema_overrides={"closed_on": pl.Date},
)

EXT = pl.DataFrame(
    {
        "customer_id": [1, 1, 1, 2],
        "as_of": [date(2026, 6, 1), date(2026, 7, 1), date(2026, 8, 1), date(2026, 12, 1)],
        "consent": [True, True, False, True],
        "platform": ["huabei", "huabei", "jiebei", "jiebei"],
        "credit_limit": [5000.0, 8000.0, 90000.0, 20000.0],
    }
)

ROWS = {"hard": HARD, "soft": SOFT, "holding": HOLD, "external": EXT}
CUSTOMERS = pl.DataFrame({"customer_id": [1, 2, 3]})


def measure(spec: dict[str, Any]) -> list[Any]:
    rules = _rules([{"code": "m"} | spec])
    return compute_measures(rules, CUSTOMERS, ROWS, AS_OF)["m"].to_list()


@pytest.mark.parametrize(
    ("spec", "expected"),
    [
        pytest.param({"source": "hard", "aggregate": "count"}, [3, 2, 0], id="count-all-up-to-the-day"),
        pytest.param({"source": "hard", "aggregate": "count", "where": {"kind": ["remittance_in"]}}, [2, 1, 0], id="kind"),
        pytest.param({"source": "hard", "aggregate": "count", "where": {"channel": ["mobile", "atm"]}}, [1, 2, 0], id="channel"),
        pytest.param({"source": "hard", "aggregate": "count", "where": {"counterparty_type": ["other_bank"]}}, [0, 1, 0], id="counterparty"),
        pytest.param({"source": "hard", "aggregate": "count", "where": {"merchant_category": ["fuel"]}}, [0, 1, 0], id="merchant-category"),
        pytest.param({"source": "hard", "aggregate": "count", "where": {"place": ["广州", "深圳"]}}, [2, 0, 0], id="place"),
        pytest.param({"source": "hard", "aggregate": "count", "where": {"self_initiated": [True]}}, [0, 1, 0], id="self-initiated"),
        pytest.param({"source": "hard", "aggregate": "count", "where": {"amount": {"min": 1000, "max": 2500}}}, [2, 0, 0], id="amount-range"),
        pytest.param({"source": "hard", "aggregate": "sum", "field": "amount", "window_months": 12}, [6500.0, 800.0, 0.0], id="sum-12-months"),
        pytest.param({"source": "hard", "aggregate": "count", "window_months": 3}, [2, 1, 0], id="3-months"),
        pytest.param({"source": "hard", "aggregate": "count", "window_days": 3}, [1, 0, 0], id="3-days"),
        pytest.param({"source": "hard", "aggregate": "max", "field": "amount", "where": {"direction": ["out"]}}, [None, 800.0, None], id="max-stays-null"),
        pytest.param({"source": "hard", "aggregate": "count_distinct", "field": "place"}, [3, 2, 0], id="distinct-places"),
        pytest.param({"source": "soft", "aggregate": "max", "field": "fuel_grade", "where": {"kind": ["fuel_receipt"]}}, [97.0, None, None], id="fuel-grade-97"),
        pytest.param({"source": "soft", "aggregate": "count", "where": {"fuel_grade": {"min": 95}, "litres": {"min": 100}}}, [1, 0, 0], id="97-100L"),
        pytest.param({"source": "soft", "aggregate": "count", "where": {"kind": ["vehicle"], "source": ["visit"]}}, [0, 1, 0], id="vehicle-by-visit"),
        pytest.param({"source": "soft", "aggregate": "sum", "field": "amount", "where": {"confidence": {"min": 0.85}}}, [820.0, 0.0, 0.0], id="confident-only"),
        pytest.param({"source": "holding", "aggregate": "count", "where": {"product": ["pos_merchant"]}}, [1, 0, 0], id="held-on-the-day"),
        pytest.param({"source": "holding", "aggregate": "count"}, [1, 0, 0], id="closed-on-the-day-is-not-held"),
        pytest.param({"source": "external", "aggregate": "count_distinct", "field": "platform"}, [1, 0, 0], id="consented-platforms"),
        pytest.param({"source": "external", "aggregate": "max", "field": "credit_limit"}, [8000.0, None, None], id="limit-with-consent-only"),
    ],
)  # fmt: skip
def test_measure_kinds(spec: dict[str, Any], expected: list[Any]) -> None:
    assert measure(spec) == expected


def test_decay_weights_by_whole_weeks() -> None:
    rules = _rules([{"code": "m", "source": "hard", "aggregate": "count", "half_life_days": 7}])
    steps = decay_steps(rules.measures[0], AS_OF)
    assert steps[0] == (date(2026, 11, 16), 1.0)  # 0–6 days old weigh 1
    assert steps[1] == (date(2026, 11, 9), 0.5)  # a week old: one half-life
    assert len(steps) == 10  # nothing after ten half-lives
    # customer 1: 2 days (1.0), 82 days (11 weeks, past ten half-lives: 0), 356 days (0);
    # customer 2: 21 days = 3 weeks (0.125), a year (0)
    assert measure({"source": "hard", "aggregate": "count", "half_life_days": 7}) == [
        1.0,
        0.125,
        0.0,
    ]
    # half-life 90 days: 2 days -> 1, 82 days = 11 weeks -> 0.5**(77/90), 356 days = 50 weeks -> 0.5**(350/90)
    got = measure({"source": "hard", "aggregate": "sum", "field": "amount", "half_life_days": 90})
    want = 2000 + 1500 * 0.5 ** (77 / 90) + 3000 * 0.5 ** (350 / 90)
    assert got[0] == pytest.approx(want) and got[2] == 0.0


def test_last_years_receipt_counts_less_than_last_weeks() -> None:
    spec = {"source": "soft", "aggregate": "count", "half_life_days": 180, "where": {"kind": ["fuel_receipt"]}}  # fmt: skip
    # customer 1: one receipt a day old (1.0) and one 366 days old (52 weeks: 0.5**(364/180))
    assert measure(spec)[0] == pytest.approx(1.0 + 0.5 ** (364 / 180))


# --- signals -------------------------------------------------------------------------------------


def _signals(match: str, when: list[dict[str, Any]]):
    return _rules(
        [
            {"code": "a", "source": "hard", "aggregate": "count", "where": {"kind": ["pension"]}},
            {"code": "out", "source": "hard", "aggregate": "sum", "field": "amount", "where": {"direction": ["out"]}},
            {"code": "total", "source": "hard", "aggregate": "sum", "field": "amount"},
        ],
        [
            {
                "code": "s",
                "label_zh": "信号",
                "label_en": "Signal",
                "description": "d",
                "match": match,
                "when": [{"evidence_zh": "{a:.0f} 笔", "evidence_en": "{a:.0f} credit(s) {ratio:.0%}"} | w for w in when],
            }
        ],
    )  # fmt: skip


@pytest.mark.parametrize(
    ("match", "when", "expected"),
    [
        pytest.param("any", [{"measure": "a", "op": ">", "value": 0}], [True, False, False], id="count"),
        pytest.param("all", [{"measure": "a", "op": ">", "value": 0}, {"measure": "total", "op": ">=", "value": 7000}], [False, False, False], id="all-needs-both"),
        pytest.param("any", [{"measure": "a", "op": ">", "value": 0}, {"measure": "total", "op": ">=", "value": 1300}], [True, True, False], id="any-needs-one"),
        pytest.param("any", [{"measure": "out", "per": "total", "op": ">", "value": 0.4}], [False, True, False], id="share"),
        pytest.param("any", [{"measure": "out", "per": "total", "op": ">", "value_from": "alerts.outflow_share"}], [False, True, False], id="threshold-from-standard"),
        pytest.param("any", [{"measure": "a", "op": "<", "value": 1}], [False, True, True], id="below"),
    ],
)  # fmt: skip
def test_signals(match: str, when: list[dict[str, Any]], expected: list[bool]) -> None:
    rules = _signals(match, when)
    m = compute_measures(rules, CUSTOMERS, ROWS, AS_OF)
    assert evaluate_signals(m, rules, STD)["s"].to_list() == expected


def test_threshold_from_an_unknown_standard_entry_is_named() -> None:
    rules = _signals("any", [{"measure": "a", "op": ">", "value_from": "alerts.nope"}])
    m = compute_measures(rules, CUSTOMERS, ROWS, AS_OF)
    with pytest.raises(RulesError, match=r"alerts\.nope"):
        evaluate_signals(m, rules, STD)


def test_evidence_names_the_footprints() -> None:
    rules = load_rules()
    one = compute_measures(rules, CUSTOMERS.head(1), ROWS, AS_OF)
    ev = condition_evidence(one, rules, STD).filter(pl.col("code") == "car_owner")
    assert ev["evidence_zh"].to_list() == ["加油小票 97#", "单次加油 100 升", ""]
    assert ev["evidence_en"].to_list()[:2] == ["fuel receipt of 97#", "100 L in one fill"]


def test_polars_path_needs_the_rows_it_reads() -> None:
    with pytest.raises(ValueError, match="need hard footprint rows"):
        compute_measures(load_rules(), CUSTOMERS, {"soft": SOFT}, AS_OF)
