"""Next best product ranking on literal customers: peer shares with shrinkage, the rule boost,
held products excluded, reasons; Hit@k and MAP@k by hand; the most-popular baseline."""

from __future__ import annotations

from datetime import date

import polars as pl
import pytest

from metrics.footprint_rules import load_rules
from metrics.nbp import (
    PRIOR_WEIGHT,
    hit_and_map_at_k,
    most_popular,
    peer_profile,
    peer_shares,
    rank_next_products,
)

AS_OF = date(2026, 11, 22)
RULES = load_rules()
CODES = [s.code for s in RULES.signals]
PRODUCTS = ("credit_card", "wealth", "mobile_banking")

# customers 1–4: affluent farmers in their fifties; 5: a mass-tier teacher in her thirties
PROFILE = pl.DataFrame(
    {
        "customer_id": [1, 2, 3, 4, 5],
        "tier": ["affluent"] * 4 + ["mass"],
        "occupation": ["farmer"] * 4 + ["teacher"],
        "birth_year": [1971, 1975, 1972, 1970, 1990],
    }
)
HELD = pl.DataFrame(
    {"customer_id": [2, 3, 4, 4, 5], "product": ["wealth", "wealth", "wealth", "mobile_banking", "credit_card"]}
)  # fmt: skip


def signals(**on: list[int]) -> pl.DataFrame:
    ids = PROFILE["customer_id"].to_list()
    return pl.DataFrame(
        {"customer_id": ids} | {c: [i in on.get(c, []) for i in ids] for c in CODES}
    )


def shares() -> pl.DataFrame:
    return peer_shares(HELD, peer_profile(PROFILE, AS_OF))


def test_peer_shares_shrink_toward_the_bank() -> None:
    s = (
        shares()
        .filter(pl.col("tier") == "affluent", pl.col("product") == "wealth")
        .row(0, named=True)
    )
    # 3 of 4 similar customers hold wealth; the bank: 3 of 5
    assert (s["group_size"], s["holders"]) == (4, 3)
    assert s["peer_share"] == pytest.approx((3 + PRIOR_WEIGHT * 3 / 5) / (4 + PRIOR_WEIGHT))
    assert peer_profile(PROFILE, AS_OF)["age_band"].to_list() == [50, 50, 50, 50, 30]


def rank(sig: pl.DataFrame, boost: float = 1.0) -> pl.DataFrame:
    return rank_next_products(
        sig, HELD, PROFILE, shares(), PRODUCTS, AS_OF, RULES.offers, RULES.tier_boost,
        top_n=None, rule_boost=boost,
    )  # fmt: skip


def test_peers_rank_and_held_products_are_never_suggested() -> None:
    r = rank(signals())
    one = r.filter(pl.col("customer_id") == 1)
    # wealth first: held by 3 of 4 similar customers, and the affluent-tier offer fires
    assert one["product"].to_list()[0] == "wealth"
    assert one["rule"].to_list()[0] == "affluent_wealth"
    assert one["rank"].to_list() == [1, 2, 3]
    assert r.filter(pl.col("customer_id") == 4)["product"].to_list() == ["credit_card"]
    assert "同类客户" in one["reason_zh"][0] and "similar customers" in one["reason_en"][0]
    assert one["rule"].null_count() == 2  # no footprint behind the other two


def test_a_fuel_receipt_lifts_the_credit_card_with_its_reason() -> None:
    before = rank(signals()).filter(pl.col("customer_id") == 1)
    after = rank(signals(car_owner=[1])).filter(pl.col("customer_id") == 1)
    card = after.filter(pl.col("product") == "credit_card").row(0, named=True)
    card_before = before.filter(pl.col("product") == "credit_card").row(0, named=True)
    assert card["rule"] == "car_credit_card" and card["rule_score"] == pytest.approx(0.84)
    assert card["score"] == pytest.approx(card_before["score"] * (1 + 0.84))
    assert card["reason_en"].startswith("car owner (fuel receipt or vehicle record)")
    # without the boost the rules do not move anything
    assert (
        rank(signals(car_owner=[1]), boost=0.0)["score"].to_list()
        == rank(signals(), boost=0.0)["score"].to_list()
    )


def test_bad_boost_is_refused() -> None:
    with pytest.raises(ValueError, match="rule_boost"):
        rank(signals(), boost=-1)


def test_hit_and_map_by_hand() -> None:
    ranked = pl.DataFrame(
        {
            "customer_id": [1, 1, 1, 2, 2, 2, 3],
            "rank": [1, 2, 3, 1, 2, 3, 1],
            "product": ["a", "b", "c", "a", "b", "c", "a"],
        }
    )
    truth = pl.DataFrame({"customer_id": [1, 1, 2, 3, 4], "product": ["b", "c", "a", "z", "a"]})
    r = hit_and_map_at_k(ranked, truth, k=3)
    # 1: hits at 2 and 3 → (1/2 + 2/3) / 2; 2: hit at 1 → 1; 3: none; 4: no suggestion → 0
    assert r["customers"] == 4
    assert r["hit"] == pytest.approx(2 / 4)
    assert r["map"] == pytest.approx(((1 / 2 + 2 / 3) / 2 + 1) / 4)


def test_most_popular_skips_what_is_held() -> None:
    opened = pl.DataFrame(
        {"customer_id": [9, 9, 8], "product": ["wealth", "mobile_banking", "wealth"]}
    )
    base = most_popular(opened, HELD, PROFILE.select("customer_id"), PRODUCTS)
    assert base.filter(pl.col("customer_id") == 1)["product"].to_list() == [
        "wealth",
        "mobile_banking",
    ]
    assert base.filter(pl.col("customer_id") == 4)["product"].to_list() == []
