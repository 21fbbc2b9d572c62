"""One customer, as an officer sees it: profile, products, balances, footprints, marts; search; record.

Every fetch takes the asker's ``Scope``: a customer outside it gives empty frames (``None`` for the
mart rows), exactly as an unknown id does. Footprints come aggregated by week, or as the last few
rows only: nothing here returns a customer's whole history row by row.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from typing import Any

import polars as pl
import sqlalchemy as sa

from data_access.errors import InvalidImport
from data_access.filters import Scope, apply_scope
from data_access.identifiers import clean_text, is_id_like, parse_id
from data_access.masking import personal
from data_access.queries._frames import frame
from data_access.queries._sql import MONTH_AVERAGES
from data_access.queries.quality import INFLOW_LOOKBACK_DAYS, NOT_INCOME_KINDS
from data_access.schema import (
    balance_snapshots,
    branches,
    customer_loyalty,
    customer_signals,
    customer_value,
    customers,
    external_credit_limits,
    footprints,
    loan_applications,
    officers,
    product_holdings,
    soft_footprints,
)
from data_access.selection import Selection, restrict_table
from data_access.soft_entry import check_soft_footprint

SEARCH_SCHEMA = {
    "customer_id": pl.Int64,
    "name": pl.String,
    "phone": pl.String,
    "town": pl.String,
    "branch_id": pl.Int64,
    "officer_id": pl.Int64,
    "tier": pl.String,
    "aum": pl.Float64,
    "match": pl.Int64,
}

_ONE_DAY = timedelta(days=1)
_ID_COLUMNS = ("customer_id", "branch_id", "officer_id")


def _details(table: sa.Table, *leave_out: str) -> list[sa.Column]:
    """The columns of ``table`` but those saying whose row it is (customer, branch, officer) and
    ``leave_out``, in the table's order."""
    return [col for col in table.c if col.key not in (*_ID_COLUMNS, *leave_out)]


def visible(scope: Scope, customer_id: int) -> sa.ColumnElement[bool]:
    """True when ``customer_id`` exists and the scope may see it (a correlated-free EXISTS)."""
    stmt = sa.select(customers.c.customer_id).where(customers.c.customer_id == customer_id)
    return apply_scope(stmt, scope, customers.c.branch_id, customers.c.officer_id).exists()


def home_branch(conn: sa.Connection, scope: Scope, customer_id: int) -> int | None:
    """The customer's branch; None when unknown or out of ``scope``."""
    c = customers.c
    stmt = sa.select(c.branch_id).where(c.customer_id == customer_id)
    return conn.execute(apply_scope(stmt, scope, c.branch_id, c.officer_id)).scalar_one_or_none()


@personal
def fetch_profile(conn: sa.Connection, scope: Scope, customer_id: int) -> pl.DataFrame:
    """The customer's profile with branch and officer names (0 rows when unknown or out of scope)."""
    c = customers.c
    stmt = (
        sa.select(
            c.customer_id,
            c.branch_id,
            branches.c.name.label("branch_name"),
            branches.c.name_en.label("branch_name_en"),
            c.officer_id,
            officers.c.name.label("officer_name"),
            *_details(customers),
        )
        .select_from(
            customers.join(branches, branches.c.branch_id == c.branch_id).outerjoin(
                officers, officers.c.officer_id == c.officer_id
            )
        )
        .where(c.customer_id == customer_id)
    )
    return frame(conn, apply_scope(stmt, scope, c.branch_id, c.officer_id))


def fetch_holdings(conn: sa.Connection, scope: Scope, customer_id: int) -> pl.DataFrame:
    """Every product the customer has held (closed ones with closed_on), newest first."""
    h = product_holdings.c
    stmt = (
        sa.select(h.product, h.opened_on, h.closed_on, h.balance, h.credit_limit)
        .where(h.customer_id == customer_id, visible(scope, customer_id))
        .order_by(h.opened_on.desc(), h.product)
    )
    return frame(conn, stmt)


