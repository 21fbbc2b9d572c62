"""Audit of the Weekly KPIs page: cards (value, week over week, year over year, target), the branch
ranking and the officer league, recomputed in plain SQL from the raw tables."""

from __future__ import annotations

from datetime import date, timedelta

import numpy as np
import polars as pl
import pytest
import sqlalchemy as sa

from dashboard.loaders.common import load_officers
from dashboard.loaders.kpis import league_period, load_officer_weekly, load_week_view
from dashboard.loaders.officers import BOOK_ROLES
from data_access.filters import Scope
from data_access.selection import Selection
from metrics import kpis as km
from tests.audit.conftest import AS_OF_DATES, DATA_END, monday
from tests.conftest import sql_one as one
from tests.conftest import sql_rows as rows

WEEKS = [monday(d) for d in AS_OF_DATES]  # 16 Nov, 26 Oct (holds 31 Oct), 2 Nov

# --- the published definitions (docs/weekly-kpis.md), one SQL text per KPI ----------------------
# {b} and {o}: the scope's conditions on the fact's branch and officer columns.

BALANCES = {
    "deposit_balance": "deposit_balance",
    "loan_balance": "loan_balance",
    "aum": "deposit_balance + wealth_balance",
}
NEW_CUSTOMERS = """
SELECT count(*) FROM customers c
WHERE c.opened_on >= :ws AND c.opened_on < :we AND {b} AND {o}"""
# a sign-up: a customer with no open mobile-banking product who opens one
MOBILE_SIGNUPS = """
SELECT count(DISTINCT h.customer_id) FROM product_holdings h
JOIN customers c ON c.customer_id = h.customer_id
WHERE h.product = 'mobile_banking' AND h.opened_on >= :ws AND h.opened_on < :we AND {b} AND {o}
  AND NOT EXISTS (
    SELECT 1 FROM product_holdings p
    WHERE p.customer_id = h.customer_id AND p.product = 'mobile_banking'
      AND p.holding_id <> h.holding_id
      AND (p.opened_on < h.opened_on OR (p.opened_on = h.opened_on AND p.holding_id < h.holding_id))
      AND (p.closed_on IS NULL OR p.closed_on > h.opened_on))"""
CONVERSIONS = """
SELECT count(*) FROM marketing_events e
WHERE e.stage = 'converted' AND e.occurred_at >= :ws AND e.occurred_at < :we AND {b} AND {o}"""
OUTFLOWS = """
SELECT coalesce(sum(f.amount), 0) FROM footprints f
JOIN customers c ON c.customer_id = f.customer_id
WHERE f.kind = 'transfer_out' AND f.counterparty_type IN ('other_bank', 'internet_platform')
  AND f.occurred_at >= :ws AND f.occurred_at < :we AND {b} AND {o}"""
# effective in a month: AUM >= 5,000, or a loan balance, or >= 3 self-initiated transactions
EFFECTIVE = """
SELECT count(*) FROM balance_snapshots s
JOIN customers c ON c.customer_id = s.customer_id
LEFT JOIN (
  SELECT customer_id, count(*) AS n FROM footprints
  WHERE self_initiated AND occurred_at >= :ms AND occurred_at < :me AND occurred_at < :cut
  GROUP BY customer_id
) t ON t.customer_id = s.customer_id
WHERE s.month = :ms AND {b} AND {o}
  AND (s.demand_avg + s.time_avg + s.wealth_avg >= 5000 OR s.loan_avg > 0 OR coalesce(t.n, 0) >= 3)"""
CUSTOMER_KPIS = {
    "new_customers": (NEW_CUSTOMERS, "c.branch_id", "c.officer_id"),
    "mobile_signups": (MOBILE_SIGNUPS, "h.branch_id", "c.officer_id"),
    "conversions": (CONVERSIONS, "e.branch_id", "e.officer_id"),
    "outflow_other_banks": (OUTFLOWS, "f.branch_id", "c.officer_id"),
    "effective_customers": (EFFECTIVE, "s.branch_id", "c.officer_id"),
}


