"""Customer value: monthly AUM, RFM aggregates and the BG/NBD summary (computed in SQL), and the
segment builder over the value mart (a frozen definition → a Core select with bound parameters).
"""

from __future__ import annotations

import json
import math
import unicodedata
from dataclasses import asdict, dataclass, fields
from datetime import date, datetime, timedelta

import polars as pl
import sqlalchemy as sa

from data_access import audit
from data_access.errors import InvalidFilter, SegmentExists
from data_access.filters import TIERS, Scope, apply_scope
from data_access.masking import personal
from data_access.queries._frames import bulk_frame, frame
from data_access.queries._sql import MONTH_AVERAGES, ts
from data_access.schema import (
    PRODUCTS,
    SIGNAL_CODES,
    balance_snapshots,
    customer_signals,
    customer_value,
    customers,
    footprints,
    product_holdings,
    saved_segments,
)
from data_access.selection import Selection, restrict

DAYS_PER = {"D": 1.0, "W": 7.0}


def _day(col: sa.ColumnElement) -> sa.ColumnElement:
    """Calendar day of a timestamp."""
    return sa.cast(col, sa.Date)


def _days_between(later: sa.ColumnElement, earlier: sa.ColumnElement) -> sa.ColumnElement:
    """Whole days from ``earlier`` to ``later`` (both dates); integer on DuckDB and PostgreSQL."""
    return sa.type_coerce(later - earlier, sa.Integer)


def _customers_in_scope(scope: Scope) -> sa.Select:
    """The ids of the customers ``scope`` may see."""
    c = customers.c
    return apply_scope(sa.select(c.customer_id), scope, c.branch_id, c.officer_id)


def _scope_fact(stmt: sa.Select, table: sa.Table, scope: Scope) -> sa.Select:
    """Scope a select on a fact table: an officer's through his customers (fact rows carry no
    officer), a branch's on the table's own branch_id."""
    if scope.level == "officer":
        return stmt.where(table.c.customer_id.in_(_customers_in_scope(scope)))
    return apply_scope(stmt, scope, table.c.branch_id)


# --- inputs of the value mart -------------------------------------------------------------------


def select_monthly_balances(scope: Scope, first_month: date, last_month: date) -> sa.Select:
    """Month-average balances per customer and month in [first_month, last_month]."""
    b = balance_snapshots
    stmt = sa.select(
        b.c.customer_id, b.c.branch_id, b.c.month, *(b.c[k] for k in MONTH_AVERAGES)
    ).where(b.c.month >= first_month, b.c.month <= last_month)
    stmt = _scope_fact(stmt, b, scope)
    return stmt.order_by(b.c.customer_id, b.c.month)


def fetch_monthly_balances(
    conn: sa.Connection, scope: Scope, first_month: date, last_month: date
) -> pl.DataFrame:
    """Customers × months of month-average balances: customer_id, branch_id, month, the averages."""
    return bulk_frame(conn, select_monthly_balances(scope, first_month, last_month))


def select_customer_owners(scope: Scope, open_on: date | None = None) -> sa.Select:
    """Every customer in scope with its branch and officer; only those open on ``open_on`` if given."""
    c = customers
    stmt = sa.select(c.c.customer_id, c.c.branch_id, c.c.officer_id)
    if open_on is not None:
        stmt = stmt.where(
            c.c.opened_on <= open_on, sa.or_(c.c.closed_on.is_(None), c.c.closed_on > open_on)
        )
    return apply_scope(stmt, scope, c.c.branch_id, c.c.officer_id).order_by(c.c.customer_id)


def fetch_customer_owners(
    conn: sa.Connection, scope: Scope, open_on: date | None = None
) -> pl.DataFrame:
    """customer_id, branch_id, officer_id of every customer in scope (open on ``open_on`` if given)."""
    return bulk_frame(conn, select_customer_owners(scope, open_on))


def select_open_products(scope: Scope, as_of: date) -> sa.Select:
    """customer_id, product of every product held open on ``as_of`` by a customer in scope."""
    h = product_holdings
    stmt = sa.select(h.c.customer_id, h.c.product).where(
        h.c.opened_on <= as_of, sa.or_(h.c.closed_on.is_(None), h.c.closed_on > as_of)
    )
    return _scope_fact(stmt, h, scope).order_by(h.c.customer_id)


def fetch_open_products(conn: sa.Connection, scope: Scope, as_of: date) -> pl.DataFrame:
    """customer_id, product held open on ``as_of`` (one row per holding)."""
    return bulk_frame(
        conn, select_open_products(scope, as_of), {"customer_id": pl.Int64, "product": pl.String}
    )


