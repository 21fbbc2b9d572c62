"""Next best product that learns: the offers of the rules file combined with what similar customers
hold, each suggestion with its reasons; and the evaluation measures (Hit@k, MAP@k).

Similar customers share a tier, an occupation and an age band (ten years). Their *peer share* of a
product is the share of them holding it, shrunk toward the bank-wide share when the group is small
(``PRIOR_WEIGHT`` pseudo-customers): "62% of affluent farmers in their fifties hold a wealth
product". The score of a product a customer does not hold is

    score = RULE_WEIGHT × (best offer score for it, 0 if no offer fires)
          + (1 − RULE_WEIGHT) × peer share

so a product that the footprints point to and that similar customers hold ranks first, and a
customer with no footprint signal still gets the products their peers hold.
"""

from __future__ import annotations

from datetime import date

import polars as pl

from metrics.recommend import Rule, next_best_products

RULE_BOOST = 1.0
PRIOR_WEIGHT = 20.0  # pseudo-customers at the bank-wide share: a group of 5 is mostly the bank
AGE_BAND_YEARS = 10

RANKED_SCHEMA: dict[str, pl.DataType] = {
    "customer_id": pl.Int64(),
    "rank": pl.UInt32(),
    "product": pl.String(),
    "score": pl.Float64(),
    "rule": pl.String(),
    "rule_score": pl.Float64(),
    "peer_share": pl.Float64(),
    "reason_zh": pl.String(),
    "reason_en": pl.String(),
    "talk_zh": pl.String(),
    "talk_en": pl.String(),
}


