"""Audit of the Weekly KPIs page's flags: each branch's weekly figures read in plain SQL from the raw
tables, and the flag tests applied as docs/weekly-kpis.md and ``[alerts]`` of the standard publish
them (balances: robust z of the change and a share of the balance; counts: Poisson; outflows:
three times the usual amount and 1% of deposits; monthly measures never; direction from the
change) — compared with the flags the page's loader returns, for the whole bank, one branch and
one officer's book."""

from __future__ import annotations

from datetime import date, timedelta

import numpy as np
import pytest
import sqlalchemy as sa
from scipy.stats import norm, poisson

from dashboard.loaders.kpis import load_week_view
from data_access.filters import Scope
from data_access.selection import Selection
from metrics.standards import load_standards
from tests.audit.test_kpis_audit import WEEKS
from tests.conftest import sql_rows as rows

ALERTS = load_standards().alerts
HISTORY = ALERTS.kpi_history_weeks

# One row per branch, week and KPI; {b} / {o}: the scope's conditions. Weeks are Monday-based.
WEEK = "CAST(date_trunc('week', {col}) AS DATE)"
COUNTS = {
    "new_customers": f"""
SELECT c.branch_id, {WEEK.format(col="c.opened_on")} AS w, count(*) FROM customers c
WHERE c.opened_on >= :lo AND c.opened_on < :hi AND {{b}} AND {{o}} GROUP BY 1, 2""",
    "mobile_signups": f"""
SELECT h.branch_id, {WEEK.format(col="h.opened_on")} AS w, count(DISTINCT h.customer_id)
FROM product_holdings h JOIN customers c ON c.customer_id = h.customer_id
WHERE h.product = 'mobile_banking' AND h.opened_on >= :lo AND h.opened_on < :hi AND {{b}} AND {{o}}
  AND NOT EXISTS (
    SELECT 1 FROM product_holdings p
    WHERE p.customer_id = h.customer_id AND p.product = 'mobile_banking'
      AND p.holding_id <> h.holding_id
      AND (p.opened_on < h.opened_on OR (p.opened_on = h.opened_on AND p.holding_id < h.holding_id))
      AND (p.closed_on IS NULL OR p.closed_on > h.opened_on))
GROUP BY 1, 2""",
    "conversions": f"""
SELECT e.branch_id, {WEEK.format(col="e.occurred_at")} AS w, count(*) FROM marketing_events e
WHERE e.stage = 'converted' AND e.occurred_at >= :lo AND e.occurred_at < :hi AND {{b}} AND {{o}}
GROUP BY 1, 2""",
}
OUTFLOW = f"""
SELECT f.branch_id, {WEEK.format(col="f.occurred_at")} AS w, sum(f.amount) FROM footprints f
JOIN customers c ON c.customer_id = f.customer_id
WHERE f.kind = 'transfer_out' AND f.counterparty_type IN ('other_bank', 'internet_platform')
  AND f.occurred_at >= :lo AND f.occurred_at < :hi AND {{b}} AND {{o}} GROUP BY 1, 2"""
BALANCES = """
SELECT branch_id, week_start, deposit_balance, loan_balance, deposit_balance + wealth_balance
FROM branch_weekly_balances WHERE week_start >= :lo AND week_start < :hi {where}"""
BRANCH_COL = {
    "new_customers": "c.branch_id",
    "mobile_signups": "h.branch_id",
    "conversions": "e.branch_id",
    "outflow_other_banks": "f.branch_id",
}
OFFICER_COL = {"conversions": "e.officer_id"}  # the event's officer; else the customer's


def weekly_by_branch(
    engine: sa.Engine, scope: Scope, week: date
) -> dict[tuple[int, str], dict[date, float]]:
    """(branch, kpi) -> {week: value} over the 15 weeks the flags read (flows without events: 0)."""
    first = week - timedelta(weeks=HISTORY + 1)
    weeks = [first + timedelta(weeks=i) for i in range(HISTORY + 2)]
    bounds = {"lo": first, "hi": week + timedelta(days=7)}
    branches = [scope.branch_id] if scope.level != "bank" else None
    if branches is None:
        branches = [r[0] for r in rows(engine, "SELECT branch_id FROM branches")]
    out: dict[tuple[int, str], dict[date, float]] = {}
    for kpi, sql in (*COUNTS.items(), ("outflow_other_banks", OUTFLOW)):
        b = "1 = 1" if scope.level == "bank" else f"{BRANCH_COL[kpi]} = {scope.branch_id}"
        o = "1 = 1"
        if scope.level == "officer":
            o = f"{OFFICER_COL.get(kpi, 'c.officer_id')} = {scope.officer_id}"
        got = {(r[0], r[1]): float(r[2]) for r in rows(engine, sql.format(b=b, o=o), **bounds)}
        for br in branches:
            out[(br, kpi)] = {w: got.get((br, w), 0.0) for w in weeks}
    if scope.level != "officer":  # the ledger has no officer: an officer's book has no balances
        where = "" if scope.level == "bank" else f"AND branch_id = {scope.branch_id}"
        for br, w, dep, loan, aum in rows(engine, BALANCES.format(where=where), **bounds):
            for kpi, v in (("deposit_balance", dep), ("loan_balance", loan), ("aum", aum)):
                out.setdefault((br, kpi), {})[w] = float(v)
    return out