def _month_start(day: date) -> date:
    return day.replace(day=1)


def _next_month(day: date) -> date:
    return (day.replace(day=1) + timedelta(days=32)).replace(day=1)


def sql_kpi(
    engine: sa.Engine,
    kpi: str,
    week: date,
    scope: Scope,
    month: date | None = None,
    through_day: int | None = None,
) -> float | None:
    """One KPI of one week for the scope, from the raw tables.

    Effective customers are monthly: the month of the week's Monday unless ``month`` is given,
    transactions counted on days 1..``through_day`` when given (a like-for-like comparison).
    """
    if kpi in BALANCES:
        if scope.level == "officer":
            return None  # balances are branch ledger figures: an officer's book has none
        where = "" if scope.level == "bank" else f"AND branch_id = {scope.branch_id}"
        got = one(
            engine,
            f"SELECT sum({BALANCES[kpi]}) FROM branch_weekly_balances WHERE week_start = :w {where}",
            w=week,
        )
        return None if got is None else float(got)
    sql, branch_col, officer_col = CUSTOMER_KPIS[kpi]
    b = "1 = 1" if scope.level == "bank" else f"{branch_col} = {scope.branch_id}"
    o = f"{officer_col} = {scope.officer_id}" if scope.level == "officer" else "1 = 1"
    month = month or _month_start(week)  # a monthly measure: the month of the week's Monday
    cut = month + timedelta(days=through_day) if through_day else _next_month(month)
    got = one(
        engine,
        sql.format(b=b, o=o),
        ws=week,
        we=week + timedelta(days=7),
        ms=month,
        me=_next_month(month),
        cut=cut,
    )
    return float(got or 0)


def sql_target(engine: sa.Engine, kpi: str, week: date, scope: Scope) -> float | None:
    """The week's target: the sum of the branches' targets in scope."""
    where = "" if scope.level == "bank" else f"AND branch_id = {scope.branch_id}"
    got = one(
        engine,
        f"SELECT sum(target) FROM weekly_targets WHERE week_start = :w AND kpi = :k {where}",
        w=week,
        k=kpi,
    )
    return None if got is None else float(got)


def sql_attainment(kpi: str, value: float, target: float | None) -> float | None:
    """Attainment reads one way for every KPI: above 100% is good; for outflows (lower is better)
    it is target ÷ actual, as in the branch ranking; none without a positive target."""
    if target is None or target <= 0:
        return None
    if kpi == "outflow_other_banks":
        return target / value if value > 0 else None
    return max(value, 0) / target


def _monthly_priors(
    engine: sa.Engine, week: date, scope: Scope, value: float
) -> tuple[float | None, float | None]:
    """Last week's and last year's effective customers, like for like (docs/weekly-kpis.md).

    Year over year: the same calendar month a year earlier. While the data's last month is
    running, the earlier months count transactions through the same day of the month.
    """
    month = _month_start(week)
    running = DATA_END.replace(day=1) == month and _next_month(DATA_END) != DATA_END + timedelta(1)
    day = DATA_END.day if running else None
    year_ago = month.replace(year=month.year - 1)
    yoy = sql_kpi(engine, "effective_customers", week, scope, year_ago, day)
    last_week_month = _month_start(week - timedelta(weeks=1))
    if last_week_month == month:
        return value, yoy
    return sql_kpi(engine, "effective_customers", week, scope, last_week_month, day), yoy


def _scopes(branch: int, officer: Scope) -> list[Scope]:
    return [Scope.bank(), Scope.branch(branch), officer]