def _self_initiated(start: date, end: date) -> sa.Select:
    """Self-initiated footprints with start <= day <= end (timestamps bounded for the index)."""
    f = footprints
    return sa.select(f).where(
        f.c.self_initiated.is_(True),
        f.c.occurred_at >= ts(start),
        f.c.occurred_at < ts(end + timedelta(days=1)),
    )


def select_rfm_aggregates(scope: Scope, as_of: date, lookback_days: int) -> sa.Select:
    """Per customer in scope: days since the last self-initiated transaction, count and amount.

    The window is the ``lookback_days`` days ending on ``as_of``; customers with no such
    transaction get recency null, frequency 0, monetary 0.
    """
    tx = _self_initiated(as_of - timedelta(days=lookback_days - 1), as_of).subquery("tx")
    agg = (
        sa.select(
            tx.c.customer_id,
            sa.func.max(_day(tx.c.occurred_at)).label("last_day"),
            sa.func.count().label("frequency"),
            sa.func.sum(tx.c.amount).label("monetary"),
        )
        .group_by(tx.c.customer_id)
        .subquery("agg")
    )
    c = customers
    as_of_param = sa.cast(sa.bindparam("rfm_as_of", as_of, type_=sa.Date), sa.Date)
    stmt = sa.select(
        c.c.customer_id,
        _days_between(as_of_param, agg.c.last_day).label("recency_days"),
        sa.func.coalesce(agg.c.frequency, 0).label("frequency"),
        sa.func.coalesce(agg.c.monetary, 0.0).label("monetary"),
    ).select_from(c.outerjoin(agg, agg.c.customer_id == c.c.customer_id))
    return apply_scope(stmt, scope, c.c.branch_id, c.c.officer_id).order_by(c.c.customer_id)


def fetch_rfm_aggregates(
    conn: sa.Connection, scope: Scope, as_of: date, lookback_days: int
) -> pl.DataFrame:
    """customer_id, recency_days, frequency, monetary for every customer in scope."""
    return bulk_frame(conn, select_rfm_aggregates(scope, as_of, lookback_days))


def select_clv_summary(
    scope: Scope, observation_end: date, time_unit: str = "D", first_day: date | None = None
) -> sa.Select:
    """BG/NBD summary in SQL, the same as ``metrics.clv.rfm_summary`` on self-initiated footprints.

    One row per customer with a self-initiated transaction on or before ``observation_end``:
    frequency = transaction days - 1, recency = last - first day, T = end - first day (in days,
    or weeks for "W"), monetary_value = mean amount of the repeat days (0 without repeats).
    """
    if time_unit not in DAYS_PER:
        raise InvalidFilter(f"time_unit must be 'D' or 'W', not {time_unit!r}")
    f = footprints
    stmt = sa.select(
        f.c.customer_id, _day(f.c.occurred_at).label("day"), f.c.amount, f.c.branch_id
    ).where(f.c.self_initiated.is_(True), f.c.occurred_at < ts(observation_end + timedelta(1)))
    if first_day is not None:
        stmt = stmt.where(f.c.occurred_at >= ts(first_day))
    stmt = _scope_fact(stmt, f, scope)
    tx = stmt.subquery("tx")
    daily = (
        sa.select(tx.c.customer_id, tx.c.day, sa.func.sum(tx.c.amount).label("amount"))
        .group_by(tx.c.customer_id, tx.c.day)
        .subquery("daily")
    )
    numbered = sa.select(
        daily.c.customer_id,
        daily.c.day,
        daily.c.amount,
        sa.func.row_number()
        .over(partition_by=daily.c.customer_id, order_by=daily.c.day)
        .label("n"),
    ).subquery("numbered")
    unit = DAYS_PER[time_unit]
    end = sa.cast(sa.bindparam("clv_end", observation_end, type_=sa.Date), sa.Date)
    first = sa.func.min(numbered.c.day)
    repeat_sum = sa.func.sum(sa.case((numbered.c.n > 1, numbered.c.amount), else_=0.0))
    frequency = sa.func.count() - 1
    return (
        sa.select(
            numbered.c.customer_id,
            frequency.label("frequency"),
            (sa.cast(_days_between(sa.func.max(numbered.c.day), first), sa.Double) / unit).label(
                "recency"
            ),
            (sa.cast(_days_between(end, first), sa.Double) / unit).label("T"),
            sa.case((frequency > 0, repeat_sum / sa.cast(frequency, sa.Double)), else_=0.0).label(
                "monetary_value"
            ),
        )
        .group_by(numbered.c.customer_id)
        .order_by(numbered.c.customer_id)
    )


