"""Audit of the Value segments page: segment size and AUM, customers by tier (the tier in force,
after the upgrade and downgrade rules) and by RFM segment — recomputed in plain SQL from customers,
balance snapshots and footprints, with the value mart refreshed as of each audit date."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

import pytest
import sqlalchemy as sa

from dashboard.loaders.segments import load_breakdown, load_summary
from data_access.filters import Scope
from data_access.queries.value import SegmentDefinition
from data_access.selection import Selection
from metrics.standards import load_standards
from tests.audit.conftest import scope_sql
from tests.conftest import sql_rows as rows

STD = load_standards()

OPEN = "c.opened_on <= :as_of AND (c.closed_on IS NULL OR c.closed_on > :as_of)"

# The tier in force on as_of, walked month by month over the 13 full months before it (the
# standard: up the month after qualifying, down after 3 months below the bar, 6 for private).
# k = 1..n over the months; when as_of is inside a month, that month (k = n) has no balances yet
# and its tier rests on the month before. A month missing after a customer's first counts as 0;
# a customer with no full month yet (new this month) is in the lowest tier.
TIERS = """
WITH RECURSIVE grid AS (
  SELECT month, row_number() OVER (ORDER BY month) AS k FROM (
    SELECT DISTINCT month FROM balance_snapshots WHERE month >= :m0 AND month <= :m_last
    UNION SELECT CAST(:m_force AS DATE)
  ) g
), open_customers AS (
  SELECT c.customer_id FROM customers c WHERE {open} AND {scope}
), firsts AS (
  SELECT s.customer_id, min(g.k) AS k0
  FROM balance_snapshots s JOIN grid g ON g.month = s.month AND s.month <= :m_last
  JOIN open_customers o ON o.customer_id = s.customer_id
  GROUP BY s.customer_id
), q AS (
  SELECT f.customer_id, g.k,
    CASE WHEN coalesce(s.demand_avg + s.time_avg + s.wealth_avg, 0) >= 6000000 THEN 3
         WHEN coalesce(s.demand_avg + s.time_avg + s.wealth_avg, 0) >= 500000 THEN 2
         WHEN coalesce(s.demand_avg + s.time_avg + s.wealth_avg, 0) >= 50000 THEN 1
         ELSE 0 END AS q
  FROM firsts f JOIN grid g ON g.k >= f.k0
  LEFT JOIN balance_snapshots s ON s.customer_id = f.customer_id AND s.month = g.month
), walk (customer_id, k, tier, below) AS (
  SELECT q.customer_id, q.k, q.q, 0 FROM q JOIN firsts f ON f.customer_id = q.customer_id AND q.k = f.k0
  UNION ALL
  SELECT w.customer_id, w.k + 1, n.tier,
    CASE WHEN nq.q < n.tier THEN (CASE WHEN n.tier <> w.tier THEN 0 ELSE w.below END) + 1 ELSE 0 END
  FROM walk w
  JOIN q pq ON pq.customer_id = w.customer_id AND pq.k = w.k
  JOIN q nq ON nq.customer_id = w.customer_id AND nq.k = w.k + 1
  CROSS JOIN LATERAL (
    SELECT CASE
      WHEN pq.q > w.tier THEN pq.q
      WHEN w.below >= (CASE WHEN w.tier = 3 THEN 6 ELSE 3 END) THEN pq.q
      ELSE w.tier END AS tier
  ) n
)
SELECT o.customer_id,
  CASE coalesce(w.tier, 0) WHEN 3 THEN 'private' WHEN 2 THEN 'vip' WHEN 1 THEN 'affluent'
    ELSE 'mass' END AS tier