@pytest.mark.parametrize("week", WEEKS, ids=[f"{w}" for w in WEEKS])
def test_kpi_cards(
    bank: sa.Engine, largest_branch: int, busiest_officer: Scope, week: date
) -> None:
    """Every card: the week's figure, last week's, last year's and the target."""
    for scope in _scopes(largest_branch, busiest_officer):
        view = load_week_view(week, Selection(scope))
        cards = {r["kpi"]: r for r in view.bank.iter_rows(named=True)}
        for kpi in (*BALANCES, *CUSTOMER_KPIS):
            expected = sql_kpi(bank, kpi, week, scope)
            where = f"{scope.level} {kpi} {week}"
            if expected is None:
                assert kpi not in cards or cards[kpi]["value"] is None, where
                continue
            card = cards[kpi]
            assert card["value"] == pytest.approx(expected), where
            if kpi == "effective_customers":
                prev, yoy = _monthly_priors(bank, week, scope, expected)
            else:
                prev = sql_kpi(bank, kpi, week - timedelta(weeks=1), scope)
                yoy = sql_kpi(bank, kpi, week - timedelta(weeks=52), scope)
            assert card["prev_value"] == pytest.approx(prev), f"{where} week over week"
            assert card["yoy_value"] == pytest.approx(yoy), f"{where} year over year"
            # what the card prints: the change and its share of last week's / last year's figure
            assert card["wow_abs"] == pytest.approx(expected - prev), f"{where} change"
            assert card["wow_pct"] == (
                pytest.approx((expected - prev) / abs(prev)) if prev else None
            ), f"{where} change %"
            assert card["yoy_pct"] == (
                pytest.approx((expected - yoy) / abs(yoy)) if yoy else None
            ), f"{where} year over year %"
            if scope.level != "officer":
                target = sql_target(bank, kpi, week, scope)
                assert card["target"] == pytest.approx(target), where
                attainment = sql_attainment(kpi, expected, target)
                assert card["attainment"] == pytest.approx(attainment), f"{where} attainment"


def sql_branch_figures(
    engine: sa.Engine, week: date, branch: int
) -> dict[str, tuple[float | None, float | None]]:
    """kpi -> (the branch's value, its attainment capped at 150% or None without a target);
    outflows: target ÷ actual."""
    scope = Scope.branch(branch)
    out: dict[str, tuple[float | None, float | None]] = {}
    for kpi in (*BALANCES, *CUSTOMER_KPIS):
        target = sql_target(engine, kpi, week, scope)
        value = sql_kpi(engine, kpi, week, scope)
        good = None
        if target is not None and value is not None and target > 0:
            if kpi == "outflow_other_banks":
                good = min(target / value if value > 0 else 1.5, 1.5)
            else:
                good = min(max(value, 0) / target, 1.5)
        out[kpi] = (value, good)
    return out


@pytest.mark.parametrize("week", WEEKS, ids=[f"{w}" for w in WEEKS])
def test_branch_ranking(bank: sa.Engine, largest_branch: int, week: date) -> None:
    """Score = mean over KPIs with a target of attainment capped at 150%; outflows target ÷ actual."""
    view = load_week_view(week, Selection(Scope.bank()))
    got = view.ranking
    # the ranking table's figures per branch: each KPI's value, and KPIs on / with a target
    values = {(r["branch_id"], r["kpi"]): r["value"] for r in view.by_branch.iter_rows(named=True)}
    on_target = {
        r["branch_id"]: (r["on_target"], r["with_target"]) for r in got.iter_rows(named=True)
    }
    branches = [r[0] for r in rows(bank, "SELECT branch_id FROM branches ORDER BY branch_id")]
    expected: dict[int, float] = {}
    for b in branches:
        figures = sql_branch_figures(bank, week, b)
        for kpi, value in figures.items():
            assert values.get((b, kpi)) == pytest.approx(value[0]), f"branch {b} {kpi}"
        goods = [g for _, g in figures.values() if g is not None]
        if goods:
            expected[b] = sum(goods) / len(goods)
            assert on_target[b] == (sum(g >= 1 for g in goods), len(goods)), f"branch {b}"
    scores = dict(zip(got["branch_id"].to_list(), got["score"].to_list(), strict=True))
    assert set(scores) == set(expected)
    for b, score in expected.items():
        assert scores[b] == pytest.approx(score), f"branch {b}"
    ranked = sorted(expected, key=lambda b: (-expected[b], b))
    assert got.sort("rank", "branch_id")["branch_id"].to_list()[:5] == ranked[:5]
    # a branch president's own view: the same score for the one branch
    own = load_week_view(week, Selection(Scope.branch(largest_branch))).ranking
    assert own["branch_id"].to_list() == [largest_branch]
    assert own["score"][0] == pytest.approx(expected[largest_branch])


