"""Next best products: each rule fires on its footprints, is ranked, and has reasons in zh and en."""

from __future__ import annotations

import dataclasses
from datetime import date

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from metrics.footprint_rules import load_rules
from metrics.recommend import next_best_products, validate_rules
from tests.signal_codes import CODES

RULES = load_rules().offers
TIER_BOOST = load_rules().tier_boost

AUTUMN = date(2026, 11, 22)
SPRING = date(2026, 3, 10)


def run(
    on: tuple[str, ...] = (),
    held: tuple[str, ...] = (),
    tier: str | None = "mass",
    occupation: str | None = None,
    as_of: date = AUTUMN,
) -> pl.DataFrame:
    signals = pl.DataFrame({"customer_id": [1], **{c: [c in on] for c in CODES}})
    holdings = pl.DataFrame(
        {"customer_id": [1] * len(held), "product": list(held)},
        schema={"customer_id": pl.Int64, "product": pl.String},
    )
    profile = pl.DataFrame(
        {"customer_id": [1], "tier": [tier], "occupation": [occupation]},
        schema={"customer_id": pl.Int64, "tier": pl.String, "occupation": pl.String},
    )
    return next_best_products(signals, holdings, profile, as_of)


@pytest.mark.parametrize(
    ("kwargs", "expected"),
    [
        pytest.param({}, [], id="nothing-nothing"),
        pytest.param(
            {"on": ("car_owner",)}, [("car_credit_card", 0.8), ("car_wealth", 0.65)], id="car"
        ),
        pytest.param(
            {"on": ("car_owner",), "held": ("credit_card", "wealth")}, [], id="car-holds-both"
        ),
        pytest.param(
            {"on": ("merchant",), "held": ("pos_merchant",)},
            [("merchant_loan", 0.7)],
            id="merchant-with-pos",
        ),
        pytest.param(
            {"on": ("merchant",)},
            [("merchant_pos", 0.75), ("merchant_loan", 0.7)],
            id="merchant-without-pos",
        ),
        pytest.param(
            {"on": ("migrant_family",), "held": ("time_deposit",)},
            [("migrant_mobile", 0.7)],
            id="migrant",
        ),
        pytest.param({"tier": "affluent"}, [("affluent_wealth", 0.84)], id="affluent-no-wealth"),
        pytest.param({"tier": "affluent", "held": ("wealth",)}, [], id="affluent-with-wealth"),
        pytest.param(
            {"occupation": "farmer", "as_of": SPRING},
            [("spring_agri_loan", 0.75)],
            id="farmer-in-spring",
        ),
        pytest.param({"occupation": "farmer"}, [], id="farmer-in-autumn"),
        pytest.param({"occupation": "teacher", "as_of": SPRING}, [], id="teacher-in-spring"),
        pytest.param({"on": ("outflow_risk",)}, [("outflow_retention", 0.9)], id="outflow"),
        pytest.param(
            {"on": ("outflow_risk",), "tier": "vip", "held": ("wealth",)},
            [("outflow_retention", 0.99)],
            id="vip-boost",
        ),
        pytest.param({"on": ("internet_credit",)}, [], id="external-credit-is-no-marketing-rule"),
    ],
)
def test_rules(kwargs: dict, expected: list[tuple[str, float]]) -> None:
    out = run(**kwargs)
    assert list(zip(out["rule"], out["score"], strict=True)) == expected
    assert out["rank"].to_list() == list(range(1, len(expected) + 1))


def test_same_product_keeps_the_best_rule() -> None:
    out = run(on=("car_owner",), tier="affluent")
    assert out.filter(pl.col("product") == "wealth")["rule"].to_list() == ["affluent_wealth"]
    assert out["product"].to_list() == ["credit_card", "wealth"]


