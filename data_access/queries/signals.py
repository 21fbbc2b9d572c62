"""Per-customer footprint measures and signals, compiled from the rules file to SQLAlchemy Core.

``select_signal_features`` turns the ``[[measures]]`` of metrics/rules.toml into one grouped
subquery per kind of footprint (transactions, soft footprints, holdings, internet-platform
limits), joined onto the customers in scope; ``select_signal_flags`` adds the ``[[signals]]`` as
Boolean columns, which is what the signals mart stores. Plain Core (CASE, SUM, MAX, COUNT
DISTINCT, comparisons with bound timestamps; decay as a CASE over weeks of age), so the same
statement runs on DuckDB, PostgreSQL and Spark SQL. ``metrics.footprint_rules`` evaluates the same
rules in polars on one customer's rows; tests hold the two paths equal.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, timedelta
from functools import cached_property

import polars as pl
import sqlalchemy as sa

from data_access.errors import DataUnavailable
from data_access.filters import Scope, apply_scope
from data_access.masking import personal
from data_access.queries._frames import frame
from data_access.queries._sql import count_if, ts
from data_access.schema import (
    CHANNELS,
    COUNTERPARTY_TYPES,
    FOOTPRINT_KINDS,
    PLATFORMS,
    PRODUCTS,
    SOFT_KINDS,
    customer_signals,
    customers,
    external_credit_limits,
    footprints,
    product_holdings,
    soft_footprints,
)
from data_access.selection import Selection, restrict, restrict_table
from metrics.footprint_rules import (
    SOURCES,
    Condition,
    FootprintRules,
    Measure,
    RulesError,
    compute_measures,
    decay_steps,
    load_rules,
    threshold,
    window_start,
)
from metrics.footprint_rules import (
    months_back as months_back,
)
from metrics.standards import Standards

TABLES: dict[str, sa.Table] = {
    "hard": footprints,
    "soft": soft_footprints,
    "holding": product_holdings,
    "external": external_credit_limits,
}

# The code lists a rule's filter values must come from (other columns are free text).
CODE_LISTS: dict[tuple[str, str], tuple[str, ...]] = {
    ("hard", "kind"): FOOTPRINT_KINDS,
    ("hard", "direction"): ("in", "out"),
    ("hard", "channel"): CHANNELS,
    ("hard", "counterparty_type"): COUNTERPARTY_TYPES,
    ("soft", "kind"): SOFT_KINDS,
    ("holding", "product"): PRODUCTS,
    ("external", "platform"): PLATFORMS,
}
# Offers may propose an action that is not a product.
OFFER_ACTIONS = ("retention_call",)

_ID_SCHEMA: dict[str, pl.DataType] = {
    "customer_id": pl.Int64,
    "branch_id": pl.Int64,
    "officer_id": pl.Int64,
}


def check_rule_codes(rules: FootprintRules) -> None:
    """Raise RulesError naming the rule whose filter or offer uses a code the bank does not have."""
    for m in rules.measures:
        for f in m.where:
            known = CODE_LISTS.get((m.source, f.column))
            bad = [v for v in f.values if known is not None and v not in known]
            if bad:
                raise RulesError(f"measures.{m.code}.where.{f.column}: unknown codes {bad}")
    for o in rules.offers:
        if o.product not in PRODUCTS + OFFER_ACTIONS:
            raise RulesError(f"offers.{o.code}.product: unknown product {o.product!r}")
        bad = [p for p in o.not_held if p not in PRODUCTS]
        if bad:
            raise RulesError(f"offers.{o.code}.not_held: unknown products {bad}")


def feature_schema(rules: FootprintRules) -> dict[str, pl.DataType]:
    """Columns of a features frame: ids, then one per measure."""
    return _ID_SCHEMA | {m.code: m.dtype for m in rules.measures}


def flag_schema(rules: FootprintRules) -> dict[str, pl.DataType]:
    """Columns of a flags frame: ids, then one Boolean per signal."""
    return _ID_SCHEMA | {s.code: pl.Boolean() for s in rules.signals}


def _bound(table: sa.Table, source: str, day: date) -> sa.ColumnElement[bool]:
    """The time column at or after ``day`` (a timestamp compares with midnight)."""
    col = table.c[SOURCES[source].time]
    return col >= (ts(day) if isinstance(col.type, sa.DateTime) else day)


def _row_condition(m: Measure, table: sa.Table, as_of: date) -> sa.ColumnElement[bool] | None:
    parts: list[sa.ColumnElement[bool]] = []
    for f in m.where:
        col = table.c[f.column]
        if f.values:
            parts.append(col.in_(list(f.values)))
        if f.lo is not None:
            parts.append(col >= f.lo)
        if f.hi is not None:
            parts.append(col <= f.hi)
    start = window_start(m, as_of)
    if start is not None:
        parts.append(_bound(table, m.source, start))
    return sa.and_(*parts) if parts else None


def _decay(m: Measure, table: sa.Table, as_of: date) -> sa.ColumnElement:
    """The row's weight: 0.5 ** (whole weeks of age × 7 / half-life), by a CASE over weeks."""
    whens = [(_bound(table, m.source, first), w) for first, w in decay_steps(m, as_of)]
    return sa.case(*whens, else_=0.0)


