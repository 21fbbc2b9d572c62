"""How officers answer next-best-product suggestions, and whether the products were opened.

In (``outcomes``): one row per answer with rule (null: peers only), officer_id, officer_name,
decision ('accept' / 'dismiss'), reason, opened_on (null: not opened within the window).
"""

from __future__ import annotations

import polars as pl

PEERS_ONLY = "peers"  # the rule column of a suggestion no offer was behind

SUMMARY_COLUMNS = (
    "answers",
    "accepted",
    "acceptance",
    "converted",
    "conversion",
    "dismissed_converted",
)


def feedback_summary(outcomes: pl.DataFrame, by: str) -> pl.DataFrame:
    """Per ``by`` ('rule' or 'officer_id'): answers, accepted, acceptance rate, accepted answers
    whose product was opened in the window (converted, conversion = converted / accepted), and
    dismissed answers opened anyway (the officer's judgement against the outcome)."""
    if by not in ("rule", "officer_id"):
        raise ValueError(f"feedback_summary groups by rule or officer_id, not {by!r}")
    missing = [
        c for c in ("rule", "officer_id", "decision", "opened_on") if c not in outcomes.columns
    ]
    if missing:
        raise ValueError(f"feedback outcomes lack columns {missing}")
    accepted = pl.col("decision") == "accept"
    opened = pl.col("opened_on").is_not_null()
    keys = [by] + (
        ["officer_name"] if by == "officer_id" and "officer_name" in outcomes.columns else []
    )
    return (
        outcomes.with_columns(pl.col("rule").fill_null(PEERS_ONLY))
        .group_by(keys)
        .agg(
            pl.len().cast(pl.Int64).alias("answers"),
            accepted.sum().cast(pl.Int64).alias("accepted"),
            (accepted & opened).sum().cast(pl.Int64).alias("converted"),
            (~accepted & opened).sum().cast(pl.Int64).alias("dismissed_converted"),
        )
        .with_columns(
            (pl.col("accepted") / pl.col("answers")).alias("acceptance"),
            pl.when(pl.col("accepted") > 0)
            .then(pl.col("converted") / pl.col("accepted"))
            .otherwise(None)
            .alias("conversion"),
        )
        .select(*keys, *SUMMARY_COLUMNS)
        .sort(["answers", by], descending=[True, False])
    )


def rules_not_converting(summary: pl.DataFrame, min_accepted: int = 5) -> pl.DataFrame:
    """Rules accepted at least ``min_accepted`` times whose products were never opened."""
    return summary.filter((pl.col("accepted") >= min_accepted) & (pl.col("converted") == 0))


def reason_counts(outcomes: pl.DataFrame) -> pl.DataFrame:
    """decision, reason, answers — most frequent first."""
    return (
        outcomes.group_by("decision", "reason")
        .agg(pl.len().cast(pl.Int64).alias("answers"))
        .sort(["answers", "decision", "reason"], descending=[True, False, False])
    )