def fetch_clv_summary(
    conn: sa.Connection, scope: Scope, observation_end: date, time_unit: str = "D"
) -> pl.DataFrame:
    """customer_id, frequency, recency, T, monetary_value computed in SQL."""
    return bulk_frame(conn, select_clv_summary(scope, observation_end, time_unit))


def select_month_activity(scope: Scope, month: date) -> sa.Select:
    """Self-initiated transactions per customer in the calendar month starting ``month``."""
    nxt = date(month.year + (month.month == 12), month.month % 12 + 1, 1)
    tx = _self_initiated(month, nxt - timedelta(days=1)).subquery("tx")
    stmt = sa.select(
        tx.c.customer_id, sa.func.count().label("self_initiated_transactions")
    ).group_by(tx.c.customer_id)
    if scope.level != "bank":
        stmt = stmt.where(tx.c.customer_id.in_(_customers_in_scope(scope)))
    return stmt.order_by(tx.c.customer_id)


def fetch_month_activity(conn: sa.Connection, scope: Scope, month: date) -> pl.DataFrame:
    """customer_id, self_initiated_transactions in the month (customers with none are absent)."""
    return bulk_frame(conn, select_month_activity(scope, month))


# --- the segment builder -------------------------------------------------------------------------


ALIASES = {"without_product": "products_not_held", "with_product": "products_held"}


@dataclass(frozen=True)
class SegmentDefinition:
    """What the marketing team picked; every empty field means "no condition"."""

    tiers: tuple[str, ...] = ()
    rfm_segments: tuple[str, ...] = ()
    towns: tuple[str, ...] = ()
    age_min: int | None = None
    age_max: int | None = None
    occupations: tuple[str, ...] = ()
    products_held: tuple[str, ...] = ()
    products_not_held: tuple[str, ...] = ()
    signals: tuple[str, ...] = ()
    clv_min: float | None = None
    clv_max: float | None = None

    def __post_init__(self) -> None:
        for name in ("tiers", "rfm_segments", "towns", "occupations", "signals"):
            value = getattr(self, name)
            if not isinstance(value, tuple) or not all(isinstance(v, str) for v in value):
                raise InvalidFilter(f"segment {name} must be a tuple of strings")
        if unknown := [t for t in self.tiers if t not in TIERS]:
            raise InvalidFilter(f"unknown tier(s) {unknown}")
        for name in ("products_held", "products_not_held"):
            if unknown := [p for p in getattr(self, name) if p not in PRODUCTS]:
                raise InvalidFilter(f"unknown product(s) {unknown} in {name}")
        for name in ("age_min", "age_max"):
            value = getattr(self, name)
            if value is not None and (
                isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= 150
            ):
                raise InvalidFilter(f"segment {name} must be a whole number of years (0-150)")
        for name in ("clv_min", "clv_max"):
            value = getattr(self, name)
            if value is not None and (
                isinstance(value, bool)
                or not isinstance(value, int | float)
                or not math.isfinite(value)
                or not 0 <= value <= 1e12
            ):
                raise InvalidFilter(f"segment {name} must be an amount between 0 and 1e12")
        if unknown := [s for s in self.signals if s not in SIGNAL_CODES]:
            raise InvalidFilter(f"unknown signal(s) {unknown}")
        if self.age_min is not None and self.age_max is not None and self.age_max < self.age_min:
            raise InvalidFilter("age band ends before it starts")
        if self.clv_min is not None and self.clv_max is not None and self.clv_max < self.clv_min:
            raise InvalidFilter("CLV range ends before it starts")

    def to_json(self) -> str:
        """The definition as JSON (saved segments, campaign target definitions)."""
        return json.dumps(asdict(self), ensure_ascii=False, sort_keys=True)

    @classmethod
    def from_json(cls, text: str) -> SegmentDefinition:
        """Parse a saved definition; unknown keys are refused."""
        try:
            data = json.loads(text)
        except (json.JSONDecodeError, RecursionError, TypeError) as exc:
            raise InvalidFilter(f"segment definition is not JSON: {exc}") from exc
        if not isinstance(data, dict):
            raise InvalidFilter("segment definition must be a JSON object")
        for alias, name in ALIASES.items():  # campaign target definitions use these spellings
            if alias in data:
                value = data.pop(alias)
                data[name] = [*data.get(name, []), *([value] if isinstance(value, str) else value)]
        names = {f.name for f in fields(cls)}
        if set(data) - names:
            raise InvalidFilter(f"segment definition has unknown keys {sorted(set(data) - names)}")
        return cls(**{k: tuple(v) if isinstance(v, list) else v for k, v in data.items()})

    @property
    def uses_signals(self) -> bool:
        """True when the definition filters on footprint signals."""
        return bool(self.signals)


