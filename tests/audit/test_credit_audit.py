"""Audit of the credit desk's cards: applications, those with a mismatch, those with a high one,
and the mean internal rating with and without the platform adjustment — every application's
evidence gathered in plain SQL from loan_applications, footprints, product_holdings,
soft_footprints and external_credit_limits, and the checks applied as the standard
(``[credit]``, ``[alerts]``) and docs/customer-footprint.md publish them, for the bank, a branch and
an officer, over the 365 days ending on the data's last day, on 1 November and on 31 May."""

from __future__ import annotations

from datetime import datetime, time, timedelta

import pytest
import sqlalchemy as sa

from dashboard.loaders.credit import load_credit_evidence
from data_access.filters import Scope
from data_access.selection import Period, Selection
from metrics.credit import credit_mismatches, rate_applications
from metrics.standards import load_standards
from tests.audit.test_quality_audit import PERIODS, _scope_sql
from tests.conftest import sql_rows as rows

STD = load_standards()
CREDIT, ALERTS = STD.credit, STD.alerts
LOOKBACK = CREDIT.repayment_lookback_days
DAYS = 365  # the longest period the page offers: a 30-day one may hold no flagged application
# {back}: the footprint window before the application, in days
BEFORE = (
    "f.customer_id = a.customer_id AND f.occurred_at < {day}"
    " AND f.occurred_at >= {day} - INTERVAL '{back} days'"
)
DAY = "CAST(a.applied_on AS TIMESTAMP)"
YEAR = BEFORE.format(day=DAY, back=365)
# a product open on the application day; a loan is due a repayment from 90 days after opening
HELD = (
    "h.customer_id = a.customer_id AND h.opened_on <= a.applied_on"
    " AND (h.closed_on IS NULL OR h.closed_on > a.applied_on)"
)
DUE = f"{HELD} AND CAST(h.opened_on AS TIMESTAMP) <= {DAY} - INTERVAL '90 days'"
EVIDENCE = f"""
SELECT a.application_id, a.product, a.declared_income, a.declared_place, a.applied_on,
  (SELECT coalesce(sum(f.amount), 0) FROM footprints f WHERE {YEAR}
     AND f.direction = 'in' AND f.kind NOT IN ('loan_draw', 'interest')) AS inflow,
  (SELECT count(*) FROM footprints f WHERE {YEAR}
     AND f.direction = 'in' AND f.kind NOT IN ('loan_draw', 'interest')) AS credits,
  (SELECT count(*) FROM footprints f WHERE f.customer_id = a.customer_id
     AND f.place = a.declared_place AND f.occurred_at < :seen_until) AS at_declared_place,
  (SELECT count(*) FROM footprints f WHERE f.customer_id = a.customer_id
     AND f.place IS NOT NULL AND f.occurred_at < :seen_until) AS anywhere,
  (SELECT count(*) FROM footprints f WHERE {YEAR} AND f.direction = 'in'
     AND (f.channel = 'pos' OR f.counterparty_type = 'merchant'))
  + (SELECT count(*) FROM product_holdings h WHERE {HELD} AND h.product = 'pos_merchant')
  + (SELECT count(*) FROM soft_footprints s WHERE s.customer_id = a.customer_id
       AND s.kind = 'business_circle' AND s.captured_at < {DAY}) AS trade,
  (SELECT count(*) FROM footprints f WHERE {YEAR}
     AND (f.kind = 'subsidy' OR f.merchant_category = 'agri_supplies')) AS farm,
  (SELECT count(*) FROM footprints f WHERE {BEFORE.format(day=DAY, back=LOOKBACK)}
     AND f.kind = 'loan_repayment') AS repayments,
  (SELECT max(f.occurred_at) FROM footprints f WHERE {BEFORE.format(day=DAY, back=max(LOOKBACK, 365))}
     AND f.kind = 'loan_repayment') AS last_repayment,
  (SELECT count(*) FROM product_holdings h WHERE {DUE}
     AND h.product IN ('loan_agri', 'loan_business', 'loan_consumer')) AS loans_due,
  (SELECT count(*) FROM product_holdings h WHERE {DUE}
     AND h.product IN ('loan_business', 'loan_consumer')) AS instalments_due,
  (SELECT coalesce(sum(p.lim), 0) FROM (
     SELECT x.platform, max(x.credit_limit) AS lim FROM external_credit_limits x
     WHERE x.customer_id = a.customer_id AND x.consent AND x.as_of <= a.applied_on
     GROUP BY x.platform) p) AS platform_limit
FROM loan_applications a JOIN customers c ON c.customer_id = a.customer_id
WHERE a.applied_on >= :start AND a.applied_on <= :end AND {{scope}}"""  # fmt: skip


