"""Audit of the Value segments page's cards for a segment built with conditions (the value audit
covers the whole book): customers, their share of the book in view, AUM — with tier, RFM segment,
town, age, occupation and products held / not held each recomputed in plain SQL from customers,
balance snapshots, footprints and product holdings, as of each audit date."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from dashboard.loaders.segments import load_summary
from data_access.filters import Scope
from data_access.queries.value import SegmentDefinition
from data_access.selection import Selection
from tests.audit.test_value_audit import OPEN, RFM, TIERS, _scope_sql, _segment
from tests.audit.test_worth_audit import _params
from tests.conftest import sql_rows as rows

# the customers open on as_of with what the builder filters on; AUM: the last full month's average
PEOPLE = """
SELECT c.customer_id, c.town, c.occupation, c.birth_year,
  coalesce(s.demand_avg + s.time_avg + s.wealth_avg, 0)
FROM customers c
LEFT JOIN balance_snapshots s ON s.customer_id = c.customer_id AND s.month = :m_last
WHERE {open} AND {scope}"""
# products held on as_of: opened by then and not closed by then
HELD = """
SELECT DISTINCT h.customer_id, h.product FROM product_holdings h
WHERE h.opened_on <= :as_of AND (h.closed_on IS NULL OR h.closed_on > :as_of)"""


def _common(bank: sa.Engine, column: str, n: int) -> tuple[str, ...]:
    """The ``n`` most common values of a customer column (a marketer's likely picks)."""
    got = rows(
        bank,
        f"SELECT {column} FROM customers WHERE {column} IS NOT NULL "
        f"GROUP BY {column} ORDER BY count(*) DESC, {column} LIMIT {n}",
    )
    return tuple(r[0] for r in got)


def test_segment_with_conditions(
    bank: sa.Engine, largest_branch: int, busiest_officer: Scope, as_of
) -> None:
    params = _params(as_of)
    tiers = dict(rows(bank, TIERS.format(open=OPEN, scope="1 = 1"), **params))
    rfm_sql = RFM.format(open=OPEN, scope_all="1 = 1", scope="1 = 1")
    rfm = {cid: _segment(r, fm) for cid, r, fm in rows(bank, rfm_sql, **params)}
    held: dict[int, set[str]] = {}
    for cid, product in rows(bank, HELD, as_of=as_of):
        held.setdefault(cid, set()).add(product)
    towns, occupations = _common(bank, "town", 3), _common(bank, "occupation", 4)
    definitions = (
        SegmentDefinition(
            tiers=("affluent", "vip"),
            towns=towns,
            age_min=30,
            age_max=60,
            occupations=occupations,
            products_not_held=("wealth",),
        ),
        SegmentDefinition(
            rfm_segments=("at_risk", "cant_lose", "hibernating"),
            products_held=("mobile_banking", "demand_deposit"),
        ),
    )

    def matches(d: SegmentDefinition, cid: int, town, occupation, birth_year) -> bool:
        age = None if birth_year is None else as_of.year - birth_year  # age in years at as_of
        mine = held.get(cid, set())
        return (
            (not d.tiers or tiers[cid] in d.tiers)
            and (not d.rfm_segments or rfm[cid] in d.rfm_segments)
            and (not d.towns or town in d.towns)
            and (not d.occupations or occupation in d.occupations)
            and (d.age_min is None or (age is not None and age >= d.age_min))
            and (d.age_max is None or (age is not None and age <= d.age_max))
            and all(p in mine for p in d.products_held)
            and not any(p in mine for p in d.products_not_held)
        )

    for scope in (Scope.bank(), Scope.branch(largest_branch), busiest_officer):
        people = rows(bank, PEOPLE.format(open=OPEN, scope=_scope_sql(scope)), **params)
        everyone = load_summary(Selection(scope), SegmentDefinition(), as_of)["customers"][0]
        assert everyone == len(people), f"{scope.level} as of {as_of}: the book in view"
        for d in definitions:
            where = f"{scope.level} as of {as_of}: {d.to_json()}"
            members = [p for p in people if matches(d, *p[:4])]
            assert members, f"{where}: a segment that selects nobody tests nothing"
            got = load_summary(Selection(scope), d, as_of).row(0, named=True)
            assert got["customers"] == len(members), where
            assert got["aum"] == pytest.approx(sum(float(p[4]) for p in members)), where
            # the card's share of the book in view
            assert got["customers"] / everyone == pytest.approx(len(members) / len(people))
