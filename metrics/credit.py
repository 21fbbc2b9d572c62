"""The credit desk: each loan application checked against the applicant's footprints.

Four checks, each a mismatch with a severity and its evidence in Chinese and English:
- income: declared yearly income against the money that came in over the year before (the
  standard's ratio and minimum evidence, the same rule as the information-quality page);
- place: a declared place where the customer has never been seen, though seen elsewhere;
- business: a business or farm loan with no business (POS takings, merchant credits, business
  circle, acquiring) or farm footprints (subsidies, farm-supply purchases) in the year before;
- debt: loans held here for a while with no repayment seen in the standard's look-back, or loans
  repaid by monthly instalments with no repayment in the standard's shorter instalment look-back.
The internal rating is 100 minus the penalties of the mismatches (``standards.credit``);
internet-platform limits shown with consent only adjust it, by at most the standard's cap.
"""

from __future__ import annotations

import polars as pl

from metrics.quality import _income_flag, _income_ratio  # one income rule for both pages
from metrics.standards import Credit

CHECKS = ("income", "place", "business", "debt")
SEVERITIES = ("high", "medium", "low")

EVIDENCE_COLUMNS: dict[str, pl.DataType] = {
    "application_id": pl.Int64(),
    "customer_id": pl.Int64(),
    "product": pl.String(),
    "applied_on": pl.Date(),
    "declared_income": pl.Float64(),
    "declared_business": pl.String(),
    "declared_place": pl.String(),
    "observed_inflow": pl.Float64(),
    "inflow_count": pl.Int64(),
    "declared_place_seen": pl.Int64(),
    "place_count": pl.Int64(),
    "places_seen": pl.String(),
    "pos_inflows": pl.Int64(),
    "merchant_inflows": pl.Int64(),
    "farm_footprints": pl.Int64(),
    "business_circles": pl.Int64(),
    "holds_pos": pl.Int64(),
    "loans_due": pl.Int64(),
    "repayments_seen": pl.Int64(),
    "last_repayment_at": pl.Datetime("us"),
    "instalments_due": pl.Int64(),
    "platform_limit": pl.Float64(),
    "platforms": pl.Int64(),
}

MISMATCH_SCHEMA: dict[str, pl.DataType] = {
    "application_id": pl.Int64(),
    "check": pl.String(),
    "severity": pl.String(),
    "evidence_zh": pl.String(),
    "evidence_en": pl.String(),
}


def _money(col: str) -> pl.Expr:
    return (
        pl.col(col)
        .fill_null(0)
        .round(0)
        .cast(pl.Int64)
        .map_elements(lambda v: f"{v:,}", return_dtype=pl.String)
    )


def _require(df: pl.DataFrame) -> None:
    missing = [c for c in EVIDENCE_COLUMNS if c not in df.columns]
    if missing:
        raise ValueError(f"credit evidence lacks columns {missing}")


def _income(ev: pl.DataFrame, ratio: float, min_inflows: int) -> pl.DataFrame:
    r = _income_ratio()
    severe = pl.col("observed_inflow").fill_null(0) <= 0
    severe = severe | (r >= 2 * ratio).fill_null(True)
    times = r.round(1).cast(pl.String).fill_null("∞")
    return ev.filter(_income_flag(ratio, min_inflows)).select(
        "application_id",
        pl.lit("income").alias("check"),
        pl.when(severe).then(pl.lit("high")).otherwise(pl.lit("medium")).alias("severity"),
        pl.format(
            "申报年收入 {} 元,申请前12个月入账 {} 笔、合计 {} 元(申报为入账的 {} 倍)",
            _money("declared_income"),
            "inflow_count",
            _money("observed_inflow"),
            times,
        ).alias("evidence_zh"),
        pl.format(
            "declared yearly income CNY {}; {} credit(s) seen in the 12 months before, CNY {} "
            "in total (declared is {}×)",
            _money("declared_income"),
            "inflow_count",
            _money("observed_inflow"),
            times,
        ).alias("evidence_en"),
    )