OFFICER_WORK = """
SELECT o.officer_id,
  (SELECT count(*) FROM marketing_events e WHERE e.officer_id = o.officer_id AND e.stage = 'converted'
     AND e.occurred_at >= :ws AND e.occurred_at < :we) AS conversions,
  (SELECT count(*) FROM customers c WHERE c.officer_id = o.officer_id
     AND c.opened_on >= :ws AND c.opened_on < :we) AS new_customers,
  (SELECT count(*) FROM officer_activities a WHERE a.officer_id = o.officer_id
     AND a.occurred_at >= :ws AND a.occurred_at < :we) AS activities,
  (SELECT count(*) FROM marketing_events e WHERE e.officer_id = o.officer_id AND e.stage = 'converted'
     AND e.occurred_at >= :ps AND e.occurred_at < :ws) AS conversions_prev
FROM officers o
WHERE o.active AND o.role IN ('customer_manager', 'credit_officer') {where}
ORDER BY o.officer_id"""


def page_league(week: date, scope: Scope) -> pl.DataFrame:
    """The officer league as the KPI page builds it (dashboard/pages/kpis.py): the officers who
    keep a book, from the league's weekly figures."""
    book = load_officers(scope).filter(pl.col("role").is_in(BOOK_ROLES))
    weekly = load_officer_weekly(league_period(week), Selection(scope))
    return km.officer_league(
        weekly.filter(pl.col("officer_id").is_in(book["officer_id"].to_list())),
        week=week,
        officers=book,
    )


@pytest.mark.parametrize("week", WEEKS, ids=[f"{w}" for w in WEEKS])
def test_officer_league(
    bank: sa.Engine, largest_branch: int, busiest_officer: Scope, week: date
) -> None:
    """The officers who keep a book (tellers keep none), as the page lists them: conversions (the
    event's officer), new customers, activities logged, last week's conversions; ranked by the
    three in that order (ties share a rank); 'low activity' under half the median officer's."""
    officer = busiest_officer.officer_id
    for scope, where in (
        (Scope.bank(), ""),
        (Scope.branch(largest_branch), f"AND o.branch_id = {largest_branch}"),
        (busiest_officer, f"AND o.officer_id = {officer}"),
    ):
        league = page_league(week, scope)
        got = {
            r["officer_id"]: (
                r["conversions"],
                r["new_customers"],
                r["activities"],
                r["conversions_prev"],
            )
            for r in league.iter_rows(named=True)
        }
        expected = {
            r[0]: tuple(r[1:])
            for r in rows(
                bank,
                OFFICER_WORK.format(where=where),
                ps=week - timedelta(days=7),
                ws=week,
                we=week + timedelta(days=7),
            )
        }
        assert got == expected, f"{scope.level} {week}"
        keys = {o: f[:3] for o, f in expected.items()}
        median = float(np.median([f[2] for f in expected.values()]))
        for r in league.iter_rows(named=True):
            better = sum(1 for k in keys.values() if k > keys[r["officer_id"]])
            assert r["rank"] == better + 1, f"{scope.level} officer {r['officer_id']} rank"
            assert r["lagging"] == (r["activities"] < 0.5 * median)
