"""Benchmark: next best product on a time split of the demo bank, and footprint-signal lift.

Usage: ``python -m bench.bench_nbp [duckdb-url]`` — default: builds the 20,000-customer demo bank
(seed 7, ending 2026-11-22) into a temporary file.

Time split: everything the ranking reads (signals, holdings, tier, peers) is taken on the cut-off
day; the truth is the products each customer opened in the 180 days after it that they did not
hold on it. The rule weight is chosen on an earlier split (cut-off 180 days before), never on the
test window; the boost the product ships with (``metrics.nbp.RULE_BOOST``) is printed beside it.
Printed: Hit@3 and MAP@3 of the ranking, of the most-popular baseline (products most
often opened in the year before the cut-off) and of the rules alone; the same on the customers whose
new products are none of the three most popular; and the lift of two signals on AUM.
"""

from __future__ import annotations

import sys
import tempfile
from datetime import date, timedelta
from pathlib import Path

import polars as pl
import sqlalchemy as sa

from data_access.engine import make_engine
from data_access.filters import Scope
from data_access.queries._frames import frame
from data_access.queries.nbp import fetch_holding_history, fetch_peer_profile
from data_access.queries.signals import SignalQuery, fetch_signal_features, fetch_signal_flags
from data_access.schema import PRODUCTS, customer_tier_months
from data_access.selection import Selection
from metrics.footprint_rules import FootprintRules, load_rules
from metrics.nbp import (
    RULE_BOOST,
    hit_and_map_at_k,
    most_popular,
    peer_profile,
    peer_shares,
    rank_next_products,
)
from metrics.recommend import held_products, next_best_products
from metrics.standards import Standards, load_standards

END = date(2026, 11, 22)
HORIZON = 180
GRID = (0.0, 0.5, 1.0, 2.0, 4.0)
# every customer holds a demand account: it is never a suggestion
PRODUCTS_SUGGESTED = tuple(p for p in PRODUCTS if p != "demand_deposit")


def _split(conn: sa.Connection, std: Standards, rules: FootprintRules, cut: date) -> dict:
    hist = fetch_holding_history(conn, Scope.bank())
    prof = fetch_peer_profile(conn, Scope.bank(), cut)
    cust = prof.select("customer_id")
    held = held_products(hist, cut).join(cust, on="customer_id")
    signals = fetch_signal_flags(conn, std, SignalQuery(Selection(), cut, rules=rules)).join(
        cust, on="customer_id"
    )
    window = (pl.col("opened_on") > cut) & (pl.col("opened_on") <= cut + timedelta(days=HORIZON))
    truth = (
        hist.filter(window)
        .select("customer_id", "product")
        .join(cust, on="customer_id")
        .join(held, on=["customer_id", "product"], how="anti")
        .filter(pl.col("product").is_in(PRODUCTS_SUGGESTED))
        .unique()
    )
    year_before = (pl.col("opened_on") > cut - timedelta(days=365)) & (pl.col("opened_on") <= cut)
    before = hist.filter(year_before).select("customer_id", "product")
    return {"prof": prof, "cust": cust, "held": held, "signals": signals, "truth": truth,
            "before": before, "cut": cut}  # fmt: skip


def _rankings(s: dict, rules: FootprintRules, weight: float) -> dict[str, pl.DataFrame]:
    shares = peer_shares(s["held"], peer_profile(s["prof"], s["cut"]))
    ranked = rank_next_products(
        s["signals"], s["held"], s["prof"], shares, PRODUCTS_SUGGESTED, s["cut"],
        rules.offers, rules.tier_boost, top_n=3, rule_boost=weight,
    )  # fmt: skip
    rules_only = (
        next_best_products(
            s["signals"],
            s["held"],
            s["prof"].select("customer_id", "tier", "occupation"),
            s["cut"],
            rules=rules.offers,
            tier_boost=rules.tier_boost,
        )
        .filter(pl.col("product").is_in(PRODUCTS_SUGGESTED))
        .with_columns(pl.int_range(1, pl.len() + 1).over("customer_id").alias("rank"))
    )
    baseline = most_popular(s["before"], s["held"], s["cust"], PRODUCTS_SUGGESTED)
    return {"ranking (rules + peers)": ranked, "most popular": baseline, "rules alone": rules_only}