def _place(ev: pl.DataFrame) -> pl.DataFrame:
    flag = (
        pl.col("declared_place").is_not_null()
        & (pl.col("declared_place_seen").fill_null(0) == 0)
        & (pl.col("place_count").fill_null(0) > 0)
    )
    return ev.filter(flag).select(
        "application_id",
        pl.lit("place").alias("check"),
        pl.lit("medium").alias("severity"),
        pl.format(
            "申报地点“{}”从未出现在足迹中;常出现于:{}", "declared_place", "places_seen"
        ).alias("evidence_zh"),
        pl.format(
            "declared place '{}' never appears in the footprints; seen at: {}",
            "declared_place",
            "places_seen",
        ).alias("evidence_en"),
    )


def _business(ev: pl.DataFrame, min_inflows: int) -> pl.DataFrame:
    trade = (
        pl.col("pos_inflows") + pl.col("merchant_inflows") + pl.col("business_circles")
    ) + pl.col("holds_pos")
    seen_enough = pl.col("inflow_count").fill_null(0) >= min_inflows
    biz = (pl.col("product") == "loan_business") & (trade == 0)
    farm = (pl.col("product") == "loan_agri") & (pl.col("farm_footprints") == 0)
    return ev.filter(seen_enough & (biz | farm)).select(
        "application_id",
        pl.lit("business").alias("check"),
        pl.when(pl.col("product") == "loan_business")
        .then(pl.lit("medium"))
        .otherwise(pl.lit("low"))
        .alias("severity"),
        pl.when(pl.col("product") == "loan_business")
        .then(
            pl.format(
                "申报经营“{}”,申请前12个月无 POS 收款、商户入账、生意圈记录或收单产品",
                pl.col("declared_business").fill_null("—"),
            )
        )
        .otherwise(
            pl.format(
                "申报农业经营“{}”,申请前12个月无农业补贴入账或农资消费",
                pl.col("declared_business").fill_null("—"),
            )
        )
        .alias("evidence_zh"),
        pl.when(pl.col("product") == "loan_business")
        .then(
            pl.format(
                "declared business '{}', but no POS takings, merchant credits, business-circle "
                "note or acquiring product in the 12 months before",
                pl.col("declared_business").fill_null("—"),
            )
        )
        .otherwise(
            pl.format(
                "declared farming '{}', but no farm subsidy or farm-supply purchase in the 12 "
                "months before",
                pl.col("declared_business").fill_null("—"),
            )
        )
        .alias("evidence_en"),
    )


def _debt(ev: pl.DataFrame, lookback_days: int, instalment_days: int) -> pl.DataFrame:
    none_seen = (pl.col("loans_due") > 0) & (pl.col("repayments_seen") == 0)
    last = pl.col("last_repayment_at").dt.date()
    quiet = (pl.col("applied_on") - last).dt.total_days()
    overdue = (pl.col("instalments_due") > 0) & (quiet > instalment_days).fill_null(True)
    last_zh = pl.when(last.is_null()).then(pl.lit("无")).otherwise(last.cast(pl.String))
    last_en = pl.when(last.is_null()).then(pl.lit("none")).otherwise(last.cast(pl.String))
    return ev.filter(none_seen | overdue).select(
        "application_id",
        pl.lit("debt").alias("check"),
        pl.lit("high").alias("severity"),
        pl.when(none_seen)
        .then(
            pl.format(
                "持有本行贷款 {} 笔,申请前 {} 天内未见任何还款",
                "loans_due",
                pl.lit(lookback_days),
            )
        )
        .otherwise(
            pl.format(
                "持有本行分期还款贷款 {} 笔,申请前 {} 天内未见还款(上次还款:{})",
                "instalments_due",
                pl.lit(instalment_days),
                last_zh,
            )
        )
        .alias("evidence_zh"),
        pl.when(none_seen)
        .then(
            pl.format(
                "{} loan(s) held here, but no repayment seen in the {} days before",
                "loans_due",
                pl.lit(lookback_days),
            )
        )
        .otherwise(
            pl.format(
                "{} loan(s) repaid by monthly instalments held here, but no repayment in the {} "
                "days before (last repayment: {})",
                "instalments_due",
                pl.lit(instalment_days),
                last_en,
            )
        )
        .alias("evidence_en"),
    )


