"""Audit of the information-quality figures: the quality page's three cards (customers with a
profile field missing, declared incomes the footprints contradict, the book's completeness), the
officer page's stale-profile counts and the credit page's application count — recomputed in plain
SQL from customers, footprints and loan_applications, for the whole bank, one branch and one
officer, for the data's last week, a week across a month's end and a week ending on one."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

import pytest
import sqlalchemy as sa

from dashboard.loaders import officers as officer_loaders
from dashboard.loaders.credit import load_credit_evidence
from dashboard.loaders.quality_queue import load_queue
from data_access.filters import Scope
from data_access.selection import Period, Selection
from metrics.quality import income_contradictions, overall_completeness
from metrics.standards import load_standards
from tests.audit.test_value_audit import _scope_sql
from tests.conftest import sql_one as one

STD = load_standards()
ALERTS = STD.alerts
# the quality page's fields: every profile field but the ID number, which it neither shows nor edits
FIELDS = tuple(f for f in STD.profile_fields if f != "id_number")
TEXT = {"gender", "occupation", "town", "village", "education", "marital_status", "phone"}
# the data's last week; the week holding 31 October and 1 November; a week ending on 31 May
PERIODS = (
    Period(date(2026, 11, 16), date(2026, 11, 22)),
    Period(date(2026, 10, 26), date(2026, 11, 1)),
    Period(date(2026, 5, 25), date(2026, 5, 31)),
)
OPEN = "c.opened_on <= :end AND (c.closed_on IS NULL OR c.closed_on > :end)"


def _missing(field: str) -> str:
    return f"(c.{field} IS NULL OR trim(c.{field}) = '')" if field in TEXT else f"c.{field} IS NULL"


def _filled(field: str) -> str:
    return f"count(nullif(trim(c.{field}), ''))" if field in TEXT else f"count(c.{field})"


GAPS = f"SELECT count(*) FROM customers c WHERE {OPEN} AND {{scope}} AND (" + " OR ".join(
    _missing(f) for f in FIELDS
) + ")"  # fmt: skip
FILL = f"SELECT count(*), {' + '.join(_filled(f) for f in FIELDS)} FROM customers c " + (
    f"WHERE {OPEN} AND {{scope}}"
)
# declared yearly income at least ratio x the money seen coming in over the year to the period's
# end (loans drawn and interest are not income), judged only on enough credits seen
CONTRADICTED = f"""
SELECT count(*) FROM customers c
LEFT JOIN (
  SELECT f.customer_id, sum(f.amount) AS inflow, count(*) AS n FROM footprints f
  WHERE f.direction = 'in' AND f.kind NOT IN ('loan_draw', 'interest')
    AND f.occurred_at >= :year_ago AND f.occurred_at < :end_ts
  GROUP BY f.customer_id
) i ON i.customer_id = c.customer_id
WHERE {OPEN} AND {{scope}} AND c.declared_income > 0
  AND c.declared_income >= :ratio * coalesce(i.inflow, 0) AND coalesce(i.n, 0) >= :min_n"""
STALE = f"""
SELECT count(*), count(*) - count(c.profile_updated_on),
  sum(CASE WHEN c.profile_updated_on < :cutoff THEN 1 ELSE 0 END)
FROM customers c WHERE {OPEN} AND {{scope}}"""
# applications follow their customer's branch and officer of today
APPLICATIONS = """
SELECT count(*) FROM loan_applications a JOIN customers c ON c.customer_id = a.customer_id
WHERE a.applied_on >= :start AND a.applied_on <= :end AND {scope}"""


@pytest.mark.parametrize("period", PERIODS, ids=[f"{p.end}" for p in PERIODS])
def test_quality_cards_stale_profiles_and_applications(
    bank: sa.Engine, largest_branch: int, busiest_officer: Scope, period: Period
) -> None:
    end_ts = datetime.combine(period.end + timedelta(days=1), time.min)
    cutoff = period.end - timedelta(days=ALERTS.stale_profile_days)
    for scope in (Scope.bank(), Scope.branch(largest_branch), busiest_officer):
        where = f"{scope.level} {period.start}..{period.end}"
        cond = _scope_sql(scope)
        # the quality page's way (dashboard/pages/quality.py)
        data = load_queue(period, Selection(scope), FIELDS, ALERTS.income_contradiction_ratio)
        contradicted = income_contradictions(
            data["income"], ALERTS.income_contradiction_ratio, ALERTS.contradiction_min_inflows
        )
        assert data["gaps"] == one(bank, GAPS.format(scope=cond), end=period.end), where
        assert contradicted.height == one(
            bank,
            CONTRADICTED.format(scope=cond),
            end=period.end,
            end_ts=end_ts,
            year_ago=end_ts - timedelta(days=365),
            ratio=ALERTS.income_contradiction_ratio,
            min_n=ALERTS.contradiction_min_inflows,
        ), f"{where}: contradicted incomes"
        with bank.connect() as conn:
            customers, filled = conn.execute(
                sa.text(FILL.format(scope=cond)), {"end": period.end}
            ).one()
        assert overall_completeness(data["fill"]) == pytest.approx(
            filled / (customers * len(FIELDS))
        ), f"{where}: completeness"
        # the officer page's quality tab: open customers, never updated, not updated since cutoff
        stale = officer_loaders.load_staleness(period, Selection(scope), cutoff)
        with bank.connect() as conn:
            want = conn.execute(
                sa.text(STALE.format(scope=cond)), {"end": period.end, "cutoff": cutoff}
            ).one()
        got = tuple(int(stale[c].sum()) for c in ("customers", "never_updated", "stale"))
        assert got == tuple(int(v or 0) for v in want), f"{where}: stale profiles"
        # the credit desk's count: applications of the 30 days to the period's end
        days30 = Period(period.end - timedelta(days=29), period.end)
        apps = load_credit_evidence(days30, Selection(scope), STD.credit.repayment_lookback_days)
        assert apps.height == one(
            bank, APPLICATIONS.format(scope=cond), start=days30.start, end=days30.end
        ), f"{where}: applications"
