"""Information quality: how complete, how fresh and how believable the customer profiles are.

Inputs are the aggregated frames of ``data_access.queries.quality``; every function is pure polars.
"""

from __future__ import annotations

from datetime import date, timedelta

import polars as pl

FILL_COLUMNS = ("officer_id", "branch_id", "field", "customers", "filled")


def _require(df: pl.DataFrame, columns: tuple[str, ...] | list[str], what: str) -> None:
    missing = [c for c in columns if c not in df.columns]
    if missing:
        raise ValueError(f"{what} lacks columns {missing}")


def field_completeness(fill: pl.DataFrame) -> pl.DataFrame:
    """Share of open customers with each profile field filled.

    In: officer_id, branch_id, field, customers, filled (one row per book and field).
    Out: field, customers, filled, completeness (0..1), least complete first.
    """
    _require(fill, FILL_COLUMNS, "profile fill")
    return (
        fill.group_by("field")
        .agg(pl.col("customers").sum(), pl.col("filled").sum())
        .with_columns(
            pl.when(pl.col("customers") > 0)
            .then(pl.col("filled") / pl.col("customers"))
            .otherwise(None)
            .alias("completeness")
        )
        .sort(["completeness", "field"], nulls_last=True)
    )


def overall_completeness(fill: pl.DataFrame) -> float | None:
    """Share of all profile fields filled across the books in ``fill`` (None when empty)."""
    _require(fill, FILL_COLUMNS, "profile fill")
    slots = fill.get_column("customers").sum()
    return fill.get_column("filled").sum() / slots if slots else None


def officer_completeness(fill: pl.DataFrame) -> pl.DataFrame:
    """Completeness of each officer's book: filled fields over (customers × fields), and its weakest field.

    In: officer_id, branch_id, field, customers, filled. Books without an officer (officer_id null)
    are left out. Out: officer_id, branch_id, customers, completeness (0..1), weakest_field,
    weakest_completeness; one row per officer.
    """
    _require(fill, FILL_COLUMNS, "profile fill")
    per_field = (
        fill.filter(pl.col("officer_id").is_not_null())
        .group_by("officer_id", "field")
        .agg(
            pl.col("branch_id").first(),
            pl.col("customers").sum(),
            pl.col("filled").sum(),
        )
        .with_columns((pl.col("filled") / pl.col("customers")).alias("share"))
    )
    weakest = (
        per_field.sort(["officer_id", "share", "field"])
        .group_by("officer_id", maintain_order=True)
        .agg(
            pl.col("field").first().alias("weakest_field"),
            pl.col("share").first().alias("weakest_completeness"),
        )
    )
    return (
        per_field.group_by("officer_id")
        .agg(
            pl.col("branch_id").first(),
            pl.col("customers").max(),
            (pl.col("filled").sum() / pl.col("customers").sum()).alias("completeness"),
        )
        .join(weakest, on="officer_id", how="left")
        .select(
            "officer_id",
            "branch_id",
            "customers",
            "completeness",
            "weakest_field",
            "weakest_completeness",
        )
        .sort("officer_id")
    )


def stale_cutoff(as_of: date, stale_profile_days: int) -> date:
    """A profile last updated before this day is stale on ``as_of``."""
    if stale_profile_days < 1:
        raise ValueError(f"stale_profile_days must be at least 1, got {stale_profile_days}")
    return as_of - timedelta(days=stale_profile_days)


def staleness_by_officer(counts: pl.DataFrame) -> pl.DataFrame:
    """Stale and never-updated profiles per officer's book.

    In: officer_id, branch_id, customers, never_updated, stale (counted against ``stale_cutoff``).
    Out: the same plus outdated (never_updated + stale) and outdated_share (0..1), worst first.
    """
    _require(counts, ("officer_id", "branch_id", "customers", "never_updated", "stale"), "counts")
    outdated = pl.col("never_updated") + pl.col("stale")
    return (
        counts.filter(pl.col("customers") > 0)
        .with_columns(outdated.alias("outdated"))
        .with_columns((pl.col("outdated") / pl.col("customers")).alias("outdated_share"))
        .sort(["outdated_share", "officer_id"], descending=[True, False], nulls_last=True)
    )