def _signal_lift(conn: sa.Connection, std: Standards, rules: FootprintRules) -> list[str]:
    m = customer_tier_months.c
    last = sa.select(sa.func.max(m.month)).where(m.month <= END).scalar_subquery()
    aum = frame(
        conn,
        sa.select(m.customer_id, m.aum).where(m.month == last),
        {"customer_id": pl.Int64, "aum": pl.Float64},
    )
    feats = fetch_signal_features(conn, SignalQuery(Selection(), END, rules=rules)).join(
        aum, on="customer_id"
    )
    flags = fetch_signal_flags(conn, std, SignalQuery(Selection(), END, rules=rules)).join(
        aum, on="customer_id"
    )
    lines = []
    groups = {
        "fuel receipt 95#+": feats.with_columns((pl.col("fuel_max_grade") >= 95).fill_null(False).alias("on")),
        "signal car_owner": flags.with_columns(pl.col("car_owner").alias("on")),
        "signal merchant": flags.with_columns(pl.col("merchant").alias("on")),
    }  # fmt: skip
    for name, df in groups.items():
        med = dict(
            df.group_by("on").agg(pl.col("aum").median(), pl.len()).select("on", "aum").iter_rows()
        )
        n_on = df.filter(pl.col("on")).height
        lines.append(
            f"{name:<20} {n_on:>6,} customers: median AUM {med.get(True, 0):>10,.0f} vs "
            f"{med.get(False, 0):>8,.0f} CNY for the rest (×{med.get(True, 0) / max(med.get(False, 1), 1):.1f})"
        )  # fmt: skip
    return lines


def run(url: str) -> None:
    """Evaluate and print."""
    std, rules = load_standards(), load_rules()
    engine = make_engine(url)
    test_cut = END - timedelta(days=HORIZON)
    valid_cut = test_cut - timedelta(days=HORIZON)
    with engine.connect() as conn:
        valid = _split(conn, std, rules, valid_cut)
        test = _split(conn, std, rules, test_cut)
        lift = _signal_lift(conn, std, rules)
    engine.dispose()
    scores = {
        w: hit_and_map_at_k(_rankings(valid, rules, w)["ranking (rules + peers)"], valid["truth"])
        for w in GRID
    }
    weight = max(GRID, key=lambda w: (scores[w]["map"], scores[w]["hit"]))
    print(f"rule boost chosen on the validation split (cut-off {valid_cut}): {weight} "
          + " ".join(f"[{w}: MAP@3 {s['map']:.3f}]" for w, s in scores.items()))  # fmt: skip
    ranks = _rankings(test, rules, weight)
    ranks[f"rules+peers, boost {weight:g} (valid.)"] = ranks.pop("ranking (rules + peers)")
    shipped = _rankings(test, rules, RULE_BOOST)["ranking (rules + peers)"]
    ranks[f"rules+peers, boost {RULE_BOOST:g} (shipped)"] = shipped
    truth = test["truth"]
    top3 = (
        test["before"].filter(pl.col("product").is_in(PRODUCTS_SUGGESTED))
        .group_by("product").len().sort(["len", "product"], descending=[True, False])
        .head(3)["product"].to_list()
    )  # fmt: skip
    rare_customers = truth.group_by("customer_id").agg(
        pl.col("product").is_in(top3).any().alias("x")
    )
    rare = truth.join(rare_customers.filter(~pl.col("x")), on="customer_id").select(
        "customer_id", "product"
    )
    print(f"test split: cut-off {test_cut}, products opened in the next {HORIZON} days by "
          f"{truth['customer_id'].n_unique():,} customers ({truth.height:,} products)")  # fmt: skip
    print(f"{'':<34}{'Hit@3':>8}{'MAP@3':>8}   beyond the 3 most popular ({', '.join(top3)}):"
          f" {rare['customer_id'].n_unique():,} customers")  # fmt: skip
    base = hit_and_map_at_k(ranks["most popular"], truth)
    for name, ranked in ranks.items():
        r, rr = hit_and_map_at_k(ranked, truth), hit_and_map_at_k(ranked, rare)
        print(
            f"{name:<34}{r['hit']:>8.3f}{r['map']:>8.3f}   Hit@3 {rr['hit']:.3f}  MAP@3 {rr['map']:.3f}"
        )
    r = hit_and_map_at_k(shipped, truth)
    print(f"shipped ranking vs most popular: Hit@3 {r['hit'] / base['hit'] - 1:+.1%}, "
          f"MAP@3 {r['map'] / base['map'] - 1:+.1%}; ceiling for Hit@3: {1 / base['hit'] - 1:+.1%}")  # fmt: skip
    print("signal lift (month-average AUM, last month of the value mart):")
    for line in lift:
        print("  " + line)


def main() -> None:
    """Build the demo bank unless a URL is given, then run."""
    if len(sys.argv) > 1:
        run(sys.argv[1])
        return
    from data_access.demo import build_demo

    with tempfile.TemporaryDirectory() as tmp:
        url = f"duckdb:///{Path(tmp) / 'demo.duckdb'}"
        build_demo(make_engine(url), customers=20_000, seed=7, end_date=END)
        run(url)


if __name__ == "__main__":
    main()