def fetch_monthly_balances(
    conn: sa.Connection, scope: Scope, customer_id: int, since: date | None = None
) -> pl.DataFrame:
    """Month-average balances and AUM (demand + time + wealth), oldest month first."""
    b = balance_snapshots.c
    aum = (b.demand_avg + b.time_avg + b.wealth_avg).label("aum")
    stmt = sa.select(b.month, *(b[k] for k in MONTH_AVERAGES), aum).where(
        b.customer_id == customer_id, visible(scope, customer_id)
    )
    if since is not None:
        stmt = stmt.where(b.month >= since)
    return frame(conn, stmt.order_by(b.month))


def fetch_weekly_footprints(
    conn: sa.Connection, scope: Scope, customer_id: int, start: date, end: date
) -> pl.DataFrame:
    """Count and amount of footprints per week (Monday) × kind × channel × direction, start..end."""
    f = footprints.c
    week = sa.cast(sa.func.date_trunc("week", f.occurred_at), sa.Date).label("week_start")
    stmt = (
        sa.select(
            week,
            f.kind,
            f.channel,
            f.direction,
            sa.func.count().label("n"),
            sa.func.sum(f.amount).label("amount"),
        )
        .where(
            f.customer_id == customer_id,
            f.occurred_at >= datetime.combine(start, datetime.min.time()),
            f.occurred_at < datetime.combine(end, datetime.min.time()) + _ONE_DAY,
            visible(scope, customer_id),
        )
        .group_by(week, f.kind, f.channel, f.direction)
        .order_by(week, f.kind, f.channel, f.direction)
    )
    return frame(conn, stmt)


def fetch_recent_footprints(
    conn: sa.Connection, scope: Scope, customer_id: int, limit: int = 20, until: date | None = None
) -> pl.DataFrame:
    """The last ``limit`` hard footprints (newest first), up to the end of ``until`` when given."""
    f = footprints.c
    stmt = sa.select(*_details(footprints, "footprint_id", "self_initiated")).where(
        f.customer_id == customer_id, visible(scope, customer_id)
    )
    if until is not None:
        stmt = stmt.where(f.occurred_at < datetime.combine(until, datetime.min.time()) + _ONE_DAY)
    stmt = stmt.order_by(f.occurred_at.desc(), f.footprint_id.desc()).limit(int(limit))
    return frame(conn, stmt)


def fetch_soft_footprints(
    conn: sa.Connection, scope: Scope, customer_id: int, limit: int = 100
) -> pl.DataFrame:
    """Soft footprints recorded for the customer (newest first) with the recording officer's name."""
    s = soft_footprints.c
    stmt = (
        sa.select(
            *_details(soft_footprints),
            s.officer_id,
            officers.c.name.label("officer_name"),
        )
        .select_from(soft_footprints.outerjoin(officers, officers.c.officer_id == s.officer_id))
        .where(s.customer_id == customer_id, visible(scope, customer_id))
        .order_by(s.captured_at.desc(), s.soft_id.desc())
        .limit(int(limit))
    )
    return frame(conn, stmt)


def fetch_external_limits(conn: sa.Connection, scope: Scope, customer_id: int) -> pl.DataFrame:
    """Internet-platform credit limits the customer consented to show (never the refused ones)."""
    e = external_credit_limits.c
    stmt = (
        sa.select(e.platform, e.credit_limit, e.as_of)
        .where(e.customer_id == customer_id, e.consent.is_(True), visible(scope, customer_id))
        .order_by(e.as_of.desc(), e.platform)
    )
    return frame(conn, stmt)


def fetch_loan_applications(conn: sa.Connection, scope: Scope, customer_id: int) -> pl.DataFrame:
    """The customer's loan applications with what was declared, newest first."""
    a = loan_applications.c
    stmt = (
        sa.select(*_details(loan_applications))
        .where(a.customer_id == customer_id, visible(scope, customer_id))
        .order_by(a.applied_on.desc(), a.application_id.desc())
    )
    return frame(conn, stmt)


