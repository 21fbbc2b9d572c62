"""Audit of the loyalty page's churn-risk (retention) list: who is on it, why, and the value at
stake — RFM recomputed in plain SQL (the value audit's quintiles), AUM from the balance snapshots;
only the loyalty score itself is read from the loyalty mart."""

from __future__ import annotations

from datetime import datetime, time, timedelta

import sqlalchemy as sa

from dashboard.loaders.loyalty import load_overview
from data_access.filters import Scope
from data_access.selection import Selection
from metrics.standards import load_standards
from tests.audit.conftest import DATA_END
from tests.audit.test_value_audit import OPEN, RFM, _scope_sql, _segment
from tests.conftest import sql_rows as rows

STD = load_standards()
AUM = """
SELECT c.customer_id, coalesce(s.demand_avg + s.time_avg + s.wealth_avg, 0), l.loyalty
FROM customers c
LEFT JOIN balance_snapshots s ON s.customer_id = c.customer_id AND s.month = :m_last
JOIN customer_loyalty l ON l.customer_id = c.customer_id
WHERE {open} AND {scope}"""


def test_churn_list(bank: sa.Engine, largest_branch: int, busiest_officer: Scope) -> None:
    params = {
        "as_of": DATA_END,
        "m_last": DATA_END.replace(day=1, month=DATA_END.month - 1),
        "lo": datetime.combine(DATA_END - timedelta(days=364), time.min),
        "hi": datetime.combine(DATA_END + timedelta(days=1), time.min),
    }
    below = STD.loyalty.params["churn_risk_below"]
    min_aum = STD.loyalty.params["churn_min_aum"]
    rfm_sql = RFM.format(open=OPEN, scope_all="1 = 1", scope="1 = 1")
    segment = {cid: _segment(r, fm) for cid, r, fm in rows(bank, rfm_sql, **params)}
    for scope in (Scope.bank(), Scope.branch(largest_branch), busiest_officer):
        expected: dict[int, tuple[str, float]] = {}
        for cid, aum, loyalty in rows(
            bank, AUM.format(open=OPEN, scope=_scope_sql(scope)), **params
        ):
            if float(aum) < min_aum:
                continue
            seg = segment.get(cid)
            reason = (
                "rfm_cant_lose"
                if seg == "cant_lose"
                else "rfm_at_risk"
                if seg == "at_risk"
                else "low_loyalty"
                if loyalty < below
                else None
            )
            if reason:
                expected[cid] = (reason, float(aum))
        ov = load_overview(Selection(scope), DATA_END, 10_000)
        where = f"{scope.level}"
        assert ov.at_risk == len(expected), where
        assert abs(ov.value_at_stake - sum(a for _, a in expected.values())) < 0.01, where
        got = {
            r["customer_id"]: (r["churn_reason"], r["value_at_stake"])
            for r in ov.churn.iter_rows(named=True)
        }
        assert got.keys() == expected.keys(), where
        for cid, (reason, aum) in expected.items():
            assert got[cid][0] == reason and abs(got[cid][1] - aum) < 0.01, f"{where} {cid}"
