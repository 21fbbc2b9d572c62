"""Chart builders of the credit desk and the suggestion outcomes, on literal frames."""

from __future__ import annotations

import polars as pl

from dashboard.charts.credit import acceptance_chart, mismatch_chart


def test_counts_have_whole_ticks_and_a_named_axis() -> None:
    """One mismatch or one answer read as ticks 0.2 … 0.8 on an axis without a name."""
    mismatches = pl.DataFrame({"application_id": [1], "check": ["business"], "severity": ["low"]})
    fig = mismatch_chart(
        mismatches, {"income": "收入", "business": "经营"}, {"low": "低", "medium": "中", "high": "高"},
        title="各项核查的不一致", count_label="不一致条数",
    )  # fmt: skip
    assert (fig.layout.yaxis.dtick, fig.layout.yaxis.title.text) == (1, "不一致条数")
    assert fig.layout.title.text == "各项核查的不一致"

    summary = pl.DataFrame(
        {"rule": ["retention_call"], "answers": [1], "accepted": [1], "converted": [0]}
    )
    fig = acceptance_chart(
        summary, {"retention_call": "挽留回访"}, ("采纳", "采纳后开通"), "判断次数"
    )
    assert (fig.layout.xaxis.dtick, fig.layout.xaxis.title.text) == (1, "判断次数")
    many = summary.with_columns(pl.lit(40).alias("answers"), pl.lit(23).alias("accepted"))
    assert acceptance_chart(many, {}, ("a", "b")).layout.xaxis.dtick == 5  # about five ticks