def income_contradictions(
    evidence: pl.DataFrame, ratio: float, min_inflows: int = 0
) -> pl.DataFrame:
    """Declared yearly income at least ``ratio`` × the inflows seen in the year before.

    In: declared_income, observed_inflow, and inflow_count when ``min_inflows`` > 0 (plus any
    identifying columns, kept). A row with fewer than ``min_inflows`` credits seen is not judged:
    too few footprints to contradict anything (a customer new to the bank). Out: the rows that
    contradict, with income_ratio = declared / observed (null when nothing was seen), largest
    ratio first (nothing seen first of all).
    """
    _require(evidence, ("declared_income", "observed_inflow"), "income evidence")
    _check_thresholds(ratio, min_inflows, evidence)
    return (
        evidence.filter(_income_flag(ratio, min_inflows))
        .with_columns(_income_ratio().alias("income_ratio"))
        .sort("income_ratio", descending=True, nulls_last=False)
    )


def _check_thresholds(ratio: float, min_inflows: int, evidence: pl.DataFrame) -> None:
    if ratio < 1:
        raise ValueError(f"income_contradiction_ratio must be at least 1, got {ratio}")
    if min_inflows < 0:
        raise ValueError(f"contradiction_min_inflows must be at least 0, got {min_inflows}")
    if min_inflows > 0:
        _require(evidence, ("inflow_count",), "income evidence")


def _income_flag(ratio: float, min_inflows: int) -> pl.Expr:
    declared = pl.col("declared_income")
    observed = pl.col("observed_inflow").fill_null(0.0)
    flag = declared.is_not_null() & (declared > 0) & (declared >= ratio * observed)
    if min_inflows > 0:
        flag = flag & (pl.col("inflow_count").fill_null(0) >= min_inflows)
    return flag


def _income_ratio() -> pl.Expr:
    observed = pl.col("observed_inflow").fill_null(0.0)
    return pl.when(observed > 0).then(pl.col("declared_income") / observed).otherwise(None)


def places_seen(places: pl.DataFrame, top: int = 3) -> pl.DataFrame:
    """The places each customer was seen most often, as text for an evidence column.

    In: customer_id, place, n. Out: customer_id, places_seen ('城关镇 ×3, 青石镇 ×1'), place_count.
    """
    _require(places, ("customer_id", "place", "n"), "places")
    return (
        places.sort(["customer_id", "n", "place"], descending=[False, True, False])
        .group_by("customer_id", maintain_order=True)
        .agg(
            pl.format("{} ×{}", "place", "n").head(top).str.join(", ").alias("places_seen"),
            pl.len().alias("place_count"),
        )
    )


def application_contradictions(
    applications: pl.DataFrame, places: pl.DataFrame, ratio: float, min_inflows: int = 0
) -> pl.DataFrame:
    """Loan applications whose declarations the footprints contradict, with the evidence.

    In: applications with application_id, customer_id, declared_income, observed_inflow,
    declared_place, declared_place_seen (footprints at the declared place), and inflow_count when
    ``min_inflows`` > 0; places as for ``places_seen``. Income is judged only where at least
    ``min_inflows`` credits were seen, the place only where the customer was seen somewhere: no
    footprints contradict nothing. Out: the contradicted applications with income_flag,
    place_flag, income_ratio, places_seen, place_count; both flags first, then by income_ratio.
    """
    _require(
        applications,
        ("application_id", "customer_id", "declared_income", "observed_inflow", "declared_place",
         "declared_place_seen"),
        "applications",
    )  # fmt: skip
    _check_thresholds(ratio, min_inflows, applications)
    place_flag = (
        pl.col("declared_place").is_not_null()
        & (pl.col("declared_place_seen").fill_null(0) == 0)
        & (pl.col("place_count") > 0)
    )
    return (
        applications.join(places_seen(places), on="customer_id", how="left")
        .with_columns(pl.col("place_count").fill_null(0))
        .with_columns(
            _income_flag(ratio, min_inflows).alias("income_flag"),
            place_flag.alias("place_flag"),
            _income_ratio().alias("income_ratio"),
        )
        .filter(pl.col("income_flag") | pl.col("place_flag"))
        .with_columns(
            (pl.col("income_flag").cast(pl.Int8) + pl.col("place_flag").cast(pl.Int8)).alias(
                "_flags"
            )
        )
        .sort(
            ["_flags", "income_ratio", "application_id"],
            descending=[True, True, False],
            nulls_last=False,
        )
        .drop("_flags")
    )
