"""Next best products ("猜你喜欢"): offers from footprint signals, tier and holdings.

The offers are data, in the ``[[offers]]`` of metrics/rules.toml (loaded by
``metrics.footprint_rules``). Each names the signals that must be on, the products the customer must not hold yet, and
optionally the tiers, occupations and months (season) it applies to; it proposes a product (or an
action, e.g. a retention call) with a base weight, the reason and a talking point in Chinese and
English. The score is the weight times the tier's boost, capped at 1. When several rules propose
the same product to a customer, the highest score (then the earliest rule) is kept.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import polars as pl


@dataclass(frozen=True)
class Rule:
    """One offer of the rules file (``[[offers]]``)."""

    code: str
    product: str
    weight: float
    label_zh: str
    label_en: str
    reason_zh: str
    reason_en: str
    talk_zh: str
    talk_en: str
    signals: tuple[str, ...] = ()
    not_held: tuple[str, ...] = ()
    tiers: tuple[str, ...] = ()
    occupations: tuple[str, ...] = ()
    months: tuple[int, ...] = ()


OUTPUT_SCHEMA: dict[str, pl.DataType] = {
    "customer_id": pl.Int64,
    "rank": pl.UInt32,
    "rule": pl.String,
    "product": pl.String,
    "score": pl.Float64,
    "label_zh": pl.String,
    "label_en": pl.String,
    "reason_zh": pl.String,
    "reason_en": pl.String,
    "talk_zh": pl.String,
    "talk_en": pl.String,
}


def validate_rules(rules: tuple[Rule, ...]) -> None:
    """Raise ValueError naming the rule when a code repeats or a weight / month is out of range."""
    seen: set[str] = set()
    for rule in rules:
        if rule.code in seen:
            raise ValueError(f"next-best-product rule {rule.code!r} appears twice")
        seen.add(rule.code)
        if not 0 < rule.weight <= 1:
            raise ValueError(f"rule {rule.code!r}: weight {rule.weight} is outside (0, 1]")
        if any(not 1 <= m <= 12 for m in rule.months):
            raise ValueError(f"rule {rule.code!r}: months must be 1..12")


def _condition(rule: Rule, month: int) -> pl.Expr:
    cond = pl.lit(not rule.months or month in rule.months)
    for code in rule.signals:
        cond = cond & pl.col(code).fill_null(False)
    for product in rule.not_held:
        cond = cond & ~pl.col("held").list.contains(product)
    if rule.tiers:
        cond = cond & pl.col("tier").is_in(rule.tiers).fill_null(False)
    if rule.occupations:
        cond = cond & pl.col("occupation").is_in(rule.occupations).fill_null(False)
    return cond


def next_best_products(
    signals: pl.DataFrame,
    holdings: pl.DataFrame,
    profile: pl.DataFrame,
    as_of: date,
    rules: tuple[Rule, ...] | None = None,
    top_n: int | None = None,
    tier_boost: dict[str, float] | None = None,
) -> pl.DataFrame:
    """Ranked proposals per customer.

    Inputs: ``signals`` (customer_id + one Boolean per signal code), ``holdings`` (customer_id,
    product: products held on ``as_of``), ``profile`` (customer_id, tier, occupation; nulls allowed).
    Output: OUTPUT_SCHEMA, by customer_id then rank (1 = best); at most ``top_n`` per customer.
    ``rules`` and ``tier_boost`` default to the offers of the default rules file.
    """
    if rules is None or tier_boost is None:
        from metrics.footprint_rules import load_rules  # the rules file imports this module

        default = load_rules()
        rules = default.offers if rules is None else rules
        tier_boost = default.tier_boost if tier_boost is None else tier_boost
    validate_rules(rules)
    needed = sorted({c for r in rules for c in r.signals} - set(signals.columns))
    if needed:
        raise ValueError(f"signals frame lacks columns {needed}")
    for name, df, cols in (
        ("holdings", holdings, ("customer_id", "product")),
        ("profile", profile, ("customer_id", "tier", "occupation")),
    ):
        missing = [c for c in cols if c not in df.columns]
        if missing:
            raise ValueError(f"{name} frame lacks columns {missing}")

    held = holdings.group_by("customer_id").agg(pl.col("product").cast(pl.String).alias("held"))
    base = (
        signals.with_columns(pl.col("customer_id").cast(pl.Int64))
        .join(
            profile.select(
                pl.col("customer_id").cast(pl.Int64),
                pl.col("tier").cast(pl.String),
                pl.col("occupation").cast(pl.String),
            ),
            on="customer_id",
            how="left",
        )
        .join(held.with_columns(pl.col("customer_id").cast(pl.Int64)), on="customer_id", how="left")
        .with_columns(pl.col("held").fill_null(pl.lit([], dtype=pl.List(pl.String))))
    )
    boost = pl.col("tier").replace_strict(tier_boost, default=1.0, return_dtype=pl.Float64)
    parts = [
        base.filter(_condition(rule, as_of.month)).select(
            pl.col("customer_id"),
            pl.lit(order, pl.Int64).alias("_order"),
            pl.lit(rule.code).alias("rule"),
            pl.lit(rule.product).alias("product"),
            pl.min_horizontal(pl.lit(rule.weight) * boost, pl.lit(1.0)).round(3).alias("score"),
            *(
                pl.lit(getattr(rule, f)).alias(f)
                for f in ("label_zh", "label_en", "reason_zh", "reason_en", "talk_zh", "talk_en")
            ),
        )
        for order, rule in enumerate(rules)
    ]
    if not parts:
        return pl.DataFrame(schema=OUTPUT_SCHEMA)
    out = (
        pl.concat(parts)
        .sort(["customer_id", "score", "_order"], descending=[False, True, False])
        .unique(subset=["customer_id", "product"], keep="first", maintain_order=True)
        .with_columns(
            pl.int_range(1, pl.len() + 1).over("customer_id").cast(pl.UInt32).alias("rank")
        )
    )
    if top_n is not None:
        out = out.filter(pl.col("rank") <= top_n)
    return out.select(list(OUTPUT_SCHEMA)).cast(OUTPUT_SCHEMA)


def held_products(holdings: pl.DataFrame, as_of: date) -> pl.DataFrame:
    """Products held on ``as_of``: opened by then and not closed by then.

    In: customer_id, product, opened_on, closed_on. Out: customer_id, product (unique pairs).
    """
    return (
        holdings.filter(
            (pl.col("opened_on") <= as_of)
            & (pl.col("closed_on").is_null() | (pl.col("closed_on") > as_of))
        )
        .select("customer_id", "product")
        .unique(maintain_order=True)
    )