def _aggregate(m: Measure, table: sa.Table, as_of: date) -> sa.ColumnElement:
    cond = _row_condition(m, table, as_of)
    if m.aggregate == "count":
        if m.half_life_days is None:
            return count_if(cond) if cond is not None else sa.func.count()
        return sa.func.sum(
            sa.case((cond if cond is not None else sa.true(), _decay(m, table, as_of)), else_=0.0)
        )
    field = table.c[str(m.field)]
    if m.aggregate == "sum":
        value = sa.cast(field, sa.Double)
        if m.half_life_days is not None:
            value = value * _decay(m, table, as_of)
        return sa.func.sum(sa.case((cond, value), else_=0.0) if cond is not None else value)
    if m.aggregate == "max":
        return sa.func.max(sa.case((cond, field)) if cond is not None else field)
    return sa.func.count(sa.distinct(sa.case((cond, field)) if cond is not None else field))


def _source_base(source: str, as_of: date, measures: list[Measure]) -> list[sa.ColumnElement]:
    """Rows every measure of a source reads (and a lower time bound when all are windowed)."""
    table = TABLES[source]
    c = table.c
    if source == "holding":
        where = [c.opened_on <= as_of, sa.or_(c.closed_on.is_(None), c.closed_on > as_of)]
    elif source == "external":
        where = [c.consent.is_(True), c.as_of <= as_of]
    else:
        where = [c[SOURCES[source].time] < ts(as_of + timedelta(days=1))]
    starts = [window_start(m, as_of) for m in measures]
    if all(s is not None for s in starts):
        where.append(_bound(table, source, min(s for s in starts if s is not None)))
    # a column every measure filters by a list: keep only the union of those values
    for col in SOURCES[source].columns:
        lists = [
            next((f.values for f in m.where if f.column == col and f.values), None)
            for m in measures
        ]
        if all(v is not None for v in lists):
            where.append(c[col].in_(sorted({v for vs in lists if vs for v in vs}, key=str)))
    return where


@dataclass(frozen=True)
class SignalQuery:
    """Whose signals, on which day, by which rules: the customers the ``selection``'s scope may see
    on ``as_of``, narrowed to its branches, officers and tiers and to ``customer_ids`` when given,
    measured by ``rules`` (the bank's rules file when None)."""

    selection: Selection
    as_of: date
    customer_ids: tuple[int, ...] = ()
    rules: FootprintRules | None = None

    @cached_property
    def rules_used(self) -> FootprintRules:
        """``rules``, or the bank's rules file when the query names none (read once a query)."""
        return self.rules or load_rules()