FROM open_customers o
LEFT JOIN walk w ON w.customer_id = o.customer_id AND w.k = (SELECT max(k) FROM grid)"""

AUM = """
SELECT count(*), coalesce(sum(s.demand_avg + s.time_avg + s.wealth_avg), 0)
FROM customers c
LEFT JOIN balance_snapshots s ON s.customer_id = c.customer_id AND s.month = :m_last
WHERE {open} AND {scope}"""

# R, F, M over the 365 days ending on as_of (self-initiated transactions); each scored 1-5 by
# rank among the open customers (ties share the lower score; no transaction is the worst R)
RFM = """
WITH open_customers AS (
  SELECT c.customer_id FROM customers c WHERE {open} AND {scope_all}
), agg AS (
  SELECT o.customer_id,
    :as_of - max(CAST(f.occurred_at AS DATE)) AS recency,
    count(f.customer_id) AS frequency,
    coalesce(sum(f.amount), 0) AS monetary
  FROM open_customers o
  LEFT JOIN footprints f ON f.customer_id = o.customer_id AND f.self_initiated
    AND f.occurred_at >= :lo AND f.occurred_at < :hi
  GROUP BY o.customer_id
), ranked AS (
  SELECT customer_id,
    RANK() OVER (ORDER BY recency DESC NULLS FIRST) AS rr,
    RANK() OVER (ORDER BY frequency) AS fr,
    RANK() OVER (ORDER BY monetary) AS mr,
    count(*) OVER () AS n
  FROM agg
), scored AS (
  SELECT customer_id,
    1 + CAST(floor((rr - 1) * 5.0 / n) AS INTEGER) AS r,
    1 + CAST(floor((fr - 1) * 5.0 / n) AS INTEGER) AS f,
    1 + CAST(floor((mr - 1) * 5.0 / n) AS INTEGER) AS m
  FROM ranked
)
SELECT s.customer_id, s.r, CAST(floor((s.f + s.m + 1) / 2.0) AS INTEGER) AS fm
FROM scored s JOIN customers c ON c.customer_id = s.customer_id WHERE {scope}"""


def _month_back(month: date, n: int) -> date:
    k = month.year * 12 + month.month - 1 - n
    return date(k // 12, k % 12 + 1, 1)


def _last_full_month(as_of: date) -> date:
    nxt = _month_back(as_of.replace(day=1), -1)
    return as_of.replace(day=1) if (nxt - as_of).days == 1 else _month_back(as_of.replace(day=1), 1)


def _scope_sql(scope: Scope) -> str:
    return scope_sql(scope, "c")


def _segment(r: int, fm: int) -> str:
    """The standard's rule table (metrics/standards.toml): the first matching rule names it."""
    for rule in STD.rfm.segments:
        if rule.r[0] <= r <= rule.r[1] and rule.fm[0] <= fm <= rule.fm[1]:
            return rule.code
    return "other"


def test_segment_size_aum_tiers_and_rfm_segments(
    bank: sa.Engine, largest_branch: int, busiest_officer: Scope, as_of: date
) -> None:
    last = _last_full_month(as_of)
    params = {
        "as_of": as_of,
        "m0": _month_back(last, 12),
        "m_last": last,
        "m_force": as_of.replace(day=1),
        "lo": datetime.combine(as_of - timedelta(days=364), time.min),
        "hi": datetime.combine(as_of + timedelta(days=1), time.min),
    }
    everyone = SegmentDefinition()
    for scope in (Scope.bank(), Scope.branch(largest_branch), busiest_officer):
        where = f"{scope.level} as of {as_of}"
        summary = load_summary(Selection(scope), everyone, as_of).row(0, named=True)
        n, aum = rows(bank, AUM.format(open=OPEN, scope=_scope_sql(scope)), **params)[0]
        assert summary["customers"] == n, where
        assert summary["aum"] == pytest.approx(float(aum)), where
        breakdown = load_breakdown(Selection(scope), everyone, as_of)
        got_tiers: dict[str, int] = {}
        got_segments: dict[str, int] = {}
        for r in breakdown.iter_rows(named=True):
            got_tiers[r["tier"]] = got_tiers.get(r["tier"], 0) + r["customers"]
            got_segments[r["rfm_segment"]] = got_segments.get(r["rfm_segment"], 0) + r["customers"]
        tiers: dict[str, int] = {}
        for _, tier in rows(bank, TIERS.format(open=OPEN, scope=_scope_sql(scope)), **params):
            tiers[tier] = tiers.get(tier, 0) + 1
        assert got_tiers == tiers, f"{where}: tiers"
        segments: dict[str, int] = {}
        rfm_sql = RFM.format(open=OPEN, scope_all="1 = 1", scope=_scope_sql(scope))
        for _, r, fm in rows(bank, rfm_sql, **params):
            code = _segment(r, fm)
            segments[code] = segments.get(code, 0) + 1
        assert got_segments == segments, f"{where}: RFM segments"
