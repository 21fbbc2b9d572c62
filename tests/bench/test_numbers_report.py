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


def test_calibration_separates_the_deciles_of_p_alive(demo_engine: sa.Engine) -> None:
    """P(alive) tells who has gone quiet: the lowest decile is well below 1 and is the least active
    in the hold-out; the predicted share active in the hold-out follows the observed one."""
    table = calibration(demo_engine, load_standards(), date(2026, 11, 22))
    assert table.height == 10
    mean_p = table["mean_p_alive"].to_list()
    assert mean_p == sorted(mean_p)
    assert mean_p[0] < 0.85 < mean_p[1]
    active = table["active_share"].to_list()
    assert active[0] < min(active[1:]) - 0.1
    for predicted, observed in zip(table["predicted_active_share"], active, strict=True):
        assert abs(predicted - observed) < 0.12
