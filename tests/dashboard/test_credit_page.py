"""App tests of the credit desk on the demo bank: applications with mismatches and their evidence,
the platform what-if, both languages."""

from __future__ import annotations

import json
from collections.abc import Callable

import pytest
import sqlalchemy as sa
from streamlit.proto.Metric_pb2 import Metric as MetricProto
from streamlit.testing.v1 import AppTest


def _metric(at: AppTest, label: str) -> str:
    return next(m.value for m in at.metric if m.label == label)


@pytest.mark.slow
def test_credit_desk_in_chinese(app_test: Callable[..., AppTest], demo_engine: sa.Engine) -> None:
    at = app_test("credit", lang="zh", week="2026-11-16")
    assert not at.exception
    assert at.title[0].value == "贷前足迹核查"
    # the last 365 days hold every kind of planted contradiction
    at.segmented_control(key="cr_days").set_value(365).run()
    assert not at.exception
    apps = int(_metric(at, "申请笔数").replace(",", ""))
    flagged = int(_metric(at, "有不一致").replace(",", ""))
    assert apps > 100 and 0 < flagged < apps
    # the headline count recomputed from the raw table in plain SQL
    with demo_engine.connect() as conn:
        raw = conn.exec_driver_sql(
            "select count(*) from loan_applications "
            "where applied_on between date '2025-11-23' and date '2026-11-22'"
        ).scalar_one()
    assert apps == raw
    table = at.dataframe[0].value
    assert len(table) == flagged  # only applications with a mismatch, by default
    assert table["客户"].str.contains(r"\*").all()  # names masked on screen
    assert table["客户足迹"].str.startswith("/customer?customer=").all()
    text = " ".join(m.value for m in at.markdown)
    assert "申请前12个月入账" in text or "从未出现在足迹中" in text or "未见任何还款" in text


@pytest.mark.slow
def test_platform_what_if_and_detail_in_english(app_test: Callable[..., AppTest]) -> None:
    at = app_test("credit", lang="en", week="2026-11-16")
    at.segmented_control(key="cr_days").set_value(365).run()
    at.toggle(key="cr_only").set_value(False).run()
    cols = ["Application", "Internal rating", "Platform points"]
    with_platforms = at.dataframe[0].value[cols].set_index("Application")
    at.toggle(key="cr_platforms").set_value(False).run()
    assert not at.exception
    without = at.dataframe[0].value[cols].set_index("Application")
    gain = with_platforms["Internal rating"] - without.loc[with_platforms.index, "Internal rating"]
    # consented limits only adjust the rating, by their points, never by more than the cap (5)
    assert (gain > 0).sum() > 0 and gain.max() <= 5.0 + 1e-9 and gain.min() >= 0
    assert with_platforms["Platform points"].max() <= 5.0
    # an application with an income mismatch: its evidence names the footprints
    at.toggle(key="cr_only").set_value(True).run()
    options = at.selectbox(key="cr_app").options
    assert options
    found = False
    for option in options[:40]:
        at.selectbox(key="cr_app").set_value(int(option.split(" · ")[0])).run()
        text = " ".join(m.value for m in at.markdown)
        if "declared yearly income CNY" in text:
            assert "credit(s) seen in the 12 months before" in text
            found = True
            break
    assert found


@pytest.mark.slow
def test_desk_reads_plainly(app_test: Callable[..., AppTest]) -> None:
    """The chart says what it counts in whole mismatches, the share of flagged applications has
    no arrow (it is no change), and an application's day shows no time of day."""
    at = app_test("credit", lang="en", week="2026-11-16")
    assert not at.exception
    layout = json.loads(at.get("plotly_chart")[0].proto.spec)["layout"]
    assert layout["title"]["text"] == "Mismatches by check and severity"
    assert layout["yaxis"]["title"]["text"] == "Mismatches"
    assert layout["yaxis"]["dtick"] >= 1 and float(layout["yaxis"]["dtick"]).is_integer()
    flagged = next(m for m in at.metric if m.label == "With a mismatch")
    assert flagged.proto.direction == MetricProto.MetricDirection.NONE  # a share: no arrow
    # the browser draws a Date column as "2026-10-26 00:00:00": the day goes as its text (a
    # year of applications, so that the table is not empty)
    at.segmented_control(key="cr_days").set_value(365).run()
    applied = at.dataframe[0].value["Applied on"]
    assert len(applied) and applied.str.fullmatch(r"\d{4}-\d{2}-\d{2}").all(), list(applied)