def test_unknown_tier_and_missing_profile_read_as_no_boost() -> None:
    signals = pl.DataFrame({"customer_id": [1, 2], **{c: [c == "pensioner"] * 2 for c in CODES}})
    profile = pl.DataFrame({"customer_id": [1], "tier": ["gold"], "occupation": [None]})
    empty = pl.DataFrame(schema={"customer_id": pl.Int64, "product": pl.String})
    out = next_best_products(signals, empty, profile, AUTUMN)
    assert out.select("customer_id", "rule", "score").rows() == [
        (1, "pension_card", 0.55),
        (2, "pension_card", 0.55),
    ]


def test_top_n_and_every_row_has_texts() -> None:
    out = run(on=CODES, tier="private", occupation="farmer", as_of=SPRING)
    assert out.height > 3
    top = next_best_products(
        pl.DataFrame({"customer_id": [1], **{c: [True] for c in CODES}}),
        pl.DataFrame(schema={"customer_id": pl.Int64, "product": pl.String}),
        pl.DataFrame({"customer_id": [1], "tier": ["private"], "occupation": ["farmer"]}),
        SPRING,
        top_n=3,
    )
    assert top["rule"].to_list() == out["rule"].to_list()[:3]
    for col in ("label_zh", "label_en", "reason_zh", "reason_en", "talk_zh", "talk_en"):
        assert out[col].str.len_chars().min() > 0


def test_missing_signal_column_is_named() -> None:
    signals = pl.DataFrame({"customer_id": [1], "car_owner": [True]})
    with pytest.raises(ValueError, match="merchant"):
        next_best_products(
            signals,
            pl.DataFrame({"customer_id": [], "product": []}),
            pl.DataFrame({"customer_id": [1], "tier": ["mass"], "occupation": [None]}),
            AUTUMN,
        )


@pytest.mark.parametrize(
    ("change", "message"),
    [
        pytest.param({"weight": 1.5}, "outside", id="weight"),
        pytest.param({"months": (13,)}, "months", id="month"),
    ],
)
def test_bad_rule_is_named(change: dict, message: str) -> None:
    bad = dataclasses.replace(RULES[0], **change)
    with pytest.raises(ValueError, match=message):
        validate_rules((bad,))


def test_duplicate_rule_code_is_rejected() -> None:
    with pytest.raises(ValueError, match="twice"):
        validate_rules((RULES[0], RULES[0]))


def test_rule_table_is_valid_and_tiers_known() -> None:
    validate_rules(RULES)
    assert all(set(r.signals) <= set(CODES) for r in RULES)
    assert all(set(r.tiers) <= set(TIER_BOOST) for r in RULES)


@settings(max_examples=60, deadline=None)
@given(
    on=st.lists(st.sampled_from(CODES), unique=True).map(tuple),
    held=st.lists(
        st.sampled_from(("credit_card", "wealth", "pos_merchant", "loan_business")), unique=True
    ).map(tuple),
    tier=st.sampled_from(("mass", "affluent", "vip", "private", None)),
    month=st.integers(1, 12),
)
def test_invariants(on: tuple, held: tuple, tier: str | None, month: int) -> None:
    out = run(on=on, held=held, tier=tier, occupation="farmer", as_of=date(2026, month, 1))
    # never proposes what the customer holds; scores in (0, 1], ranked by score
    assert not set(out["product"]) & set(held)
    assert out["score"].is_between(0, 1, closed="right").all()
    assert out["score"].to_list() == sorted(out["score"].to_list(), reverse=True)
    assert out["product"].n_unique() == out.height


def test_held_products_on_a_day() -> None:
    from metrics.recommend import held_products

    holdings = pl.DataFrame(
        {
            "customer_id": [1, 1, 1, 1, 1],
            "product": ["wealth", "credit_card", "loan_agri", "wealth", "insurance"],
            "opened_on": [
                date(2020, 1, 1),
                date(2026, 12, 1),
                date(2020, 1, 1),
                date(2021, 1, 1),
                date(2020, 1, 1),
            ],
            "closed_on": [None, None, date(2026, 11, 22), None, date(2026, 11, 23)],
        }
    )
    # credit card opens later, the agri loan closed on the day; wealth counted once
    assert held_products(holdings, AUTUMN).rows() == [(1, "wealth"), (1, "insurance")]
