"""App tests of the Loyalty and retention page: on a small seeded bank (exact numbers) and the demo bank."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import polars as pl
import pytest
import sqlalchemy as sa
from streamlit.testing.v1 import AppTest

from data_access.engine import create_schema, make_engine
from data_access.marts.loyalty import refresh_loyalty
from data_access.schema import bank_meta
from metrics.standards import load_standards
from tests.dashboard.conftest import assert_says_empty, metric_value, page_on, rendered
from tests.data_access.test_loyalty_queries import AS_OF, seed


@pytest.fixture(scope="module")
def any_aum_standard(tmp_path_factory: pytest.TempPathFactory) -> str:
    """The default standard with no AUM bar on the retention list (the seeded customers hold little)."""
    text = (Path(__file__).parents[2] / "metrics" / "standards.toml").read_text(encoding="utf-8")
    path = tmp_path_factory.mktemp("standard") / "standards.toml"
    path.write_text(text.replace("churn_min_aum = 50_000", "churn_min_aum = 0"), encoding="utf-8")
    return str(path)


@pytest.fixture(scope="module")
def seeded_url(tmp_path_factory: pytest.TempPathFactory, any_aum_standard: str) -> str:
    """Three open customers (branch 1: 1 and 2; branch 2: 3), loyalty mart refreshed."""
    url = f"duckdb:///{tmp_path_factory.mktemp('loyalty') / 'bank.duckdb'}"
    engine = make_engine(url)
    create_schema(engine)
    seed(engine)
    with engine.begin() as conn:
        conn.execute(sa.insert(bank_meta), [{"key": "data_as_of", "value": AS_OF.isoformat()}])
    refresh_loyalty(engine, load_standards(Path(any_aum_standard)), AS_OF, lambda *_: None)
    engine.dispose()
    return url


@pytest.fixture
def seeded_app(
    seeded_url: str, any_aum_standard: str, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Callable[..., AppTest]]:
    """Factory over the seeded bank: ``seeded_app(lang="en", branches="2")``."""
    monkeypatch.setenv("FOOTPRINT_STANDARDS", any_aum_standard)
    yield from page_on(seeded_url, "loyalty", monkeypatch)


metric = metric_value


CHARTS = 5  # the charts the page draws on a bank with data


def at_risk(at: AppTest) -> int:
    return int(metric(at, "On the retention list").replace(",", ""))


def test_renders_from_the_mart_with_exact_numbers(seeded_app: Callable[..., AppTest]) -> None:
    at = seeded_app(lang="en")
    rendered(at, CHARTS)
    assert at.title[0].value == "Loyalty and retention"
    assert "nightly loyalty mart" in at.caption[0].value
    assert metric(at, "Customers") == "3"
    assert at_risk(at) == 2  # customers 2 and 3 score below 40
    table = at.dataframe[0].value
    assert table["Name"].tolist() == ["李*", "王*"]  # customer 2 has AUM at stake, 3 has none
    assert table["Phone"].tolist() == ["139****1111", "137****2222"]


def test_one_branch_lowers_the_churn_count(seeded_app: Callable[..., AppTest]) -> None:
    whole = at_risk(seeded_app(lang="en"))
    at = seeded_app(lang="en", branches="2")
    rendered(at, 3)
    assert at_risk(at) == 1 < whole
    assert metric(at, "Customers") == "1"


def test_cohort_toggle_and_chinese_labels(seeded_app: Callable[..., AppTest]) -> None:
    at = seeded_app(lang="zh")
    rendered(at, CHARTS)
    assert at.title[0].value == "忠诚度与留存"
    at.segmented_control(key="loyalty_cohort_mode").set_value("retention_on_or_after").run()
    rendered(at, CHARTS)


def test_an_earlier_week_is_computed_live(seeded_app: Callable[..., AppTest]) -> None:
    at = seeded_app(lang="en", week="2026-11-09")
    rendered(at, CHARTS)
    assert "computed live" in at.caption[0].value
    assert metric(at, "Customers") == "3"


def test_empty_selection_says_so(seeded_app: Callable[..., AppTest]) -> None:
    at = seeded_app(lang="en", tiers="private")
    assert_says_empty(at, "No data for this selection")


# --- the demo bank -----------------------------------------------------------------------------


def test_demo_bank_renders_and_one_branch_lowers_the_churn_list(
    app_test: Callable[..., AppTest], demo_branches: pl.DataFrame
) -> None:
    whole = at_risk(rendered(app_test("loyalty", lang="en"), CHARTS))
    assert whole > 0
    one = app_test("loyalty", lang="en", branches=str(demo_branches["branch_id"][0]))
    assert at_risk(rendered(one, CHARTS)) < whole