def credit_mismatches(
    evidence: pl.DataFrame, ratio: float, min_inflows: int, credit: Credit
) -> pl.DataFrame:
    """Every mismatch of every application (MISMATCH_SCHEMA), high severity first.

    In: one row per application with EVIDENCE_COLUMNS (counts may be null: nothing seen).
    """
    _require(evidence)
    counts = [c for c, t in EVIDENCE_COLUMNS.items() if t == pl.Int64() and c != "application_id"]
    ev = evidence.with_columns(
        [pl.col(c).fill_null(0) for c in counts if c not in ("customer_id",)]
    )
    parts = [
        _income(ev, ratio, min_inflows),
        _place(ev),
        _business(ev, min_inflows),
        _debt(ev, credit.repayment_lookback_days, credit.instalment_lookback_days),
    ]
    order = {s: i for i, s in enumerate(SEVERITIES)}
    return (
        pl.concat([p.cast(MISMATCH_SCHEMA) for p in parts])  # type: ignore[arg-type]
        .with_columns(pl.col("severity").replace_strict(order, return_dtype=pl.Int8).alias("_o"))
        .sort(["_o", "application_id", "check"])
        .drop("_o")
    )


def platform_adjustment(limit: pl.Expr, credit: Credit) -> pl.Expr:
    """Rating points for consented internet-platform limits: per 10,000 CNY, at most the cap."""
    points = limit.fill_null(0.0) / 10_000 * credit.platform_points_per_10k
    return pl.min_horizontal(points, pl.lit(credit.platform_adjustment_cap))


def rate_applications(
    evidence: pl.DataFrame, mismatches: pl.DataFrame, credit: Credit
) -> pl.DataFrame:
    """Per application: mismatches by severity, the internal rating without and with the platform
    adjustment, and the worst severity.

    Out: application_id, mismatches, worst, rating, platform_points, rating_with_platforms.
    """
    penalty = {"high": credit.penalty_high, "medium": credit.penalty_medium}
    penalty |= {"low": credit.penalty_low}
    order = {s: i for i, s in enumerate(SEVERITIES)}
    per_app = mismatches.group_by("application_id").agg(
        pl.len().cast(pl.Int64).alias("mismatches"),
        pl.col("severity").replace_strict(penalty, return_dtype=pl.Float64).sum().alias("_pen"),
        pl.col("severity")
        .sort_by(pl.col("severity").replace_strict(order, return_dtype=pl.Int8))
        .first()
        .alias("worst"),
    )
    rating = (100.0 - pl.col("_pen").fill_null(0.0)).clip(0.0, 100.0)
    return (
        evidence.select("application_id", "platform_limit")
        .join(per_app, on="application_id", how="left")
        .with_columns(
            pl.col("mismatches").fill_null(0),
            rating.alias("rating"),
            platform_adjustment(pl.col("platform_limit"), credit).alias("platform_points"),
        )
        .with_columns(
            (pl.col("rating") + pl.col("platform_points"))
            .clip(0.0, 100.0)
            .alias("rating_with_platforms")
        )
        .select(
            "application_id",
            "mismatches",
            "worst",
            "rating",
            "platform_points",
            "rating_with_platforms",
        )
    )


def precision_recall(flagged: set[int], planted: set[int]) -> dict[str, float]:
    """Precision and recall of flagged ids against planted ids (nan when undefined)."""
    hits = len(flagged & planted)
    return {
        "flagged": float(len(flagged)),
        "planted": float(len(planted)),
        "precision": hits / len(flagged) if flagged else float("nan"),
        "recall": hits / len(planted) if planted else float("nan"),
    }


def assemble_evidence(
    applications: pl.DataFrame, extras: pl.DataFrame, places: pl.DataFrame
) -> pl.DataFrame:
    """One row per application with EVIDENCE_COLUMNS (and whatever else ``applications`` holds).

    In: ``applications`` as from the application-evidence query (income and place evidence),
    ``extras`` (application_id + the business, loan and platform evidence), ``places``
    (customer_id, place, n — where applicants were seen).
    """
    from metrics.quality import places_seen

    out = (
        applications.join(extras, on="application_id", how="left")
        .join(places_seen(places), on="customer_id", how="left")
        .with_columns(pl.col("place_count").fill_null(0), pl.col("places_seen").fill_null("—"))
    )
    return out.with_columns([pl.col(c).cast(t) for c, t in EVIDENCE_COLUMNS.items()])