def peer_profile(profile: pl.DataFrame, as_of: date) -> pl.DataFrame:
    """customer_id, tier, occupation, age_band from customer_id, tier, occupation, birth_year."""
    age = pl.lit(as_of.year) - pl.col("birth_year")
    return profile.select(
        pl.col("customer_id").cast(pl.Int64),
        pl.col("tier").cast(pl.String).fill_null("?"),
        pl.col("occupation").cast(pl.String).fill_null("?"),
        (age // AGE_BAND_YEARS * AGE_BAND_YEARS).cast(pl.Int64).fill_null(-1).alias("age_band"),
    )


_GROUP = ["tier", "occupation", "age_band"]


def peer_counts(held: pl.DataFrame, peers: pl.DataFrame) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Group sizes (tier, occupation, age_band, group_size) and holders per group and product
    (…, product, holders) from ``held`` (customer_id, product) and ``peers`` (``peer_profile``)."""
    sizes = peers.group_by(_GROUP).agg(pl.len().cast(pl.Int64).alias("group_size"))
    joined = held.select("customer_id", "product").unique().join(peers, on="customer_id")
    holders = joined.group_by([*_GROUP, "product"]).agg(pl.len().cast(pl.Int64).alias("holders"))
    return sizes, holders


def shares_from_counts(sizes: pl.DataFrame, holders: pl.DataFrame) -> pl.DataFrame:
    """Share of each group of similar customers holding each product, shrunk toward the bank.

    Out: tier, occupation, age_band, product, group_size, holders, peer_share =
    (holders + PRIOR_WEIGHT × bank share) / (group size + PRIOR_WEIGHT).
    """
    n = int(sizes["group_size"].sum()) if sizes.height else 0
    bank = holders.group_by("product").agg(
        (pl.col("holders").sum() / max(n, 1)).alias("bank_share")
    )
    return (
        sizes.join(bank, how="cross")
        .join(holders, on=[*_GROUP, "product"], how="left")
        .with_columns(pl.col("holders").fill_null(0))
        .with_columns(
            (
                (pl.col("holders") + PRIOR_WEIGHT * pl.col("bank_share"))
                / (pl.col("group_size") + PRIOR_WEIGHT)
            ).alias("peer_share")
        )
        .select(*_GROUP, "product", "group_size", "holders", "peer_share")
    )


def peer_shares(held: pl.DataFrame, peers: pl.DataFrame) -> pl.DataFrame:
    """``shares_from_counts`` of ``peer_counts``: in ``held`` (customer_id, product) and ``peers``."""
    return shares_from_counts(*peer_counts(held, peers))


def _peer_reason(lang: str) -> pl.Expr:
    share = (pl.col("peer_share") * 100).round(0).cast(pl.Int64).cast(pl.String)
    if lang == "zh":
        return pl.format("同类客户(同层级、职业、年龄段)中约 {}% 持有", share)
    return pl.format(
        "about {}% of similar customers (same tier, occupation, age band) hold it", share
    )


def rank_next_products(
    signals: pl.DataFrame,
    held: pl.DataFrame,
    profile: pl.DataFrame,
    shares: pl.DataFrame,
    products: tuple[str, ...],
    as_of: date,
    rules: tuple[Rule, ...],
    tier_boost: dict[str, float],
    top_n: int | None = 3,
    rule_boost: float = RULE_BOOST,
) -> pl.DataFrame:
    """Products each customer does not hold, ranked (RANKED_SCHEMA), with the reasons.

    In: ``signals`` (customer_id + one Boolean per signal), ``held`` (customer_id, product held on
    ``as_of``), ``profile`` (customer_id, tier, occupation, birth_year), ``shares`` (from
    ``peer_shares``), the ``products`` that may be suggested. Offers proposing an action (not in
    ``products``) are left out. Ties break by product code.
    """
    if not rule_boost >= 0:
        raise ValueError(f"rule_boost must be 0 or more, got {rule_boost}")
    peers = peer_profile(profile, as_of)
    offers = next_best_products(
        signals,
        held,
        profile.select("customer_id", "tier", "occupation"),
        as_of,
        rules=rules,
        tier_boost=tier_boost,
    ).select(
        "customer_id",
        "product",
        "rule",
        pl.col("score").alias("rule_score"),
        "reason_zh",
        "reason_en",
        "talk_zh",
        "talk_en",
    )
    held_pairs = held.select(pl.col("customer_id").cast(pl.Int64), "product").unique()
    cand = (
        peers.join(pl.DataFrame({"product": list(products)}), how="cross")
        .join(held_pairs, on=["customer_id", "product"], how="anti")
        .join(shares.select(*_GROUP, "product", "peer_share"), on=[*_GROUP, "product"], how="left")
        .join(offers, on=["customer_id", "product"], how="left")
        .with_columns(pl.col("peer_share").fill_null(0.0), pl.col("rule_score").fill_null(0.0))
        .with_columns(
            (pl.col("peer_share") * (1 + rule_boost * pl.col("rule_score"))).round(6).alias("score")
        )
    )
    out = (
        cand.sort(["customer_id", "score", "product"], descending=[False, True, False])
        .with_columns(
            pl.int_range(1, pl.len() + 1).over("customer_id").cast(pl.UInt32).alias("rank")
        )
        .with_columns(
            pl.when(pl.col("reason_zh").is_null())
            .then(_peer_reason("zh"))
            .otherwise(pl.format("{};{}", "reason_zh", _peer_reason("zh")))
            .alias("reason_zh"),
            pl.when(pl.col("reason_en").is_null())
            .then(_peer_reason("en"))
            .otherwise(pl.format("{}; {}", "reason_en", _peer_reason("en")))
            .alias("reason_en"),
        )
    )
    if top_n is not None:
        out = out.filter(pl.col("rank") <= top_n)
    return out.select(list(RANKED_SCHEMA)).cast(RANKED_SCHEMA)  # type: ignore[arg-type]


def hit_and_map_at_k(ranked: pl.DataFrame, truth: pl.DataFrame, k: int = 3) -> dict[str, float]:
    """Hit@k and MAP@k over the customers in ``truth`` (customer_id, product: what they opened).

    ``ranked``: customer_id, rank, product. Hit@k: share of customers with a truth product in their
    top k. AP@k: Σ precision@i at each hit i ≤ k, divided by min(k, |truth|); MAP@k its mean.
    A customer with no suggestion counts 0.
    """
    users = truth.select("customer_id").unique()
    n_true = truth.group_by("customer_id").agg(pl.len().alias("n_true"))
    top = ranked.filter(pl.col("rank") <= k).select("customer_id", "rank", "product")
    hits = (
        top.join(truth.select("customer_id", "product").unique(), on=["customer_id", "product"])
        .sort(["customer_id", "rank"])
        .with_columns(pl.int_range(1, pl.len() + 1).over("customer_id").alias("hit_no"))
        .with_columns((pl.col("hit_no") / pl.col("rank")).alias("prec"))
        .group_by("customer_id")
        .agg(pl.len().alias("hits"), pl.col("prec").sum().alias("prec_sum"))
    )
    per = (
        users.join(n_true, on="customer_id")
        .join(hits, on="customer_id", how="left")
        .with_columns(pl.col("hits").fill_null(0), pl.col("prec_sum").fill_null(0.0))
        .with_columns(
            (pl.col("prec_sum") / pl.min_horizontal(pl.col("n_true"), pl.lit(k))).alias("ap")
        )
    )
    if per.is_empty():
        return {"customers": 0.0, "hit": float("nan"), "map": float("nan")}
    return {
        "customers": float(per.height),
        "hit": float((per["hits"] > 0).mean()),  # type: ignore[arg-type]
        "map": float(per["ap"].mean()),  # type: ignore[arg-type]
    }


def most_popular(
    opened: pl.DataFrame, held: pl.DataFrame, customers: pl.DataFrame, products: tuple[str, ...]
) -> pl.DataFrame:
    """The baseline: every customer gets the products most often opened (``opened``: customer_id,
    product) that they do not hold, by count then code. Out: customer_id, rank, product."""
    pop = (
        opened.filter(pl.col("product").is_in(list(products)))
        .group_by("product")
        .agg(pl.len().alias("n"))
    )
    held_pairs = held.select(pl.col("customer_id").cast(pl.Int64), "product").unique()
    return (
        customers.select(pl.col("customer_id").cast(pl.Int64))
        .join(pop, how="cross")
        .join(held_pairs, on=["customer_id", "product"], how="anti")
        .sort(["customer_id", "n", "product"], descending=[False, True, False])
        .with_columns(
            pl.int_range(1, pl.len() + 1).over("customer_id").cast(pl.UInt32).alias("rank")
        )
        .select("customer_id", "rank", "product")
    )