def _holds(product: str, as_of: date) -> sa.Exists:
    """The customer holds ``product`` open on ``as_of`` (opened by then, not closed by then)."""
    h = product_holdings
    return sa.exists().where(
        h.c.customer_id == customer_value.c.customer_id,
        h.c.product == product,
        h.c.opened_on <= as_of,
        sa.or_(h.c.closed_on.is_(None), h.c.closed_on > as_of),
    )


def segment_members(selection: Selection, defn: SegmentDefinition, as_of: date) -> sa.Select:
    """Select of customer_value joined to customers for every customer the definition matches.

    Honours the sidebar (scope, branches, officers, tiers) and the definition; age is counted
    in years at ``as_of``, products held are those open on ``as_of``.
    """
    cv, c = customer_value, customers
    stmt = sa.select(cv, c.c.name, c.c.town, c.c.occupation, c.c.birth_year).select_from(
        cv.join(c, c.c.customer_id == cv.c.customer_id)
    )
    stmt = restrict(
        stmt, selection, branch_col=cv.c.branch_id, officer_col=cv.c.officer_id, tier_col=cv.c.tier
    )
    if defn.tiers:
        stmt = stmt.where(cv.c.tier.in_(defn.tiers))
    if defn.rfm_segments:
        stmt = stmt.where(cv.c.rfm_segment.in_(defn.rfm_segments))
    if defn.towns:
        stmt = stmt.where(c.c.town.in_(defn.towns))
    if defn.occupations:
        stmt = stmt.where(c.c.occupation.in_(defn.occupations))
    if defn.age_min is not None:  # born no later than as_of.year - age_min
        stmt = stmt.where(c.c.birth_year <= as_of.year - defn.age_min)
    if defn.age_max is not None:
        stmt = stmt.where(c.c.birth_year >= as_of.year - defn.age_max)
    for product in defn.products_held:
        stmt = stmt.where(_holds(product, as_of))
    for product in defn.products_not_held:
        stmt = stmt.where(~_holds(product, as_of))
    if defn.signals:
        s = customer_signals
        stmt = stmt.where(
            sa.exists().where(
                s.c.customer_id == cv.c.customer_id, *(s.c[code].is_(True) for code in defn.signals)
            )
        )
    if defn.clv_min is not None:
        stmt = stmt.where(cv.c.clv >= defn.clv_min)
    if defn.clv_max is not None:
        stmt = stmt.where(cv.c.clv <= defn.clv_max)
    return stmt


def select_segment_summary(selection: Selection, defn: SegmentDefinition, as_of: date) -> sa.Select:
    """Count, total AUM and total CLV of the segment."""
    m = segment_members(selection, defn, as_of).subquery("m")
    return sa.select(
        sa.func.count().label("customers"),
        sa.func.coalesce(sa.func.sum(m.c.aum), 0.0).label("aum"),
        sa.func.coalesce(sa.func.sum(m.c.clv), 0.0).label("clv"),
    )


def fetch_segment_summary(
    conn: sa.Connection, selection: Selection, defn: SegmentDefinition, as_of: date
) -> pl.DataFrame:
    """One row: customers, aum, clv of the segment."""
    return frame(conn, select_segment_summary(selection, defn, as_of))


def select_segment_breakdown(
    selection: Selection, defn: SegmentDefinition, as_of: date
) -> sa.Select:
    """Customers, AUM and CLV of the segment by tier × RFM segment."""
    m = segment_members(selection, defn, as_of).subquery("m")
    return (
        sa.select(
            m.c.tier,
            m.c.rfm_segment,
            sa.func.count().label("customers"),
            sa.func.coalesce(sa.func.sum(m.c.aum), 0.0).label("aum"),
            sa.func.coalesce(sa.func.sum(m.c.clv), 0.0).label("clv"),
        )
        .group_by(m.c.tier, m.c.rfm_segment)
        .order_by(m.c.tier, m.c.rfm_segment)
    )


def fetch_segment_breakdown(
    conn: sa.Connection, selection: Selection, defn: SegmentDefinition, as_of: date
) -> pl.DataFrame:
    """tier, rfm_segment, customers, aum, clv of the segment."""
    return frame(conn, select_segment_breakdown(selection, defn, as_of))


