"""The data-quality report of the loaded tables: rows, missing values by field, newest date, orphans.

Shown after each import (for the table imported) and on demand (``python -m data_access quality``);
everything is counted in the database, one query per table.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime

import sqlalchemy as sa

from data_access.importing.rules import EVENT_DATES, IMPORT_ORDER, TABLE_RULES
from data_access.schema import customers, footprints, officers


@dataclass
class TableQuality:
    """What one table holds and what is missing from it."""

    table: str
    rows: int
    missing: dict[str, int] = field(default_factory=dict)  # nullable column -> rows without it
    newest: date | None = None  # newest event date
    orphans: dict[str, int] = field(default_factory=dict)  # check -> rows


def _orphans(conn: sa.Connection, table: str) -> dict[str, int]:
    """Rows that point nowhere: customers without a (known) officer, footprints without a customer."""
    found: dict[str, int] = {}
    if table == "customers":
        known = sa.exists().where(officers.c.officer_id == customers.c.officer_id)
        found["customers_without_officer"] = conn.execute(
            sa.select(sa.func.count())
            .select_from(customers)
            .where(sa.or_(customers.c.officer_id.is_(None), ~known))
        ).scalar_one()
    if table == "footprints":
        known = sa.exists().where(customers.c.customer_id == footprints.c.customer_id)
        found["footprints_without_customer"] = conn.execute(
            sa.select(sa.func.count()).select_from(footprints).where(~known)
        ).scalar_one()
    return found


def table_quality(conn: sa.Connection, table: str) -> TableQuality:
    """Rows, missing values per nullable column, newest event date and orphans of one table."""
    t = TABLE_RULES[table].table
    nullable = [c for c in t.columns if c.nullable]
    events = [c for c in t.columns if c.name in EVENT_DATES]
    cols = [sa.func.count().label("rows")]
    cols += [(sa.func.count() - sa.func.count(c)).label(f"m_{c.name}") for c in nullable]
    cols += [sa.func.max(c).label(f"n_{c.name}") for c in events]
    row = conn.execute(sa.select(*cols).select_from(t)).one()._mapping
    newest: date | None = None
    for c in events:
        value = row[f"n_{c.name}"]
        if isinstance(value, datetime):
            value = value.date()
        if value is not None and (newest is None or value > newest):
            newest = value
    return TableQuality(
        table=table,
        rows=int(row["rows"]),
        missing={c.name: int(row[f"m_{c.name}"]) for c in nullable if row[f"m_{c.name}"]},
        newest=newest,
        orphans=_orphans(conn, table),
    )


def quality_report(engine: sa.Engine, tables: list[str] | None = None) -> list[TableQuality]:
    """The report for ``tables`` (default: every importable table), in import order."""
    with engine.connect() as conn:
        return [table_quality(conn, name) for name in (tables or IMPORT_ORDER)]


def format_report(report: list[TableQuality]) -> str:
    """The report as plain text lines (the CLI prints it)."""
    lines = []
    for q in report:
        newest = f", newest {q.newest.isoformat()}" if q.newest else ""
        lines.append(f"{q.table}: {q.rows:,} rows{newest}")
        for col, n in sorted(q.missing.items(), key=lambda kv: -kv[1]):
            lines.append(f"  missing {col}: {n:,} ({n / max(q.rows, 1):.1%})")
        for check, n in q.orphans.items():
            lines.append(f"  {check.replace('_', ' ')}: {n:,}")
    return "\n".join(lines)
