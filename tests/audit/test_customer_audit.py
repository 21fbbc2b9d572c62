"""Audit of the Customer footprint page's figures for one customer: profile completeness, tier in
force, AUM, RFM segment and the churn-risk flag — recomputed in plain SQL (the value audit's
tier walk and RFM quintiles) for a spread of one officer's book, in that officer's scope, with
the value mart as of each audit date (the churn flag at the data's end, where the loyalty mart
is)."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from dashboard.loaders.customer import load_record
from data_access.filters import Scope
from metrics.profile import profile_completeness
from metrics.standards import load_standards
from tests.audit.conftest import DATA_END
from tests.audit.test_quality_audit import TEXT
from tests.audit.test_value_audit import OPEN, RFM, TIERS, _scope_sql, _segment
from tests.audit.test_worth_audit import _params
from tests.conftest import sql_rows as rows

STD = load_standards()
FIELDS = STD.profile_fields
SAMPLE = 24  # customers of the book, spread over it, and the most valuable

PROFILE = f"""
SELECT c.customer_id, {" + ".join(
    f"(CASE WHEN trim(c.{f}) <> '' THEN 1 ELSE 0 END)" if f in TEXT
    else f"(CASE WHEN c.{f} IS NOT NULL THEN 1 ELSE 0 END)"
    for f in FIELDS
)}, coalesce(s.demand_avg + s.time_avg + s.wealth_avg, 0)
FROM customers c
LEFT JOIN balance_snapshots s ON s.customer_id = c.customer_id AND s.month = :m_last
WHERE {{open}} AND {{scope}}
ORDER BY c.customer_id"""  # fmt: skip


def test_one_customer_figures(bank: sa.Engine, busiest_officer: Scope, as_of) -> None:
    params = _params(as_of)
    scope_sql = _scope_sql(busiest_officer)
    book = rows(bank, PROFILE.format(open=OPEN, scope=scope_sql), **params)
    step = max(len(book) // SAMPLE, 1)
    richest = max(book, key=lambda r: float(r[2]))
    sample = {r[0]: r for r in [*book[::step], richest]}
    tiers = dict(rows(bank, TIERS.format(open=OPEN, scope=scope_sql), **params))
    rfm_sql = RFM.format(open=OPEN, scope_all="1 = 1", scope=scope_sql)
    rfm = {cid: _segment(r, fm) for cid, r, fm in rows(bank, rfm_sql, **params)}
    below = STD.loyalty.params["churn_risk_below"]
    min_aum = STD.loyalty.params["churn_min_aum"]
    for cid, filled, aum in sample.values():
        where = f"customer {cid} as of {as_of}"
        record = load_record(busiest_officer, cid, as_of)
        done = profile_completeness(record["profile"], FIELDS).row(0, named=True)
        assert done["completeness"] == pytest.approx(filled / len(FIELDS)), where
        value, loyalty = record["marts"]["value"], record["marts"]["loyalty"]
        assert value["tier"] == tiers[cid], f"{where}: tier"
        assert value["aum"] == pytest.approx(float(aum)), f"{where}: AUM"
        assert value["rfm_segment"] == rfm[cid], f"{where}: RFM segment"
        if as_of != DATA_END:
            continue  # the loyalty mart stays as of the data's end
        # the retention list's rule, on the loyalty score of the mart
        risk = float(aum) >= min_aum and (
            rfm[cid] in ("cant_lose", "at_risk") or loyalty["loyalty"] < below
        )
        assert loyalty["churn_risk"] == risk, f"{where}: churn risk"
