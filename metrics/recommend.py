"""Next best products ("猜你喜欢"): a readable rule table from footprint signals, tier and holdings.

Each rule names the signals that must be on, the products the customer must not hold yet, and
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
    """One row of the next-best-product rule table."""

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


# A higher tier makes the same opportunity worth more of an officer's time.
TIER_BOOST: dict[str, float] = {"mass": 1.0, "affluent": 1.05, "vip": 1.1, "private": 1.1}

SPRING_MONTHS = (2, 3, 4)  # 春耕: ploughing and sowing; money is needed from February

RULES: tuple[Rule, ...] = (
    Rule(
        code="outflow_retention",
        product="retention_call",
        weight=0.9,
        signals=("outflow_risk",),
        label_zh="挽留回访",
        label_en="Retention call",
        reason_zh="近90天大部分转出资金流向他行或互联网平台",
        reason_en="most money out in 90 days went to other banks or internet platforms",
        talk_zh="最近看到您往外转账比较多,是不是有更合适的理财或利率需求?我们可以帮您比较一下。",
        talk_en="We noticed larger transfers out recently: is there a rate or product you need? "
        "Let us compare for you.",
    ),
    Rule(
        code="car_credit_card",
        product="credit_card",
        weight=0.8,
        signals=("car_owner",),
        not_held=("credit_card",),
        label_zh="信用卡(绑定 ETC)",
        label_en="Credit card with ETC",
        reason_zh="有车一族(加油小票或车辆记录),尚未持有本行信用卡",
        reason_en="car owner (fuel receipt or vehicle record) without our credit card",
        talk_zh="您经常开车,办一张我行信用卡绑定 ETC,高速通行自动扣费,加油还有优惠。",
        talk_en="You drive often: our credit card with ETC pays tolls automatically and "
        "earns fuel discounts.",
    ),
    Rule(
        code="affluent_wealth",
        product="wealth",
        weight=0.8,
        tiers=("affluent", "vip", "private"),
        not_held=("wealth",),
        label_zh="理财产品",
        label_en="Wealth product",
        reason_zh="富裕及以上客户,尚未购买理财",
        reason_en="affluent or higher tier without a wealth product",
        talk_zh="您的存款比较稳定,可以拿一部分配置稳健型理财,收益比活期高。",
        talk_en="Your deposits are steady: part of them in a low-risk wealth product earns "
        "more than a demand account.",
    ),
    Rule(
        code="merchant_pos",
        product="pos_merchant",
        weight=0.75,
        signals=("merchant",),
        not_held=("pos_merchant",),
        label_zh="POS 收单 / 聚合收款码",
        label_en="POS terminal / merchant QR",
        reason_zh="有经营迹象(生意圈或经营贷),尚未开通本行收单",
        reason_en="runs a business (business circle or loan) without our merchant acquiring",
        talk_zh="店里收款用我行收款码,资金当天到账,流水还能帮您以后申请经营贷。",
        talk_en="Take payments with our merchant QR: same-day settlement, and the turnover "
        "supports a future business loan.",
    ),
    Rule(
        code="spring_agri_loan",
        product="loan_agri",
        weight=0.75,
        occupations=("farmer",),
        months=SPRING_MONTHS,
        not_held=("loan_agri",),
        label_zh="春耕贷",
        label_en="Spring ploughing loan",
        reason_zh="春耕时节的农户,尚无农户贷款",
        reason_en="farmer in the spring ploughing season without an agricultural loan",
        talk_zh="春耕要买种子化肥,我行春耕贷手续简单、随借随还,利率有优惠。",
        talk_en="Seeds and fertiliser for spring: our ploughing loan is simple, repay any "
        "time, at a preferential rate.",
    ),
    Rule(
        code="merchant_loan",
        product="loan_business",
        weight=0.7,
        signals=("merchant",),
        not_held=("loan_business",),
        label_zh="经营贷",
        label_en="Business loan",
        reason_zh="有经营迹象,尚无经营贷",
        reason_en="runs a business without a business loan",
        talk_zh="进货周转紧的时候,可以用我行经营贷,按天计息,用多少算多少。",
        talk_en="When stock needs cash, our business loan charges interest by the day, only "
        "on what you use.",
    ),
    Rule(
        code="migrant_mobile",
        product="mobile_banking",
        weight=0.7,
        signals=("migrant_family",),
        not_held=("mobile_banking",),
        label_zh="手机银行(收款提醒)",
        label_en="Mobile banking with payment alerts",
        reason_zh="家人在外务工,经常收到异地汇款,尚未开通手机银行",
        reason_en="family members work away and send money home; no mobile banking yet",
        talk_zh="孩子在外打工寄钱回来,开通手机银行随时看到账提醒,不用跑网点。",
        talk_en="When your family sends money home, mobile banking tells you at once: no trip "
        "to the branch.",
    ),
    Rule(
        code="car_wealth",
        product="wealth",
        weight=0.65,
        signals=("car_owner",),
        not_held=("wealth",),
        label_zh="理财产品",
        label_en="Wealth product",
        reason_zh="有车一族、消费能力较强,尚未购买理财",
        reason_en="car owner with spending power, no wealth product",
        talk_zh="闲置资金放活期可惜了,我们有几款稳健理财适合您。",
        talk_en="Idle money in a demand account earns little: a few steady wealth products "
        "would suit you.",
    ),
    Rule(
        code="family_event_loan",
        product="loan_consumer",
        weight=0.6,
        signals=("family_event",),
        not_held=("loan_consumer",),
        label_zh="消费贷(婚嫁 / 升学)",
        label_en="Consumer loan (wedding, university)",
        reason_zh="近12个月有家庭大事(婚嫁、升学等)",
        reason_en="a family event (wedding, university) in the last 12 months",
        talk_zh="家里办喜事、孩子上大学开销大,我行消费贷可以帮您周转。",
        talk_en="Weddings and university cost a lot: our consumer loan can spread the cost.",
    ),
    Rule(
        code="pension_card",
        product="social_security_card",
        weight=0.55,
        signals=("pensioner",),
        not_held=("social_security_card",),
        label_zh="社保卡",
        label_en="Social security card",
        reason_zh="养老金在本行入账,尚未办理社保卡",
        reason_en="pension paid in here, no social security card yet",
        talk_zh="养老金在我行发放,办一张社保卡看病买药都方便。",
        talk_en="Your pension is paid here: a social security card makes clinics and "
        "pharmacies easy.",
    ),
    Rule(
        code="remittance_deposit",
        product="time_deposit",
        weight=0.5,
        signals=("migrant_family",),
        not_held=("time_deposit",),
        label_zh="定期存款(零存整取)",
        label_en="Time deposit (monthly savings)",
        reason_zh="定期收到外出务工汇款,尚无定期存款",
        reason_en="regular remittances from family working away, no time deposit",
        talk_zh="孩子每月寄回的钱,可以转一部分存零存整取,利息比活期高。",
        talk_en="Put part of the monthly remittance into monthly savings: it earns more than "
        "a demand account.",
    ),
)

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
    rules: tuple[Rule, ...] = RULES,
    top_n: int | None = None,
) -> pl.DataFrame:
    """Ranked proposals per customer.

    Inputs: ``signals`` (customer_id + one Boolean per signal code), ``holdings`` (customer_id,
    product: products held on ``as_of``), ``profile`` (customer_id, tier, occupation; nulls allowed).
    Output: OUTPUT_SCHEMA, by customer_id then rank (1 = best); at most ``top_n`` per customer.
    """
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
    boost = pl.col("tier").replace_strict(TIER_BOOST, default=1.0, return_dtype=pl.Float64)
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
