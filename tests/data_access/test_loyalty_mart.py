"""The loyalty mart refresher on DuckDB and PostgreSQL: every open customer, exact scores, replaces."""

from __future__ import annotations

from datetime import date

import pytest
import sqlalchemy as sa

from data_access.marts.loyalty import refresh_loyalty
from data_access.schema import customer_loyalty
from metrics.standards import load_standards
from tests.data_access.test_loyalty_queries import AS_OF, seed

STD = load_standards()


def test_refresh_writes_every_open_customer_with_exact_scores(empty_engine: sa.Engine) -> None:
    seed(empty_engine)
    messages: list[str] = []
    written = refresh_loyalty(empty_engine, STD, AS_OF, lambda m, _: messages.append(m))
    assert written == 3
    with empty_engine.connect() as conn:
        rows = {
            r.customer_id: r
            for r in conn.execute(sa.select(customer_loyalty).order_by("customer_id"))
        }
    assert sorted(rows) == [1, 2, 3]
    c1 = rows[1]
    # customer 1: 2 products, opened 2019-06-01, all 3 signals, flat trend, half out to other banks
    tenure = (AS_OF - date(2019, 6, 1)).days / 365.25 / 10
    assert c1.product_depth == pytest.approx(0.4)
    assert c1.tenure == pytest.approx(tenure)
    assert (c1.primary_bank, c1.activity_trend, c1.outflow, c1.p_alive) == pytest.approx(
        (1.0, 0.5, 0.5, 0.9)
    )
    expected = 100 * (0.2 * 0.4 + 0.1 * tenure + 0.25 + 0.15 * (0.5 + 0.5 + 0.9))
    assert c1.loyalty == pytest.approx(expected)
    assert c1.churn_risk is False and c1.as_of == AS_OF
    # customer 2: P(alive) unknown → 0.5; customer 3 has no value-mart row at all → 0.5
    assert rows[2].p_alive == 0.5 and rows[3].p_alive == 0.5
    assert any("P(alive) unknown for 2 customers" in m for m in messages)
    # customer 2: 0 products, 2 months, mobile only, trend up from nothing, all money out left
    assert rows[2].loyalty == pytest.approx(
        100 * (0.1 * (73 / 365.25 / 10) + 0.25 / 3 + 0.15 * 1.0 + 0.0 + 0.15 * 0.5)
    )
    # loyalty 31 is below 40, but customer 2 holds less than the list's AUM bar (50,000):
    # not called from the retention list
    assert rows[2].loyalty < 40 and rows[2].churn_risk is False

    # a second refresh replaces, never appends
    assert refresh_loyalty(empty_engine, STD, AS_OF, lambda *_: None) == 3
    with empty_engine.connect() as conn:
        assert conn.execute(sa.select(sa.func.count()).select_from(customer_loyalty)).scalar() == 3
