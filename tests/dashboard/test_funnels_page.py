"""App tests of the Marketing funnels page: on a small seeded bank (exact numbers) and the demo bank."""

from __future__ import annotations

import random
from collections.abc import Callable, Iterator
from datetime import date, datetime, timedelta

import polars as pl
import pytest
import sqlalchemy as sa
from streamlit.testing.v1 import AppTest

from data_access.engine import create_schema, make_engine
from data_access.schema import (
    FUNNEL_STAGES,
    bank_meta,
    campaigns,
    customers,
    marketing_events,
)
from tests.dashboard.conftest import assert_says_empty, metric_value, page_on, rendered
from tests.rows import campaign_row, insert_staff


def seed_bank(url: str) -> None:
    """Two branches (branch 1 twice as big), four officers, one campaign with a seeded drop-off."""
    rng = random.Random(42)
    engine = make_engine(url)
    create_schema(engine)
    book = [(c, 10 + c % 4, 1 if c % 4 < 2 else 2) for c in range(1, 301)]
    with engine.begin() as conn:
        staff = ((o, 1 if o < 12 else 2) for o in range(10, 14))
        insert_staff(conn, (1, 2), staff, officer_name="李{}", name="网点{}", town="城关")
        conn.execute(sa.insert(customers), [
            {"customer_id": c, "branch_id": b, "officer_id": o, "name": "张三丰",
             "opened_on": date(2010, 1, 1), "phone": f"138{c:08d}"} for c, o, b in book])  # fmt: skip
        conn.execute(sa.insert(campaigns), [
            campaign_row(1, "CARD", ("信用卡推广", "Credit card drive"), "credit_card",
                         (date(2026, 9, 1), date(2026, 11, 30)), 20),
            campaign_row(2, "GOLD", ("金饰", "Gold"), "precious_metals",
                         (date(2026, 1, 1), date(2026, 2, 28)), 30)])  # fmt: skip
        events, eid = [], 0
        for c, o, b in book:
            at = datetime(2026, 9, 1) + timedelta(days=rng.randint(0, 60), hours=9)
            for k, stage in enumerate(FUNNEL_STAGES):
                if k and rng.random() > 0.75:
                    break
                eid += 1
                events.append({"event_id": eid, "campaign_id": 1, "customer_id": c,
                               "officer_id": o, "branch_id": b, "stage": stage,
                               "occurred_at": at})  # fmt: skip
                at += timedelta(days=rng.randint(1, 9))
        conn.execute(sa.insert(marketing_events), events)
        conn.execute(sa.insert(bank_meta), [{"key": "data_as_of", "value": "2026-11-22"}])
    engine.dispose()


@pytest.fixture(scope="module")
def seeded_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    """URL of the small seeded bank (DuckDB file)."""
    url = f"duckdb:///{tmp_path_factory.mktemp('funnels') / 'bank.duckdb'}"
    seed_bank(url)
    return url


@pytest.fixture
def seeded_app(
    seeded_url: str, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Callable[..., AppTest]]:
    """Factory like ``app_test`` but over the seeded bank: ``seeded_app(lang="en")``."""
    yield from page_on(seeded_url, "funnels", monkeypatch)


def metric(at: AppTest, label: str) -> int:
    """The integer shown by the metric labelled ``label``."""
    return int(metric_value(at, label).replace(",", ""))


CHARTS = 3  # the charts the page draws at the least on a campaign with data


def test_renders_with_exact_numbers(seeded_app: Callable[..., AppTest]) -> None:
    at = seeded_app(lang="en")
    rendered(at, CHARTS)
    assert at.title[0].value == "Marketing funnels"
    assert metric(at, "Targeted") == 300
    assert not at.get("download_button")  # no call list until a step is chosen
    at.selectbox(key="fn_drop_step").set_value(1).run()
    assert len(at.get("download_button")) == 1


def test_single_branch_targets_fewer(seeded_app: Callable[..., AppTest]) -> None:
    whole = metric(seeded_app(lang="en"), "Targeted")
    at = seeded_app(lang="en", branches="2")
    rendered(at, CHARTS)
    assert metric(at, "Targeted") == 150 < whole