def select_signal_features(query: SignalQuery) -> sa.Select:
    """Every measure of the rules per customer of the query: customer_id, branch_id, officer_id,
    then one column per measure."""
    selection, as_of, customer_ids = query.selection, query.as_of, query.customer_ids
    rules = query.rules_used
    check_rule_codes(rules)
    c = customers.c
    joined: sa.FromClause = customers
    columns: list[sa.ColumnElement] = []
    subs: dict[str, sa.Subquery] = {}
    for source, table in TABLES.items():
        measures = [m for m in rules.measures if m.source == source]
        if not measures:
            continue
        stmt = sa.select(
            table.c.customer_id, *(_aggregate(m, table, as_of).label(m.code) for m in measures)
        ).where(*_source_base(source, as_of, measures))
        if customer_ids:
            stmt = stmt.where(table.c.customer_id.in_(customer_ids))
        branches = selection.branches_only()
        stmt = restrict(stmt, branches, branch_col=table.c.branch_id).group_by(table.c.customer_id)
        sub = stmt.subquery(f"m_{source}")
        subs[source] = sub
        joined = joined.outerjoin(sub, sub.c.customer_id == c.customer_id)
    for m in rules.measures:
        col = subs[m.source].c[m.code]
        zero = sa.literal(0.0) if m.dtype == pl.Float64 else sa.literal(0)
        columns.append((sa.func.coalesce(col, zero) if m.zero_when_none else col).label(m.code))
    stmt = (
        sa.select(c.customer_id, c.branch_id, c.officer_id, *columns)
        .select_from(joined)
        .where(c.opened_on <= as_of)
    )
    stmt = apply_scope(stmt, selection.scope, c.branch_id, c.officer_id)
    if customer_ids:
        stmt = stmt.where(c.customer_id.in_(customer_ids))
    else:  # a book (and the mart) holds the customers open on as_of, as every page counts them
        stmt = stmt.where(sa.or_(c.closed_on.is_(None), c.closed_on > as_of))
    # the scope is applied above, before the ids: the picks only here
    stmt = restrict_table(stmt, replace(selection, scope=Scope.bank()), customers)
    return stmt.order_by(c.customer_id)


_SQL_OPS = {
    ">": lambda a, b: a > b,
    ">=": lambda a, b: a >= b,
    "<": lambda a, b: a < b,
    "<=": lambda a, b: a <= b,
    "==": lambda a, b: a == b,
    "!=": lambda a, b: a != b,
}


def _condition_sql(
    cond: Condition, feat: sa.Subquery, standards: Standards
) -> sa.ColumnElement[bool]:
    left: sa.ColumnElement = feat.c[cond.measure]
    if cond.per is not None:
        per = feat.c[cond.per]
        left = sa.case((per > 0, sa.cast(left, sa.Double) / per))
    return _SQL_OPS[cond.op](left, threshold(cond, standards))


def select_signal_flags(standards: Standards, query: SignalQuery) -> sa.Select:
    """The signals of the rules per customer of the query, in SQL: customer_id, branch_id,
    officer_id, then one Boolean per signal (a null measure never makes a condition hold)."""
    feat = select_signal_features(query).subquery("feat")
    flags = []
    for s in query.rules_used.signals:
        parts = [_condition_sql(c, feat, standards) for c in s.when]
        combined = sa.or_(*parts) if s.match == "any" else sa.and_(*parts)
        flags.append(sa.case((combined, sa.true()), else_=sa.false()).label(s.code))
    return sa.select(feat.c.customer_id, feat.c.branch_id, feat.c.officer_id, *flags).order_by(
        feat.c.customer_id
    )


def fetch_signal_features(conn: sa.Connection, query: SignalQuery) -> pl.DataFrame:
    """Measures of the rules (``feature_schema``) per customer of the query, aggregated in the
    database."""
    schema = feature_schema(query.rules_used)
    return _frame_for(conn, select_signal_features(query), schema, query.customer_ids)


def fetch_signal_flags(
    conn: sa.Connection, standards: Standards, query: SignalQuery
) -> pl.DataFrame:
    """The signals of the rules (``flag_schema``) per customer of the query, computed in the
    database."""
    schema = flag_schema(query.rules_used)
    return _frame_for(conn, select_signal_flags(standards, query), schema, query.customer_ids)


def _frame_for(
    conn: sa.Connection,
    stmt: sa.Select,
    schema: dict[str, pl.DataType],
    customer_ids: tuple[int, ...],
) -> pl.DataFrame:
    """A few customers through ``frame``; a whole bank (or a large book) in bulk."""
    if customer_ids and len(customer_ids) <= 1_000:
        return frame(conn, stmt, schema)
    return _bulk_frame(conn, stmt, schema)


def _bulk_frame(
    conn: sa.Connection, stmt: sa.Select, schema: dict[str, pl.DataType]
) -> pl.DataFrame:
    """Like ``frame`` for a whole bank; on DuckDB the result comes as Arrow, with no Python rows.

    Measured at 1,000,000 customers on DuckDB: about 11 s against 29 s through ``frame``.
    """
    if conn.dialect.name != "duckdb":
        return frame(conn, stmt, schema)
    compiled = stmt.compile(dialect=conn.dialect, compile_kwargs={"render_postcompile": True})
    params = [compiled.params[k] for k in compiled.positiontup or ()]
    try:
        df = conn.connection.driver_connection.sql(str(compiled), params=params).pl()
    except conn.dialect.loaded_dbapi.Error as exc:
        raise DataUnavailable(f"query failed: {str(exc).splitlines()[0]}") from exc
    return df.select([pl.col(c).cast(t) for c, t in schema.items()])


