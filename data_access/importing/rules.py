"""What an imported row must satisfy, per table: natural key, code lists, references, ranges.

Derived from the schema and the code lists of ``metrics/codes.py`` (one fact, one place); only
what neither says (ranges, which dates are events, the few codes only an import checks) is here.
"""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa

from data_access import schema as s
from metrics import codes
from metrics.codes import OFFICER_ROLES as ROLES

# Tables in the order a bank loads them: a table's references come earlier in the list.
IMPORT_ORDER = (
    "branches",
    "officers",
    "customers",
    "product_holdings",
    "balance_snapshots",
    "branch_weekly_balances",
    "footprints",
    "soft_footprints",
    "external_credit_limits",
    "campaigns",
    "marketing_events",
    "officer_activities",
    "trainings",
    "training_attendance",
    "weekly_targets",
    "loan_applications",
)

LOAN_STATUSES = ("submitted", "approved", "rejected", "disbursed")
GENDERS = ("M", "F")
DIRECTIONS = ("in", "out")

# (table, column) -> the codes a value must be one of
_CODES: dict[tuple[str, str], tuple[str, ...]] = {
    ("footprints", "kind"): codes.FOOTPRINT_KINDS,
    ("footprints", "channel"): codes.CHANNELS,
    ("footprints", "counterparty_type"): codes.COUNTERPARTY_TYPES,
    ("footprints", "direction"): DIRECTIONS,
    ("product_holdings", "product"): codes.PRODUCTS,
    ("campaigns", "product"): codes.PRODUCTS,
    ("loan_applications", "product"): tuple(p for p in codes.PRODUCTS if p.startswith("loan_")),
    ("loan_applications", "status"): LOAN_STATUSES,
    ("external_credit_limits", "platform"): codes.PLATFORMS,
    ("marketing_events", "stage"): codes.FUNNEL_STAGES,
    ("officer_activities", "kind"): codes.ACTIVITY_KINDS,
    ("weekly_targets", "kpi"): codes.KPI_CODES,
    ("soft_footprints", "kind"): codes.SOFT_KINDS,
    ("soft_footprints", "source"): codes.SOFT_SOURCES,
    ("customers", "gender"): GENDERS,
    ("customers", "occupation"): codes.OCCUPATIONS,
    ("officers", "gender"): GENDERS,
    ("officers", "role"): ROLES,
}

# column name -> the table whose key it references
_REFERENCES = {
    "branch_id": "branches",
    "officer_id": "officers",
    "customer_id": "customers",
    "campaign_id": "campaigns",
    "training_id": "trainings",
}

# Largest believable value of an amount column (CNY); larger is a unit or typing mistake.
MAX_AMOUNT = 1e10
_RANGES: dict[tuple[str, str], tuple[float, float]] = {
    ("customers", "birth_year"): (1900, 2030),
    ("customers", "household_size"): (1, 30),
    ("soft_footprints", "confidence"): (0.0, 1.0),
    ("soft_footprints", "litres"): (0.0, 10_000.0),
    ("soft_footprints", "fuel_grade"): (80, 100),
    ("campaigns", "conversion_window_days"): (0, 3650),
}

# Dates that record events inside the data period; the others (birth, opening) may be older.
EVENT_DATES = {
    "occurred_at",
    "captured_at",
    "month",
    "week_start",
    "as_of",
    "applied_on",
    "decided_on",
    "held_on",
}


@dataclass(frozen=True)
class TableRules:
    """The checks for one importable table."""

    table: sa.Table
    key: tuple[str, ...]  # the natural key: same key = same row (update, not insert)
    references: dict[str, str]  # column -> referenced table

    @property
    def name(self) -> str:
        return self.table.name


def kind_of(column: sa.Column) -> str:
    """'int', 'number', 'date', 'datetime', 'bool' or 'text' for a schema column."""
    t = column.type
    if isinstance(t, sa.Boolean):
        return "bool"
    if isinstance(t, sa.DateTime):
        return "datetime"
    if isinstance(t, sa.Date):
        return "date"
    if isinstance(t, sa.Integer):
        return "int"
    if isinstance(t, sa.Float | sa.Numeric):
        return "number"
    return "text"


def code_list(table: str, column: str) -> tuple[str, ...] | None:
    """The codes a column's values must be one of, or None for free values."""
    return _CODES.get((table, column))


def value_range(table: str, column: sa.Column) -> tuple[float, float] | None:
    """(low, high) a number must lie in, or None."""
    if (table, column.name) in _RANGES:
        return _RANGES[(table, column.name)]
    if kind_of(column) == "number":
        return (0.0, MAX_AMOUNT)
    return None


def _rules(name: str) -> TableRules:
    table = s.metadata.tables[name]
    key = tuple(c.name for c in table.primary_key.columns)
    refs = {
        c.name: _REFERENCES[c.name]
        for c in table.columns
        if c.name in _REFERENCES and _REFERENCES[c.name] != name
    }
    return TableRules(table=table, key=key, references=refs)


TABLE_RULES: dict[str, TableRules] = {name: _rules(name) for name in IMPORT_ORDER}
