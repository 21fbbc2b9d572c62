"""Acceptance and conversion of suggestions per rule and per officer, on literal answers."""

from __future__ import annotations

from datetime import date

import polars as pl
import pytest

from metrics.feedback import feedback_summary, reason_counts, rules_not_converting

OUT = pl.DataFrame(
    {
        "rule": ["car_credit_card"] * 4 + [None] * 2,
        "officer_id": [11, 11, 12, 12, 11, 12],
        "officer_name": ["甲", "甲", "乙", "乙", "甲", "乙"],
        "decision": ["accept", "accept", "accept", "dismiss", "accept", "dismiss"],
        "reason": ["will_call"] * 3 + ["not_suitable", "good_timing", "not_suitable"],
        "opened_on": [date(2026, 10, 1), None, None, date(2026, 10, 3), None, None],
    }
)


def test_per_rule() -> None:
    by = {r["rule"]: r for r in feedback_summary(OUT, "rule").iter_rows(named=True)}
    card = by["car_credit_card"]
    assert (card["answers"], card["accepted"], card["converted"]) == (4, 3, 1)
    assert card["acceptance"] == 0.75 and card["conversion"] == pytest.approx(1 / 3)
    assert card["dismissed_converted"] == 1
    assert (by["peers"]["accepted"], by["peers"]["conversion"]) == (1, 0.0)


def test_per_officer() -> None:
    by = {r["officer_name"]: r for r in feedback_summary(OUT, "officer_id").iter_rows(named=True)}
    assert (by["甲"]["answers"], by["甲"]["accepted"], by["甲"]["converted"]) == (3, 3, 1)
    assert (by["乙"]["accepted"], by["乙"]["acceptance"]) == (1, pytest.approx(1 / 3))


def test_rules_that_do_not_convert() -> None:
    summary = feedback_summary(OUT, "rule")
    assert rules_not_converting(summary, min_accepted=1)["rule"].to_list() == ["peers"]
    assert rules_not_converting(summary, min_accepted=5).is_empty()


def test_reasons_and_bad_grouping() -> None:
    assert reason_counts(OUT).row(0) == ("accept", "will_call", 3)
    with pytest.raises(ValueError, match="rule or officer_id"):
        feedback_summary(OUT, "branch_id")
