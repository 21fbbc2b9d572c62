"""Weekly KPIs per branch, weekly targets and officers' weekly aggregates — aggregated in SQL.

Every ``select_*`` returns rows (branch_id, week_start, kpi, value): one Core select per KPI family,
grouped by branch and Monday in the database, so no raw footprint ever leaves it. Weeks are
``date_trunc('week', …)`` (Monday) with the unit as a literal: a bound 'week' is a separate
parameter per occurrence and DuckDB then refuses the GROUP BY (docs/sql-portability.md).

Balances are branch ledger figures (``branch_weekly_balances``): an officer filter does not
narrow them, and an officer scope sees none. The customer KPIs follow the officer filter through
the customer's officer (conversions: the event's officer).

At county scale (20M footprints) the outflow and effective-customer selects take seconds, so
``data_access.marts.kpis`` runs them once per load, grouped also by officer, into ``kpi_facts``;
the page reads that mart (``select_facts*``) and falls back to the live selects when it is empty.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Literal

import polars as pl
import sqlalchemy as sa

from data_access.queries._frames import frame
from data_access.queries._sql import OUTFLOW_COUNTERPARTIES, truncate
from data_access.schema import (
    balance_snapshots,
    branch_weekly_balances,
    customers,
    footprints,
    kpi_facts,
    marketing_events,
    officer_activities,
    product_holdings,
    weekly_targets,
)
from data_access.selection import Period, Selection, restrict
from metrics.calendar import week_start
from metrics.codes import KPIS
from metrics.standards import EffectiveCustomer

# The keys of every weekly KPI frame: the live selects, the KPI mart and the targets.
_KPI_WEEK = {"branch_id": pl.Int64, "week_start": pl.Date, "kpi": pl.String}
WEEKLY_SCHEMA = _KPI_WEEK | {"value": pl.Float64}
TARGET_SCHEMA = _KPI_WEEK | {"target": pl.Float64}
# A monthly count read as a float, like every KPI value (it joins the weekly frame).
MONTHLY_SCHEMA = {"branch_id": pl.Int64, "month": pl.Date, "value": pl.Float64}
MART_WEEKLY_KPIS = tuple(k.code for k in KPIS if k.source == "mart_weekly")


def _code(kpi: str, name: str = "kpi") -> sa.ColumnElement:
    # CAST gives PostgreSQL the parameter's type inside UNION ALL.
    return sa.cast(sa.literal(kpi), sa.String(24)).label(name)


def _in_view(
    stmt: sa.Select,
    period: Period,
    selection: Selection,
    time_col: sa.ColumnElement,
    branch_col: sa.ColumnElement,
    officer_col: sa.ColumnElement | None = None,
) -> sa.Select:
    """The period on ``time_col``, the selection on the branch (and officer) column."""
    return restrict(
        stmt,
        selection,
        period=period,
        time_col=time_col,
        branch_col=branch_col,
        officer_col=officer_col,
    )


def _needs_officer(selection: Selection) -> bool:
    return selection.scope.level == "officer" or bool(selection.officer_ids)


def select_balances(period: Period, selection: Selection) -> sa.CompoundSelect:
    """deposit_balance, loan_balance and aum (deposits + wealth) per branch and week, from the ledger."""
    t = branch_weekly_balances
    parts = []
    for kpi, value in (
        ("deposit_balance", t.c.deposit_balance),
        ("loan_balance", t.c.loan_balance),
        ("aum", t.c.deposit_balance + t.c.wealth_balance),
    ):
        stmt = sa.select(t.c.branch_id, t.c.week_start, _code(kpi), value.label("value"))
        parts.append(_in_view(stmt, period, selection, t.c.week_start, t.c.branch_id))
    return sa.union_all(*parts)


def _grouped(
    stmt: sa.Select, keys: list[sa.ColumnElement], officer_col: sa.ColumnElement | None
) -> sa.Select:
    """GROUP BY the keys, and by the officer column when the select carries it."""
    return stmt.group_by(*keys, *([officer_col] if officer_col is not None else []))


def _with_officer(stmt: sa.Select, officer_col: sa.ColumnElement, by_officer: bool) -> sa.Select:
    return stmt.add_columns(officer_col.label("officer_id")) if by_officer else stmt


def _per_week(
    fact: sa.Table, week: sa.ColumnElement, kpi: str, value: sa.ColumnElement
) -> sa.Select:
    """branch_id, week_start, kpi, value: the columns of one weekly KPI counted on ``fact``."""
    return sa.select(fact.c.branch_id, week.label("week_start"), _code(kpi), value.label("value"))


def _weekly_kpi(
    stmt: sa.Select,
    fact: sa.Table,
    time_col: sa.ColumnElement,
    week: sa.ColumnElement,
    period: Period,
    selection: Selection,
    by_officer: bool,
    officer_col: sa.ColumnElement | None = None,
) -> sa.Select:
    """Scope, filter and group a per-branch-week KPI select on ``fact``.

    Without an ``officer_col`` of its own the fact takes its customer's officer, joined only when
    the scope, the filters or ``by_officer`` need it.
    """
    if officer_col is None and (by_officer or _needs_officer(selection)):
        stmt = stmt.select_from(fact.join(customers, customers.c.customer_id == fact.c.customer_id))
        officer_col = customers.c.officer_id
    stmt = _in_view(stmt, period, selection, time_col, fact.c.branch_id, officer_col)
    if by_officer and officer_col is not None:
        stmt = _with_officer(stmt, officer_col, by_officer)
    return _grouped(stmt, [fact.c.branch_id, week], officer_col if by_officer else None)


def select_new_customers(
    period: Period, selection: Selection, *, by_officer: bool = False
) -> sa.Select:
    """Customers opened per branch and week (by the customer's home branch and officer)."""
    c = customers
    wk = truncate("week", c.c.opened_on)
    stmt = _per_week(c, wk, "new_customers", sa.func.count())
    return _weekly_kpi(stmt, c, c.c.opened_on, wk, period, selection, by_officer, c.c.officer_id)


def select_mobile_signups(
    period: Period, selection: Selection, *, by_officer: bool = False
) -> sa.Select:
    """Mobile-banking sign-ups (新签约) per branch and week: customers, not product rows.

    A sign-up is a customer who had no open mobile-banking product and opens one: an opening
    while another of the customer's mobile-banking products is still open is not counted.
    """
    h = product_holdings
    prior = product_holdings.alias("prior_mobile")
    already_open = (
        sa.select(prior.c.holding_id)
        .where(
            prior.c.customer_id == h.c.customer_id,
            prior.c.product == "mobile_banking",
            prior.c.holding_id != h.c.holding_id,
            sa.or_(
                prior.c.opened_on < h.c.opened_on,
                sa.and_(prior.c.opened_on == h.c.opened_on, prior.c.holding_id < h.c.holding_id),
            ),
            sa.or_(prior.c.closed_on.is_(None), prior.c.closed_on > h.c.opened_on),
        )
        .exists()
    )
    wk = truncate("week", h.c.opened_on)
    stmt = _per_week(h, wk, "mobile_signups", sa.func.count(sa.distinct(h.c.customer_id)))
    stmt = stmt.where(h.c.product == "mobile_banking", ~already_open)
    return _weekly_kpi(stmt, h, h.c.opened_on, wk, period, selection, by_officer)


def select_conversions(
    period: Period, selection: Selection, *, by_officer: bool = False
) -> sa.Select:
    """Marketing events that reached 'converted', per branch and week (credited to the event's officer)."""
    e = marketing_events
    wk = truncate("week", e.c.occurred_at)
    stmt = _per_week(e, wk, "conversions", sa.func.count()).where(e.c.stage == "converted")
    return _weekly_kpi(stmt, e, e.c.occurred_at, wk, period, selection, by_officer, e.c.officer_id)


def select_outflows(period: Period, selection: Selection, *, by_officer: bool = False) -> sa.Select:
    """Amount transferred out to other banks and internet platforms per branch and week (CNY)."""
    f = footprints
    wk = truncate("week", f.c.occurred_at)
    stmt = _per_week(f, wk, "outflow_other_banks", sa.func.sum(f.c.amount)).where(
        f.c.kind == "transfer_out", f.c.counterparty_type.in_(OUTFLOW_COUNTERPARTIES)
    )
    return _weekly_kpi(stmt, f, f.c.occurred_at, wk, period, selection, by_officer)


def month_bounds(period: Period) -> tuple[date, date]:
    """First day of the month of the period's start, and of the month after its end."""
    first = period.start.replace(day=1)
    after = (period.end.replace(day=1) + timedelta(days=32)).replace(day=1)
    return first, after


def select_effective_monthly(
    period: Period,
    selection: Selection,
    rule: EffectiveCustomer,
    *,
    by_officer: bool = False,
    through_day: int | None = None,
) -> sa.Select:
    """Effective customers per branch and month (branch_id, month, value), per the bank's standard.

    A customer-month is one balance snapshot; it is effective when any enabled condition holds:
    month-average AUM (demand + time + wealth) at or above the bar; has a loan balance
    (month-average loan balance above 0; an undrawn open credit line does not count); or made at least
    N self-initiated transactions (footprints) in the month — only those on days 1..``through_day``
    of the month when it is given (to compare a running month with the same days of another).
    """
    s = balance_snapshots
    first, after = month_bounds(period)
    src: sa.FromClause = s
    conds: list[sa.ColumnElement[bool]] = []
    if rule.min_month_avg_aum is not None:
        conds.append(s.c.demand_avg + s.c.time_avg + s.c.wealth_avg >= rule.min_month_avg_aum)
    if rule.counts_loan_holders:
        conds.append(s.c.loan_avg > 0)
    if rule.min_self_initiated_transactions is not None:
        f = footprints
        month = truncate("month", f.c.occurred_at)
        tx = (
            sa.select(f.c.customer_id, month.label("month"), sa.func.count().label("n"))
            .where(
                f.c.self_initiated.is_(True),
                f.c.occurred_at >= datetime.combine(first, time.min),
                f.c.occurred_at < datetime.combine(after, time.min),
            )
            .group_by(f.c.customer_id, month)
        )
        if through_day is not None:
            tx = tx.where(sa.extract("day", f.c.occurred_at) <= through_day)
        # the branch picks alone (no scope): a cheap pre-filter, the scope applies on snapshots
        branches = Selection(branch_ids=selection.branch_ids)
        tx = restrict(tx, branches, branch_col=f.c.branch_id).subquery("tx")
        src = src.outerjoin(
            tx, sa.and_(tx.c.customer_id == s.c.customer_id, tx.c.month == s.c.month)
        )
        conds.append(sa.func.coalesce(tx.c.n, 0) >= rule.min_self_initiated_transactions)
    officer_col = None
    if by_officer or _needs_officer(selection):
        src = src.join(customers, customers.c.customer_id == s.c.customer_id)
        officer_col = customers.c.officer_id
    # SUM(CASE …) rather than WHERE: a branch with snapshots but no effective customer shows 0.
    effective = sa.func.sum(sa.case((sa.or_(*conds), 1), else_=0))
    stmt = (
        sa.select(s.c.branch_id, s.c.month, effective.label("value"))
        .select_from(src)
        .where(s.c.month >= first, s.c.month < after)
    )
    stmt = restrict(stmt, selection, branch_col=s.c.branch_id, officer_col=officer_col)
    if by_officer:
        stmt = _with_officer(stmt, customers.c.officer_id, by_officer)
    return _grouped(
        stmt, [s.c.branch_id, s.c.month], customers.c.officer_id if by_officer else None
    )


def weeks_of(period: Period) -> list[date]:
    """Mondays of the weeks that start within the period."""
    first = week_start(period.start)
    if first < period.start:
        first += timedelta(weeks=1)
    return [first + timedelta(weeks=i) for i in range((period.end - first).days // 7 + 1)]


def monthly_to_weekly(monthly: pl.DataFrame, weeks: list[date], kpi: str) -> pl.DataFrame:
    """Give each week the value of the latest month that starts on or before its Monday.

    A monthly measure is constant within its month: the week-over-week change is 0 inside a
    month and the month's change shows in its first week.
    """
    if monthly.is_empty() or not weeks:
        return pl.DataFrame(schema=WEEKLY_SCHEMA)
    axis = pl.DataFrame({"week_start": weeks}, schema={"week_start": pl.Date})
    branches = monthly.select("branch_id").unique()
    return (
        branches.join(axis, how="cross")
        .sort("week_start")
        .join_asof(
            monthly.sort("month"),
            left_on="week_start",
            right_on="month",
            by="branch_id",
            strategy="backward",
            check_sortedness=False,  # sorted by week_start within each branch, as required
        )
        .filter(pl.col("value").is_not_null())
        .select("branch_id", "week_start", pl.lit(kpi).alias("kpi"), "value")
        .sort("branch_id", "week_start")
    )


def fetch_effective_weekly(
    conn: sa.Connection, period: Period, selection: Selection, rule: EffectiveCustomer
) -> pl.DataFrame:
    """Effective customers per branch and week (the monthly count of the week's month)."""
    monthly = frame(conn, select_effective_monthly(period, selection, rule), MONTHLY_SCHEMA)
    return monthly_to_weekly(monthly, weeks_of(period), "effective_customers")


def fetch_effective_same_days(
    conn: sa.Connection,
    selection: Selection,
    rule: EffectiveCustomer,
    months: list[date],
    through_day: int,
) -> pl.DataFrame:
    """Effective customers of each month in ``months`` counted through day ``through_day``.

    branch_id, month, value: what a running month (data to its ``through_day``) is compared with.
    """
    parts = []
    for month in months:
        last = (month + timedelta(days=32)).replace(day=1) - timedelta(days=1)
        stmt = select_effective_monthly(
            Period(month, last), selection, rule, through_day=through_day
        )
        parts.append(frame(conn, stmt, MONTHLY_SCHEMA))
    return pl.concat(parts) if parts else pl.DataFrame(schema=MONTHLY_SCHEMA)


def select_facts(period: Period, selection: Selection) -> sa.Select:
    """The weekly customer KPIs from the KPI mart, summed over officers: branch_id, week_start, kpi, value."""
    f = kpi_facts
    stmt = sa.select(
        f.c.branch_id,
        f.c.period_start.label("week_start"),
        f.c.kpi,
        sa.func.sum(f.c.value).label("value"),
    ).where(f.c.kpi.in_(MART_WEEKLY_KPIS))
    stmt = _in_view(stmt, period, selection, f.c.period_start, f.c.branch_id, f.c.officer_id)
    return stmt.group_by(f.c.branch_id, f.c.period_start, f.c.kpi)


def select_facts_effective(period: Period, selection: Selection) -> sa.Select:
    """Effective customers per branch and month from the KPI mart: branch_id, month, value."""
    f = kpi_facts
    first, after = month_bounds(period)
    stmt = sa.select(
        f.c.branch_id, f.c.period_start.label("month"), sa.func.sum(f.c.value).label("value")
    ).where(f.c.kpi == "effective_customers", f.c.period_start >= first, f.c.period_start < after)
    stmt = restrict(stmt, selection, branch_col=f.c.branch_id, officer_col=f.c.officer_id)
    return stmt.group_by(f.c.branch_id, f.c.period_start)


def has_facts(conn: sa.Connection) -> bool:
    """True when the KPI mart exists and has been filled (by ``data_access.refresh``)."""
    # Ask the catalogue first: a failed SELECT would abort a PostgreSQL transaction.
    if not sa.inspect(conn).has_table(kpi_facts.name):
        return False
    return conn.execute(sa.select(kpi_facts.c.kpi).limit(1)).first() is not None


def fetch_weekly_kpis(
    conn: sa.Connection,
    period: Period,
    selection: Selection,
    rule: EffectiveCustomer,
    *,
    source: Literal["auto", "mart", "live"] = "auto",
) -> pl.DataFrame:
    """All KPI_CODES per branch and week over the period: branch_id, week_start, kpi, value.

    Balances come from the ledger table; the customer KPIs from the KPI mart when it is filled
    ("auto"), else live from the fact tables (same numbers, slower at county scale).
    """
    if source not in ("auto", "mart", "live"):
        raise ValueError(f"source must be 'auto', 'mart' or 'live', got {source!r}")
    parts = [frame(conn, select_balances(period, selection), WEEKLY_SCHEMA)]
    if source == "mart" or (source == "auto" and has_facts(conn)):
        parts.append(frame(conn, select_facts(period, selection), WEEKLY_SCHEMA))
        monthly = frame(conn, select_facts_effective(period, selection), MONTHLY_SCHEMA)
        parts.append(monthly_to_weekly(monthly, weeks_of(period), "effective_customers"))
    else:
        parts += [
            frame(conn, select(period, selection), WEEKLY_SCHEMA)
            for select in (
                select_new_customers,
                select_mobile_signups,
                select_conversions,
                select_outflows,
            )
        ]
        parts.append(fetch_effective_weekly(conn, period, selection, rule))
    return pl.concat(parts).sort("kpi", "branch_id", "week_start")


def select_facts_rows(period: Period, rule: EffectiveCustomer) -> list[sa.Select]:
    """The KPI mart's rows (branch_id, officer_id, kpi, period_start, value), one select per family."""
    bank = Selection()
    out = []
    for select in (
        select_new_customers,
        select_mobile_signups,
        select_conversions,
        select_outflows,
    ):
        sub = select(period, bank, by_officer=True).subquery()
        out.append(
            sa.select(sub.c.branch_id, sub.c.officer_id, sub.c.kpi, sub.c.week_start, sub.c.value)
        )
    eff = select_effective_monthly(period, bank, rule, by_officer=True).subquery()
    out.append(
        sa.select(
            eff.c.branch_id,
            eff.c.officer_id,
            _code("effective_customers"),
            eff.c.month,
            eff.c.value,
        )
    )
    return out


def select_targets(period: Period, selection: Selection) -> sa.Select:
    """Weekly targets per branch and KPI over the period."""
    t = weekly_targets
    stmt = sa.select(t.c.branch_id, t.c.week_start, t.c.kpi, t.c.target)
    return _in_view(stmt, period, selection, t.c.week_start, t.c.branch_id)


def fetch_targets(conn: sa.Connection, period: Period, selection: Selection) -> pl.DataFrame:
    """Targets: branch_id, week_start, kpi, target."""
    return frame(conn, select_targets(period, selection), TARGET_SCHEMA)


def select_officer_weekly(period: Period, selection: Selection) -> sa.CompoundSelect:
    """Per officer and week: conversions, new customers (officer's book) and activities logged."""
    parts = []
    e, c, a = marketing_events, customers, officer_activities
    for measure, table, time_col, where in (
        (
            "conversions",
            e,
            e.c.occurred_at,
            (e.c.stage == "converted") & e.c.officer_id.is_not(None),
        ),
        ("new_customers", c, c.c.opened_on, c.c.officer_id.is_not(None)),
        ("activities", a, a.c.occurred_at, None),
    ):
        wk = truncate("week", time_col)
        stmt = sa.select(
            table.c.officer_id,
            table.c.branch_id,
            wk.label("week_start"),
            _code(measure, "measure"),
            sa.func.count().label("value"),
        )
        if where is not None:
            stmt = stmt.where(where)
        stmt = _in_view(stmt, period, selection, time_col, table.c.branch_id, table.c.officer_id)
        parts.append(stmt.group_by(table.c.officer_id, table.c.branch_id, wk))
    return sa.union_all(*parts)


def fetch_officer_weekly(conn: sa.Connection, period: Period, selection: Selection) -> pl.DataFrame:
    """Officers' weekly aggregates: officer_id, branch_id, week_start, measure, value."""
    return frame(conn, select_officer_weekly(period, selection))
