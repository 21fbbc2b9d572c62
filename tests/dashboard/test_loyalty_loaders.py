"""The page's overview: SQL aggregates over the mart agree with the polars path, on both backends."""

from __future__ import annotations

from dataclasses import replace

import pytest
import sqlalchemy as sa

from dashboard.loaders.loyalty import overview_from_scores
from data_access.filters import Scope
from data_access.marts.loyalty import refresh_loyalty
from data_access.masking import KINDS
from data_access.queries import loyalty as q
from data_access.selection import Selection
from metrics.loyalty import complete_bands
from metrics.standards import load_standards
from tests.data_access.test_loyalty_queries import AS_OF, seed

STD = load_standards()
# the seeded customers hold little: list every low-loyalty one (no AUM bar) to test the SQL path
STD_ANY_AUM = replace(
    STD, loyalty=replace(STD.loyalty, params={**STD.loyalty.params, "churn_min_aum": 0.0})
)


@pytest.mark.parametrize(
    "selection",
    [
        pytest.param(Selection(), id="bank"),
        pytest.param(Selection(Scope.branch(1)), id="branch-1"),
        pytest.param(Selection(tiers=("mass",)), id="tier-mass"),
        pytest.param(Selection(branch_ids=(2,)), id="branch-filter-2"),
    ],
)
def test_mart_aggregates_equal_the_polars_path(
    empty_engine: sa.Engine, selection: Selection
) -> None:
    seed(empty_engine)
    refresh_loyalty(empty_engine, STD_ANY_AUM, AS_OF, lambda *_: None)
    with empty_engine.connect() as conn:
        scores = q.fetch_loyalty_mart(conn, selection)
        contacts = q.fetch_contacts(conn, selection.scope, tuple(scores["customer_id"].to_list()))
        summary = q.fetch_mart_summary(conn, selection).row(0, named=True)
        bands = complete_bands(q.fetch_mart_bands(conn, selection))
        churn = q.fetch_mart_churn(conn, selection, 200)
    expected = overview_from_scores(scores, contacts, STD_ANY_AUM.loyalty, 200)
    assert summary["customers"] == expected.customers
    assert summary["average"] == pytest.approx(expected.average)
    assert {c: summary[c] for c in q.COMPONENT_COLUMNS} == pytest.approx(expected.means)
    assert summary["at_risk"] == expected.at_risk
    assert summary["value_at_stake"] == pytest.approx(expected.value_at_stake)
    assert bands.equals(expected.bands)
    assert churn.equals(expected.churn)


def test_mart_churn_list_order_and_limit(empty_engine: sa.Engine) -> None:
    seed(empty_engine)
    refresh_loyalty(empty_engine, STD_ANY_AUM, AS_OF, lambda *_: None)
    with empty_engine.connect() as conn:
        churn = q.fetch_mart_churn(conn, Selection(Scope.bank(reveal=KINDS)), 200)
        first = q.fetch_mart_churn(conn, Selection(Scope.bank(reveal=KINDS)), 1)
        bands = q.fetch_mart_bands(conn, Selection())
    # customer 2 has 2,000 of AUM at stake, customer 3 none
    assert churn.select("customer_id", "value_at_stake", "name").rows() == [
        (2, 2000.0, "李四"),
        (3, 0.0, "王五"),
    ]
    assert first["customer_id"].to_list() == [2]
    assert bands["customers"].sum() == 3