# --- the signals mart, read for a book of customers ------------------------------------------------


def _mart_view(stmt: sa.Select, selection: Selection) -> sa.Select:
    return restrict_table(stmt, selection, customer_signals)


def fetch_signal_counts(
    conn: sa.Connection,
    selection: Selection,
    codes: tuple[str, ...],
) -> pl.DataFrame:
    """Customers with each signal on, from the signals mart: code, customers (one row per code);
    ``total`` customers in view is the row with code '' (0 everywhere when the mart is empty)."""
    unknown = [c for c in codes if c not in customer_signals.c]
    if unknown:
        raise ValueError(f"the signals mart has no columns {unknown}")
    m = customer_signals.c
    stmt = sa.select(
        sa.func.count().label("total"),
        *(sa.func.coalesce(count_if(m[c].is_(True)), 0).label(c) for c in codes),
    )
    row = conn.execute(_mart_view(stmt, selection)).mappings().one()
    return pl.DataFrame(
        {"code": ["", *codes], "customers": [row["total"], *(row[c] for c in codes)]},
        schema={"code": pl.String, "customers": pl.Int64},
    )


@personal
def fetch_signal_leads(
    conn: sa.Connection,
    selection: Selection,
    codes: tuple[str, ...],
    limit: int = 20,
) -> pl.DataFrame:
    """Customers in view with the most signals on: customer_id, name, phone, town, signals (how
    many), most first, then by id."""
    m = customer_signals.c
    n_on = sum((sa.case((m[c].is_(True), 1), else_=0) for c in codes), sa.literal(0))
    stmt = (
        sa.select(
            m.customer_id,
            customers.c.name,
            customers.c.phone,
            customers.c.town,
            n_on.label("signals"),
        )
        .select_from(customer_signals.join(customers, customers.c.customer_id == m.customer_id))
        .where(n_on > 0)
    )
    stmt = _mart_view(stmt, selection).order_by(n_on.desc(), m.customer_id).limit(int(limit))
    return frame(conn, stmt)


# --- raw footprint rows, for the polars path of the rules (one customer, or a test's bank) -------

_EXTRA = {"holding": ("closed_on",), "external": ("consent",)}


def fetch_rule_rows(
    conn: sa.Connection,
    scope: Scope,
    as_of: date,
    customer_ids: tuple[int, ...] = (),
    rules: FootprintRules | None = None,
) -> dict[str, pl.DataFrame]:
    """The footprint rows the rules read, by source, for customers the scope may see (all when no
    ids): customer_id, the time column and every column a rule may name."""
    rules = rules or load_rules()
    out: dict[str, pl.DataFrame] = {}
    for source, table in TABLES.items():
        measures = [m for m in rules.measures if m.source == source]
        spec = SOURCES[source]
        names = ("customer_id", spec.time, *_EXTRA.get(source, ()), *spec.columns)
        cols = list(dict.fromkeys(names))
        stmt = sa.select(*(table.c[n] for n in cols)).where(
            *(_source_base(source, as_of, measures) if measures else [sa.false()])
        )
        if customer_ids:
            stmt = stmt.where(table.c.customer_id.in_(customer_ids))
        stmt = restrict(stmt, Selection(scope).branches_only(), branch_col=table.c.branch_id)
        visible = apply_scope(
            sa.select(customers.c.customer_id), scope, customers.c.branch_id, customers.c.officer_id
        )
        stmt = stmt.where(table.c.customer_id.in_(visible))
        out[source] = frame(conn, stmt)
    return out


def fetch_customer_measures(
    conn: sa.Connection,
    scope: Scope,
    as_of: date,
    customer_id: int,
    rules: FootprintRules | None = None,
) -> pl.DataFrame:
    """One customer's measures by the polars path (rows fetched, rules applied in polars); 0 rows
    when the customer is unknown, opened after ``as_of`` or out of scope."""
    rules = rules or load_rules()
    c = customers.c
    stmt = sa.select(c.customer_id, c.branch_id, c.officer_id).where(
        c.customer_id == customer_id, c.opened_on <= as_of
    )
    ids = frame(conn, apply_scope(stmt, scope, c.branch_id, c.officer_id), _ID_SCHEMA)
    rows = fetch_rule_rows(conn, scope, as_of, (customer_id,), rules)
    return compute_measures(rules, ids, rows, as_of)