def expected_ratings(engine: sa.Engine, period: Period, scope_sql: str) -> dict[int, tuple]:
    """application -> (severities of its mismatches, rating, rating with platforms)."""
    ratio, min_n = ALERTS.income_contradiction_ratio, ALERTS.contradiction_min_inflows
    penalty = {"high": CREDIT.penalty_high, "medium": CREDIT.penalty_medium}
    penalty["low"] = CREDIT.penalty_low
    out = {}
    for (
        app, product, declared, place, applied, inflow, credits, at_place, anywhere, trade, farm,
        repayments, last, loans_due, instalments_due, platform_limit,
    ) in rows(
        engine,
        EVIDENCE.format(scope=scope_sql),
        start=period.start,
        end=period.end,
        seen_until=datetime.combine(period.end + timedelta(days=1), time.min),
    ):  # fmt: skip
        inflow = float(inflow)
        found = []
        if declared and declared > 0 and declared >= ratio * inflow and credits >= min_n:
            found.append("high" if inflow <= 0 or declared / inflow >= 2 * ratio else "medium")
        if place is not None and at_place == 0 and anywhere > 0:
            found.append("medium")
        if credits >= min_n and product == "loan_business" and trade == 0:
            found.append("medium")
        if credits >= min_n and product == "loan_agri" and farm == 0:
            found.append("low")
        quiet = None if last is None else (applied - last.date()).days
        overdue = instalments_due > 0 and (quiet is None or quiet > CREDIT.instalment_lookback_days)
        if (loans_due > 0 and repayments == 0) or overdue:
            found.append("high")
        rating = min(max(100.0 - sum(penalty[s] for s in found), 0.0), 100.0)
        points = min(
            float(platform_limit) / 10_000 * CREDIT.platform_points_per_10k,
            CREDIT.platform_adjustment_cap,
        )
        out[app] = (found, rating, min(max(rating + points, 0.0), 100.0))
    return out


@pytest.mark.parametrize("period", PERIODS, ids=[f"{p.end}" for p in PERIODS])
def test_credit_desk_cards(
    bank: sa.Engine, largest_branch: int, busiest_officer: Scope, period: Period
) -> None:
    window = Period(period.end - timedelta(days=DAYS - 1), period.end)
    flagged_somewhere = False
    for scope in (Scope.bank(), Scope.branch(largest_branch), busiest_officer):
        where = f"{scope.level} {window.start}..{window.end}"
        expected = expected_ratings(bank, window, _scope_sql(scope))
        # the page's way (dashboard/pages/credit.py)
        evidence = load_credit_evidence(window, Selection(scope), CREDIT.repayment_lookback_days)
        mismatches = credit_mismatches(
            evidence, ALERTS.income_contradiction_ratio, ALERTS.contradiction_min_inflows, CREDIT
        )
        ratings = rate_applications(evidence, mismatches, CREDIT)
        table = evidence.join(ratings, on="application_id", how="left")
        assert table.height == len(expected), where
        got = {
            r["application_id"]: (r["mismatches"], r["worst"], r["rating"], r["rating_with_platforms"])
            for r in table.iter_rows(named=True)
        }  # fmt: skip
        for app, (found, rating, with_platforms) in expected.items():
            worst = next((s for s in ("high", "medium", "low") if s in found), None)
            want = (len(found), worst, pytest.approx(rating), pytest.approx(with_platforms))
            assert got[app] == want, f"{where} application {app}"
        # the cards
        flagged = sum(1 for f, _, _ in expected.values() if f)
        high = sum(1 for f, _, _ in expected.values() if "high" in f)
        assert (table["mismatches"] > 0).sum() == flagged, where
        assert (table["worst"] == "high").sum() == high, where
        if expected:
            n = len(expected)
            assert table["rating"].mean() == pytest.approx(sum(v[1] for v in expected.values()) / n)
            assert table["rating_with_platforms"].mean() == pytest.approx(
                sum(v[2] for v in expected.values()) / n
            )
        flagged_somewhere = flagged_somewhere or 0 < flagged < len(expected)
    assert flagged_somewhere, "no application flagged and none clean: nothing was tested"
