"""Audit of the Officer engagement page: the officers who keep a book, each one's weekly work over
the page's default 12 weeks (visits, calls and follow-ups, soft footprints, conversions), profile
completeness and the engagement score (rate ÷ the bank's 90th percentile, capped at 1, weighted as
``[engagement]`` of the standard says), and the five cards — recomputed in plain SQL from
officers, officer_activities, soft_footprints, marketing_events and customers."""

from __future__ import annotations

from datetime import date, timedelta

import numpy as np
import polars as pl
import pytest
import sqlalchemy as sa

from dashboard.loaders import officers as loaders
from dashboard.loaders.common import load_officers
from data_access.filters import Scope
from data_access.selection import Period, Selection
from metrics import officers as om
from metrics import quality as qm
from metrics.standards import load_standards
from tests.audit.conftest import scope_sql
from tests.audit.test_kpis_audit import WEEKS
from tests.conftest import sql_rows as rows

STD = load_standards()
N_WEEKS = 12  # the page's default period

WORK = """
SELECT o.officer_id,
  (SELECT count(*) FROM officer_activities a WHERE a.officer_id = o.officer_id
     AND a.kind = 'visit' AND a.occurred_at >= :lo AND a.occurred_at < :hi),
  (SELECT count(*) FROM officer_activities a WHERE a.officer_id = o.officer_id
     AND a.kind IN ('call', 'follow_up') AND a.occurred_at >= :lo AND a.occurred_at < :hi),
  (SELECT count(*) FROM soft_footprints s WHERE s.officer_id = o.officer_id
     AND s.captured_at >= :lo AND s.captured_at < :hi),
  (SELECT count(*) FROM marketing_events e WHERE e.officer_id = o.officer_id
     AND e.stage = 'converted' AND e.occurred_at >= :lo AND e.occurred_at < :hi)
FROM officers o
WHERE o.active AND o.role IN ('customer_manager', 'credit_officer') AND {scope}
ORDER BY o.officer_id"""


def fill_sql(fields: tuple[str, ...], scope: str) -> str:
    """Per officer: open customers on :end and the profile fields filled (blank text is not)."""
    text = {"occupation", "education", "marital_status", "town", "village", "phone", "gender"}
    filled = " + ".join(
        f"count(nullif(trim(c.{f}), ''))" if f in text else f"count(c.{f})" for f in fields
    )
    return f"""
SELECT c.officer_id, count(*), {filled} FROM customers c
WHERE c.officer_id IS NOT NULL AND c.opened_on <= :end AND (c.closed_on IS NULL OR c.closed_on > :end)
  AND {scope}
GROUP BY c.officer_id"""


def sql_rates(engine: sa.Engine, scope_sql: str, week: date) -> dict[int, list[float]]:
    """officer -> [visits, contacts, soft footprints, conversions per week, completeness]."""
    lo = week - timedelta(weeks=N_WEEKS - 1)
    hi = week + timedelta(days=7)
    fields = STD.profile_fields
    work = rows(engine, WORK.format(scope=scope_sql), lo=lo, hi=hi)
    fill = {
        r[0]: (r[1], r[2])
        for r in rows(
            engine, fill_sql(fields, scope_sql.replace("o.", "c.")), end=hi - timedelta(days=1)
        )
    }
    out = {}
    for oid, *counts in work:
        customers, filled = fill.get(oid, (0, 0))
        completeness = filled / (customers * len(fields)) if customers else 0.0
        out[oid] = [n / N_WEEKS for n in counts] + [completeness]
    return out


def _scope_sql(scope: Scope) -> str:
    return scope_sql(scope, "o")


@pytest.mark.parametrize("week", WEEKS, ids=[f"{w}" for w in WEEKS])
def test_officer_weekly_work_and_engagement(
    bank: sa.Engine, largest_branch: int, busiest_officer: Scope, week: date
) -> None:
    weeks = [week - timedelta(weeks=i) for i in range(N_WEEKS - 1, -1, -1)]
    period = Period(weeks[0], week + timedelta(days=6))
    column = {"visits": 0, "contacts": 1, "soft_footprints": 2, "conversions": 3}
    column["profile_completeness"] = 4
    everyone = sql_rates(bank, "1 = 1", week)
    # the bank's 90th percentile of each rate (linear interpolation)
    p90 = {
        c.code: float(np.percentile([r[column[c.code]] for r in everyone.values()], 90))
        for c in STD.engagement.components
    }
    for scope in (Scope.bank(), Scope.branch(largest_branch), busiest_officer):
        where = f"{scope.level} {week}"
        # the page's way (dashboard/pages/officers.py)
        book = om.officers_in_view(load_officers(scope), roles=loaders.BOOK_ROLES)
        in_period = pl.col("week_start").is_in(weeks)
        selection = Selection(scope)
        fill = loaders.load_profile_fill(period, selection, STD.profile_fields)
        rates = om.officer_rates(
            book,
            loaders.load_activity(period, selection).filter(in_period),
            loaders.load_soft(period, selection).filter(in_period),
            loaders.load_conversions(period, selection),
            qm.officer_completeness(fill),
            N_WEEKS,
        )
        benchmark = loaders.load_engagement_benchmark(
            tuple(weeks), STD.profile_fields, STD.engagement, STD.version
        )
        scores = om.engagement_scores(rates, STD.engagement, benchmark)
        # the same from SQL
        expected = sql_rates(bank, _scope_sql(scope), week)
        assert sorted(scores["officer_id"].to_list()) == sorted(expected), where
        assert benchmark == pytest.approx(p90), f"{where}: the bank's 90th percentiles"
        for r in scores.iter_rows(named=True):
            want = expected[r["officer_id"]]
            got = [r[c] for c in ("visits", "contacts", "soft_footprints", "conversions")]
            assert [*got, r["profile_completeness"]] == pytest.approx(want), where
            score = 100 * sum(
                c.weight * (min(want[column[c.code]] / p90[c.code], 1.0) if p90[c.code] else 0.0)
                for c in STD.engagement.components
            )
            assert r["score"] == pytest.approx(score), f"{where} officer {r['officer_id']}"
        # the cards: officers, mean visits, mean soft footprints, completeness, mean score
        n = len(expected)
        assert scores.height == n, where
        assert scores["visits"].mean() == pytest.approx(sum(v[0] for v in expected.values()) / n)
        assert scores["soft_footprints"].mean() == pytest.approx(
            sum(v[2] for v in expected.values()) / n
        )
        want_scores = [
            100
            * sum(
                c.weight * (min(v[column[c.code]] / p90[c.code], 1.0) if p90[c.code] else 0.0)
                for c in STD.engagement.components
            )
            for v in expected.values()
        ]
        assert scores["score"].mean() == pytest.approx(sum(want_scores) / n), where
        books = rows(
            bank,
            fill_sql(STD.profile_fields, _scope_sql(scope).replace("o.", "c.")),
            end=week + timedelta(days=6),
        )
        slots = sum(r[1] for r in books if r[0] in expected) * len(STD.profile_fields)
        filled = sum(r[2] for r in books if r[0] in expected)
        in_view = fill.filter(pl.col("officer_id").is_in(list(expected)))
        assert qm.overall_completeness(in_view) == pytest.approx(filled / slots), where
