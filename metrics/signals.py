"""Footprint signals: the Booleans of the rules file, computed from per-customer measures.

Input (one row per customer; what ``data_access.queries.signals`` aggregates in SQL, or
``metrics.footprint_rules.compute_measures`` in polars): ``customer_id``, optional ``branch_id`` /
``officer_id``, and one column per measure of the rules (nulls mean "nothing observed"). Output:
``customer_id`` (+ branch/officer) and one Boolean column per signal, in the rules' order. The
signals and their conditions are data (metrics/rules.toml); thresholds may come from the standard
(e.g. the outflow share from ``standards.alerts``).
"""

from __future__ import annotations

import polars as pl

from metrics.footprint_rules import (
    FootprintRules,
    condition_evidence,
    evaluate_signals,
    rules_for,
)
from metrics.standards import Standards


def feature_columns(rules: FootprintRules) -> dict[str, pl.DataType]:
    """The measure columns a features frame carries, with their types."""
    return {m.code: m.dtype for m in rules.measures}


def compute_signals(
    features: pl.DataFrame, standards: Standards, rules: FootprintRules | None = None
) -> pl.DataFrame:
    """One Boolean column per signal of the rules (those beside the standard by default)."""
    rules = rules or rules_for(standards)
    defined = {s.code for s in rules.signals}
    unknown = [s.code for s in standards.signals if s.code not in defined]
    if unknown:
        raise ValueError(f"signals {unknown} in the standard have no rule in {rules.source}")
    return evaluate_signals(features, rules, standards)


EVIDENCE_SCHEMA = {
    "code": pl.String,
    "label_zh": pl.String,
    "label_en": pl.String,
    "description": pl.String,
    "active": pl.Boolean,
    "evidence_zh": pl.String,
    "evidence_en": pl.String,
}


def signal_evidence(
    features: pl.DataFrame, standards: Standards, rules: FootprintRules | None = None
) -> pl.DataFrame:
    """For one customer (a 1-row feature frame): each signal, whether it is on, and the footprints seen.

    Output columns: EVIDENCE_SCHEMA, one row per signal in the rules' order. Evidence lists the
    conditions that hold, and those marked ``show = "observed"`` whenever something was seen
    (e.g. an outflow share below the alert).
    """
    if features.height != 1:
        raise ValueError(
            f"signal_evidence needs one customer's features, got {features.height} rows"
        )
    rules = rules or rules_for(standards)
    flags = compute_signals(features, standards, rules).row(0, named=True)
    conds = condition_evidence(features, rules, standards).filter(pl.col("shown"))
    rows = []
    for s in rules.signals:
        mine = conds.filter(pl.col("code") == s.code)
        rows.append(
            {
                "code": s.code,
                "label_zh": s.info.label_zh,
                "label_en": s.info.label_en,
                "description": s.info.description,
                "active": flags[s.code],
                "evidence_zh": ";".join(mine["evidence_zh"]),
                "evidence_en": "; ".join(mine["evidence_en"]),
            }
        )
    return pl.DataFrame(rows, schema=EVIDENCE_SCHEMA)