def fetch_application_checks(
    conn: sa.Connection, scope: Scope, customer_id: int, until: date
) -> pl.DataFrame:
    """The customer's loan applications with what the footprints say against the declarations:
    income-like inflows in the year before each application, and footprints at the declared place
    (up to ``until``). Same evidence as the bank-wide check in data_access.queries.quality."""
    a, f = loan_applications.c, footprints.c
    applied_ts = sa.cast(a.applied_on, sa.DateTime)
    since = applied_ts - sa.bindparam(
        "lookback", timedelta(days=INFLOW_LOOKBACK_DAYS), type_=sa.Interval
    )
    income = sa.and_(f.direction == "in", f.kind.not_in(NOT_INCOME_KINDS))
    in_year = sa.and_(income, f.occurred_at >= since, f.occurred_at < applied_ts)
    until_ts = datetime.combine(until, datetime.min.time()) + _ONE_DAY
    application = (a.application_id, a.customer_id, a.applied_on, a.product, a.amount, a.status)
    declared = (a.declared_income, a.declared_business, a.declared_place)
    stmt = (
        sa.select(
            *application,
            *declared,
            sa.func.coalesce(sa.func.sum(f.amount).filter(in_year), 0.0).label("observed_inflow"),
            sa.func.count(f.footprint_id).filter(in_year).label("inflow_count"),
            sa.func.count(f.footprint_id)
            .filter(f.place == a.declared_place)
            .label("declared_place_seen"),
        )
        .select_from(
            loan_applications.outerjoin(
                footprints,
                sa.and_(
                    f.customer_id == a.customer_id,
                    f.customer_id == customer_id,
                    f.occurred_at < until_ts,
                ),
            )
        )
        .where(a.customer_id == customer_id, visible(scope, customer_id))
        .group_by(*application, *declared)
        .order_by(a.applied_on.desc(), a.application_id.desc())
    )
    return frame(conn, stmt)


def fetch_places(conn: sa.Connection, scope: Scope, customer_id: int, until: date) -> pl.DataFrame:
    """Where the customer's footprints were left (up to ``until``), most often first."""
    f = footprints.c
    until_ts = datetime.combine(until, datetime.min.time()) + _ONE_DAY
    stmt = (
        sa.select(f.customer_id, f.place, sa.func.count().label("n"))
        .where(
            f.customer_id == customer_id,
            f.place.is_not(None),
            f.occurred_at < until_ts,
            visible(scope, customer_id),
        )
        .group_by(f.customer_id, f.place)
        .order_by(sa.desc("n"), f.place)
    )
    return frame(conn, stmt)


MARTS = {"value": customer_value, "loyalty": customer_loyalty, "signals": customer_signals}


def fetch_marts(
    conn: sa.Connection, scope: Scope, customer_id: int
) -> dict[str, dict[str, Any] | None]:
    """The customer's row of each mart (value, loyalty, signals); None where not computed yet."""
    out: dict[str, dict[str, Any] | None] = {}
    for name, table in MARTS.items():
        stmt = sa.select(table).where(
            table.c.customer_id == customer_id, visible(scope, customer_id)
        )
        row = conn.execute(stmt).mappings().first()
        out[name] = dict(row) if row is not None else None
    return out


def _like_escape(text: str) -> str:
    return text.replace("!", "!!").replace("%", "!%").replace("_", "!_")


# How a customer matched, best first: the page says it, and the rank orders the list.
MATCH_EXACT, MATCH_PREFIX, MATCH_CONTAINS = 0, 1, 2
SEARCH_PAGE_SIZES = (10, 20, 50)
_ID_NUMBER = re.compile(r"\d{15}|\d{17}[\dX]")  # resident ID numbers: 15 digits, or 18 (…X)