def robust_z(x: float, history: np.ndarray) -> float | None:
    """(x - median) / (1.4826 MAD), or 1.2533 x mean absolute deviation when the MAD is 0."""
    med = float(np.median(history))
    dev = np.abs(history - med)
    scale = 1.4826 * float(np.median(dev)) or 1.2533 * float(np.mean(dev))
    return (x - med) / scale if scale else None


def expected_flags(
    series: dict[tuple[int, str], dict[date, float]], week: date
) -> dict[tuple[int, str], str]:
    """(branch, kpi) -> reason, by the published tests."""
    first = week - timedelta(weeks=HISTORY + 1)
    stems = {"outflow_other_banks": "outflow", "deposit_balance": "deposit", "loan_balance": "loan"}
    flags: dict[tuple[int, str], str] = {}
    for (branch, kpi), by_week in series.items():
        weeks = [first + timedelta(weeks=i) for i in range(HISTORY + 2)]
        if week not in by_week or week - timedelta(weeks=1) not in by_week:
            continue
        value = by_week[week]
        change = value - by_week[week - timedelta(weeks=1)]
        past = [w for w in weeks[1:-1] if w in by_week]
        changes = np.array(
            [
                by_week[w] - by_week[w - timedelta(weeks=1)]
                for w in past
                if w - timedelta(weeks=1) in by_week
            ]
        )
        levels = np.array([by_week[w] for w in past])
        if len(changes) < 4:
            continue
        if kpi in COUNTS:
            usual = max(float(levels.mean()), 1e-9)
            tail = min(poisson.cdf(value, usual), poisson.sf(value - 1, usual))
            unusual = (
                tail < ALERTS.kpi_count_p_value / 2
                and abs(value - usual) >= ALERTS.kpi_count_min_change
            )
            z = np.sign(value - usual) * min(norm.isf(max(tail, 1e-300)), 10.0) if unusual else 0.0
        elif kpi == "outflow_other_banks":
            usual = float(np.median(levels))
            deposits = series.get((branch, "deposit_balance"), {}).get(week, 0.0)
            unusual = (value >= 3 * usual or 3 * value <= usual) and abs(
                value - usual
            ) >= 0.01 * deposits
            z = robust_z(float(np.log1p(max(value, 0))), np.log1p(np.maximum(levels, 0)))
        else:
            z = robust_z(change, changes)
            unusual = (
                z is not None
                and abs(z) >= ALERTS.kpi_z_score
                and abs(change) >= ALERTS.kpi_min_change_share * abs(value - change)
            )
        if unusual and z is not None and np.sign(change) == np.sign(z):
            flags[(branch, kpi)] = f"{stems.get(kpi, kpi)}_{'drop' if change < 0 else 'spike'}"
    return flags


@pytest.mark.parametrize("week", WEEKS, ids=[f"{w}" for w in WEEKS])
def test_flags(bank: sa.Engine, largest_branch: int, busiest_officer: Scope, week: date) -> None:
    for scope in (Scope.bank(), Scope.branch(largest_branch), busiest_officer):
        got = load_week_view(week, Selection(scope)).flags
        flags = {(r["branch_id"], r["kpi"]): r["reason"] for r in got.iter_rows(named=True)}
        expected = expected_flags(weekly_by_branch(bank, scope, week), week)
        assert flags == expected, f"{scope.level} week {week}"
        # adverse: a drop hurts, except for outflows, where a rise does
        for r in got.iter_rows(named=True):
            rose = r["change"] > 0
            assert r["adverse"] == (rose if r["kpi"] == "outflow_other_banks" else not rose)