def select_segment_customers(
    selection: Selection, defn: SegmentDefinition, as_of: date, limit: int | None = None
) -> sa.Select:
    """The segment's customers, highest CLV first (personal columns unmasked: mask before showing)."""
    m = segment_members(selection, defn, as_of).subquery("m")
    c = customers
    stmt = (
        sa.select(
            m.c.customer_id,
            m.c.name,
            c.c.phone,
            c.c.id_number,
            m.c.branch_id,
            m.c.officer_id,
            m.c.town,
            m.c.occupation,
            m.c.birth_year,
            m.c.tier,
            m.c.rfm_segment,
            m.c.aum,
            m.c.p_alive,
            m.c.clv,
        )
        .select_from(m.join(c, c.c.customer_id == m.c.customer_id))
        .order_by(sa.func.coalesce(m.c.clv, -1.0).desc(), m.c.aum.desc(), m.c.customer_id)
    )
    return stmt.limit(limit) if limit is not None else stmt


@personal
def fetch_segment_customers(
    conn: sa.Connection,
    selection: Selection,
    defn: SegmentDefinition,
    as_of: date,
    limit: int | None = None,
) -> pl.DataFrame:
    """The segment's customers; the caller masks name, phone and id_number."""
    return frame(conn, select_segment_customers(selection, defn, as_of, limit))


def fetch_town_options(conn: sa.Connection, scope: Scope) -> pl.DataFrame:
    """Towns of the customers in scope, with counts."""
    return _options(conn, scope, customers.c.town)


def fetch_occupation_options(conn: sa.Connection, scope: Scope) -> pl.DataFrame:
    """Occupations of the customers in scope, with counts."""
    return _options(conn, scope, customers.c.occupation)


def _options(conn: sa.Connection, scope: Scope, col: sa.Column) -> pl.DataFrame:
    stmt = sa.select(col.label("value"), sa.func.count().label("customers")).where(col.is_not(None))
    stmt = apply_scope(stmt, scope, customers.c.branch_id, customers.c.officer_id)
    return frame(conn, stmt.group_by(col).order_by(col))


def count_signal_rows(conn: sa.Connection) -> int:
    """Rows in the signals mart (0 until it has been refreshed)."""
    return int(conn.execute(sa.select(sa.func.count()).select_from(customer_signals)).scalar_one())


def count_value_rows(conn: sa.Connection) -> int:
    """Rows in the value mart (0 until it has been refreshed)."""
    return int(conn.execute(sa.select(sa.func.count()).select_from(customer_value)).scalar_one())


# --- saved segments ------------------------------------------------------------------------------


def segment_exists(conn: sa.Connection, owner: str, name: str) -> bool:
    """True when the owner already has a segment called ``name``."""
    s = saved_segments
    stmt = sa.select(s.c.segment_id).where(s.c.owner == owner, s.c.name == name.strip())
    return conn.execute(stmt).first() is not None


def save_segment(
    conn: sa.Connection,
    owner: str,
    name: str,
    defn: SegmentDefinition,
    now: datetime,
    *,
    replace: bool = False,
) -> None:
    """Save the owner's segment called ``name``; an existing one only with ``replace`` (the
    caller asked the user first). The caller commits."""
    name = name.strip()
    if not name or len(name) > 80 or any(unicodedata.category(ch) == "Cc" for ch in name):
        raise InvalidFilter("a segment name needs 1 to 80 characters, without control characters")
    s = saved_segments
    if not replace and segment_exists(conn, owner, name):
        raise SegmentExists(name)
    conn.execute(s.delete().where(s.c.owner == owner, s.c.name == name))
    conn.execute(
        s.insert().values(name=name, owner=owner, definition=defn.to_json(), created_at=now)
    )


def fetch_saved_segments(conn: sa.Connection, owner: str) -> pl.DataFrame:
    """The owner's saved segments, by name."""
    s = saved_segments
    stmt = sa.select(s.c.segment_id, s.c.name, s.c.owner, s.c.definition, s.c.created_at)
    return frame(conn, stmt.where(s.c.owner == owner).order_by(s.c.name))


def delete_segment(conn: sa.Connection, owner: str, name: str) -> int:
    """Delete the owner's segment called ``name``; returns rows deleted (the caller commits)."""
    s = saved_segments
    return conn.execute(s.delete().where(s.c.owner == owner, s.c.name == name)).rowcount


def record_segment_action(
    conn: sa.Connection,
    username: str,
    action: str,
    target: str,
    defn: SegmentDefinition,
    now: datetime,
) -> None:
    """Write an audit entry (export of a target list, saved segment); the caller commits."""
    if action not in ("export", "save_segment", "replace_segment", "delete_segment"):
        raise InvalidFilter(f"unknown segment action {action!r}")
    audit.record(conn, username, action, target=target, detail=defn.to_json(), at=now)