@dataclass(frozen=True)
class CustomerSearch:
    """What a search matches on, read once from the typed text (see ``read_search``)."""

    text: str  # cleaned: what is compared
    number: int | None = None  # a customer number to compare (exact, prefix, contains)
    name: str | None = None  # a name, or a masked name's visible start (``张*`` → prefix 张)
    name_prefix_only: bool = False
    phone: str | None = None  # the last 4 digits, or a whole number
    id_number: str | None = None

    @property
    def empty(self) -> bool:
        """True when nothing can match (blank text, only stars, no right to what was typed)."""
        return self.number is None and not self.name and not self.phone and not self.id_number


def looks_like_id_number(text: str) -> bool:
    """True when ``text`` has the shape of a resident ID number (15 digits, or 17 and a check)."""
    return _ID_NUMBER.fullmatch(clean_text(text).upper()) is not None


def read_search(scope: Scope, text: str) -> CustomerSearch:
    """What ``text`` may be matched on for ``scope``: digits are a customer number (and, when
    ``scope.find_by`` allows, a phone's end or an ID number); anything else is a name."""
    text = clean_text(text)
    upper = text.upper()
    if is_id_like(text) or _ID_NUMBER.fullmatch(upper):
        leading_zero = text.startswith("0")  # no customer number starts with 0
        number = parse_id(text) if is_id_like(text) and not leading_zero else None
        found = CustomerSearch(upper, number=number)
        if "phone" in scope.find_by and is_id_like(text) and (len(text) == 4 or len(text) >= 7):
            found = replace(found, phone=text)
        if "id_number" in scope.find_by and _ID_NUMBER.fullmatch(upper):
            found = replace(found, id_number=upper)
        return found
    stripped = text.rstrip("*").strip()
    return CustomerSearch(text, name=stripped or None, name_prefix_only=stripped != text)


def _search_where(search: CustomerSearch) -> tuple[sa.ColumnElement[bool], sa.ColumnElement[int]]:
    """The condition that finds the customers, and each one's rank (MATCH_*)."""
    c = customers.c
    exact: list[sa.ColumnElement[bool]] = []
    prefix: list[sa.ColumnElement[bool]] = []
    contains: list[sa.ColumnElement[bool]] = []
    if search.number is not None:
        digits = str(search.number)
        number = sa.cast(c.customer_id, sa.String)
        exact.append(c.customer_id == search.number)
        prefix.append(number.like(digits + "%"))
        contains.append(number.like("%" + digits + "%"))
    if search.name:
        pattern = _like_escape(search.name)
        prefix.append(c.name.like(pattern + "%", escape="!"))
        if not search.name_prefix_only:
            exact.append(c.name == search.name)
            contains.append(c.name.like("%" + pattern + "%", escape="!"))
    if search.phone:
        if len(search.phone) == 4:  # the last 4 digits: what a customer says at the counter
            prefix.append(c.phone.like("%" + search.phone))
        else:
            exact.append(c.phone == search.phone)
    if search.id_number:
        exact.append(sa.func.upper(c.id_number) == search.id_number)
    whens = [(sa.or_(*conds), rank) for conds, rank in
             ((exact, MATCH_EXACT), (prefix, MATCH_PREFIX)) if conds]  # fmt: skip
    rank = sa.case(*whens, else_=MATCH_CONTAINS) if whens else sa.literal(MATCH_CONTAINS)
    return sa.or_(*exact, *prefix, *contains), rank


def _search_base(
    selection: Selection, search: CustomerSearch
) -> tuple[sa.Select, sa.ColumnElement[int]] | None:
    if search.empty:
        return None
    c = customers.c
    cond, rank = _search_where(search)
    stmt = sa.select(c.customer_id).where(cond)
    stmt = restrict_table(stmt, selection, customers)
    return stmt, rank


