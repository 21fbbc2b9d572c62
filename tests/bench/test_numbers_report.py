"""The numbers report scores the weekly flags against the anomalies the generator planted."""

from __future__ import annotations

from datetime import date

import sqlalchemy as sa

from bench.numbers import calibration, report, score_flags
from metrics.standards import load_standards


def test_flags_find_the_planted_anomalies_and_stay_quiet_otherwise(
    demo_engine: sa.Engine,
) -> None:
    s = score_flags(demo_engine, load_standards(), date(2026, 11, 16))
    assert s.planted >= 10  # the generator planted and recorded them
    assert s.recall >= 0.8
    assert s.ordinary_rate < 0.03  # a handful of 210 branch x KPI pairs in an ordinary week
    assert s.precision > 0.1
    text = report(demo_engine)
    assert "ordinary-week flag rate" in text and "recall" in text and "precision" in text
    assert "CLV 7,646.21" in text  # the standard's worked example (docs/customer-value.md)


def test_calibration_ranks_activity(demo_engine: sa.Engine) -> None:
    """Predicted activity on the hold-out rises with observed activity, decile by decile."""
    table = calibration(demo_engine, load_standards(), date(2026, 11, 22))
    assert table.height == 10
    observed = table["observed_days"].to_list()
    assert observed[-1] > 3 * observed[0]
    assert table["predicted_days"].to_list() == sorted(table["predicted_days"].to_list())