def test_longer_window_never_lowers_conversions(seeded_app: Callable[..., AppTest]) -> None:
    at = seeded_app(lang="en")
    converted = []
    for days in (5, 20, 40):
        at.number_input(key="fn_window_1").set_value(days).run()
        assert not at.exception
        converted.append(metric(at, "Converted"))
    assert converted[0] < converted[2]
    assert converted == sorted(converted)


def test_call_list_is_masked_and_follows_the_step(seeded_app: Callable[..., AppTest]) -> None:
    at = seeded_app(lang="en")
    at.selectbox(key="fn_drop_step").set_value(1).run()
    calls = at.dataframe[-1].value
    assert set(calls["Last step reached"]) == {"Targeted"}
    assert calls["Phone"].str.fullmatch(r"138\*{4}\d{4}").all()
    assert calls["Name"].eq("张**").all()
    officer = at.selectbox(key="fn_call_officer_1_1")
    officer.set_value(11).run()
    mine = at.dataframe[-1].value
    assert 0 < len(mine) < len(calls)
    assert set(mine["Officer"]) == {"李11"}
    at.selectbox(key="fn_drop_step").set_value(4).run()
    assert not at.exception
    later = at.dataframe[-1].value
    assert set(later["Last step reached"]) == {"Applied"}


def test_breakdown_dimensions_render(seeded_app: Callable[..., AppTest]) -> None:
    at = seeded_app(lang="zh")
    groups = {}
    for dim in ("officer_id", "tier", "rfm_segment", "product", "branch_id"):
        at.segmented_control(key="fn_dim").set_value(dim).run()
        rendered(at, CHARTS)
        groups[dim] = at.dataframe[1].value.iloc[:, 0].tolist()  # [0] is the rates table
    assert sorted(groups["officer_id"]) == ["李10", "李11", "李12", "李13"]
    assert groups["tier"] == groups["rfm_segment"] == ["未知"]  # the value mart is empty here
    assert groups["product"] == ["信用卡"]
    assert groups["branch_id"] == ["网点1", "网点2"]


def test_empty_selection_says_so(seeded_app: Callable[..., AppTest]) -> None:
    # zh: the sidebar's tier labels are formatted outside the run in AppTest, in Chinese
    at = seeded_app(lang="zh", tiers="private")  # nobody has a tier in the seeded bank
    assert not at.exception
    assert [i.value for i in at.info] == ["当前范围内没有营销活动。请换网点或客户经理。"]
    assert not at.get("plotly_chart")
    at = seeded_app(lang="en")
    at.selectbox(key="fn_campaign").set_value(2).run()  # a campaign without events
    assert_says_empty(at, "no targeted customers")


# --- the demo bank -----------------------------------------------------------------------------


def test_demo_bank_renders_and_filters(
    app_test: Callable[..., AppTest], demo_branches: pl.DataFrame
) -> None:
    at = app_test("funnels", lang="en")
    rendered(at, CHARTS)
    whole, converted = metric(at, "Targeted"), metric(at, "Converted")
    window = at.number_input[0]
    window.set_value(int(window.value) + 30).run()
    assert not at.exception
    assert metric(at, "Converted") >= converted
    one = app_test("funnels", lang="en", branches=str(demo_branches["branch_id"][0]))
    rendered(one, CHARTS)
    assert 0 < metric(one, "Targeted") < whole


def test_demo_bank_all_campaigns(app_test: Callable[..., AppTest]) -> None:
    at = app_test("funnels", lang="zh")
    single = metric(at, "目标客户")
    at.selectbox(key="fn_campaign").set_value(0).run()
    rendered(at, CHARTS)
    assert metric(at, "目标客户") > single
    at.segmented_control(key="fn_dim").set_value("product").run()
    rendered(at, CHARTS)
    assert len(at.dataframe[1].value) >= 5  # the demo runs campaigns for many products
    at.selectbox(key="fn_drop_step").set_value(2).run()
    calls = at.dataframe[-1].value
    assert "活动" in calls.columns and calls["活动"].nunique() > 1


def test_no_conversion_explains_the_empty_breakdown(seeded_app: Callable[..., AppTest]) -> None:
    at = seeded_app(lang="en")
    at.number_input(key="fn_window_1").set_value(1).run()
    assert not at.exception
    assert metric(at, "Converted") == 0
    # a message instead of a breakdown chart of zero-length bars
    assert any("No customer has converted" in i.value for i in at.info)
    assert len(at.get("plotly_chart")) == 2  # funnel and trend; no breakdown, no time-to-convert