def select_customer_search(
    selection: Selection,
    text: str,
    *,
    page: int = 1,
    page_size: int = 20,
) -> sa.Select | None:
    """One page of the selection's customers (scope and picks) matching ``text``, best match
    first: exact customer number / name / phone / ID number, then prefix (and a phone's last 4
    digits), then contains; ties by AUM (largest first), then name. None when nothing can match."""
    base = _search_base(selection, read_search(selection.scope, text))
    if base is None:
        return None
    stmt, rank = base
    c, v = customers.c, customer_value.c
    aum = v.aum.label("aum")
    stmt = (
        stmt.with_only_columns(
            c.customer_id,
            c.name,
            c.phone,
            c.town,
            c.branch_id,
            c.officer_id,
            v.tier,
            aum,
            rank.label("match"),
        )
        .select_from(customers.outerjoin(customer_value, v.customer_id == c.customer_id))
        .order_by(rank, sa.case((v.aum.is_(None), 1), else_=0), v.aum.desc(), c.name, c.customer_id)
    )
    size = max(1, int(page_size))
    return stmt.limit(size).offset((max(1, int(page)) - 1) * size)


def select_customer_search_count(selection: Selection, text: str) -> sa.Select | None:
    """How many customers ``select_customer_search`` pages through (None: nothing can match)."""
    base = _search_base(selection, read_search(selection.scope, text))
    if base is None:
        return None
    return base[0].with_only_columns(sa.func.count()).select_from(customers)


@personal
def search_customers(
    conn: sa.Connection,
    selection: Selection,
    text: str,
    *,
    page: int = 1,
    page_size: int = 20,
) -> pl.DataFrame:
    """One page of the selection's customers matching ``text`` (number, name, phone, ID), best
    first."""
    stmt = select_customer_search(selection, text, page=page, page_size=page_size)
    if stmt is None:
        return pl.DataFrame(schema=SEARCH_SCHEMA)
    return frame(conn, stmt, SEARCH_SCHEMA)


def count_customer_search(conn: sa.Connection, selection: Selection, text: str) -> int:
    """How many of the selection's customers match ``text`` (what ``search_customers`` pages
    through)."""
    stmt = select_customer_search_count(selection, text)
    return 0 if stmt is None else int(conn.execute(stmt).scalar_one())


# --- recording a soft footprint ----------------------------------------------------------------


@dataclass(frozen=True)
class SoftFootprintEntry:
    """What an officer records: the customer, the kind of observation and its details."""

    customer_id: int
    kind: str
    captured_at: datetime
    source: str = "visit"
    confidence: float = 0.8
    officer_id: int | None = None
    fuel_grade: int | None = None
    litres: float | None = None
    amount: float | None = None
    place: str | None = None
    detail: str | None = None


def validate_soft_footprint(entry: SoftFootprintEntry, today: date | None = None) -> None:
    """Raise InvalidSoftFootprint (an InvalidImport) naming every problem of the entry."""
    check_soft_footprint(entry, today or date.today())


def insert_soft_footprint(engine: sa.Engine, scope: Scope, entry: SoftFootprintEntry) -> int:
    """Validate and record one soft footprint in one transaction; returns its soft_id."""
    validate_soft_footprint(entry)
    with engine.begin() as conn:
        return insert_soft_row(conn, scope, entry)


def insert_soft_row(conn: sa.Connection, scope: Scope, entry: SoftFootprintEntry) -> int:
    """Insert a validated entry inside the caller's transaction; returns its soft_id."""
    branch_id = home_branch(conn, scope, entry.customer_id)
    if branch_id is None:
        raise InvalidImport(f"customer {entry.customer_id} is not in your book or branch")
    values = {
        "customer_id": entry.customer_id,
        "officer_id": entry.officer_id,
        "branch_id": branch_id,
        "captured_at": entry.captured_at,
        "kind": entry.kind,
        "source": entry.source,
        "fuel_grade": entry.fuel_grade,
        "litres": entry.litres,
        "amount": entry.amount,
        "place": entry.place or None,
        "detail": (entry.detail or "").strip() or None,
        "confidence": float(entry.confidence),
    }
    result = conn.execute(
        soft_footprints.insert().values(**values).returning(soft_footprints.c.soft_id)
    )
    return int(result.scalar_one())
