"""Baseline: every table of the first release with migrations (frozen in migrations/baseline.json).

Creates only the tables that are missing: an empty database gets all of them, and a database
built by an earlier release (no version stamp; the activity marts perhaps never refreshed) gets
what it lacks and is then at this revision. Later schema changes are later revisions.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None

BASELINE = Path(__file__).resolve().parent.parent / "baseline.json"
_TYPES = {
    "Integer": sa.Integer,
    "BigInteger": sa.BigInteger,
    "SmallInteger": sa.SmallInteger,
    "Double": sa.Double,
    "Boolean": sa.Boolean,
    "Date": sa.Date,
    "DateTime": sa.DateTime,
    "Text": sa.Text,
}


def _type(spec: str) -> sa.types.TypeEngine:
    sized = re.fullmatch(r"String\((\d+)\)", spec)
    return sa.String(int(sized.group(1))) if sized else _TYPES[spec]()


def _column(spec: dict) -> sa.Column:
    args: list = [spec["name"], _type(spec["type"])]
    if "foreign_key" in spec:
        args.append(sa.ForeignKey(spec["foreign_key"]))
    if "sequence" in spec:
        seq = spec["sequence"]
        args.append(sa.Sequence(seq["name"], start=seq.get("start")))
    primary = spec.get("primary_key", False)
    return sa.Column(
        *args,
        primary_key=primary,
        nullable=spec.get("nullable", not primary),
        unique=spec.get("unique") or None,
        comment=spec.get("comment"),
        autoincrement=spec.get("autoincrement", "auto"),
    )


def baseline_metadata() -> sa.MetaData:
    """The baseline schema as SQLAlchemy tables, built from the frozen JSON."""
    md = sa.MetaData()
    for spec in json.loads(BASELINE.read_text(encoding="utf-8"))["tables"]:
        table = sa.Table(
            spec["name"],
            md,
            *(_column(c) for c in spec["columns"]),
            *(sa.UniqueConstraint(*u["columns"], name=u["name"]) for u in spec.get("unique", ())),
            comment=spec.get("comment"),
        )
        for ix in spec.get("indexes", ()):
            sa.Index(ix["name"], *(table.c[c] for c in ix["columns"]))
    return md


def upgrade() -> None:
    """Create the baseline tables (and their sequences and indexes) that do not exist yet."""
    baseline_metadata().create_all(op.get_bind(), checkfirst=True)


def downgrade() -> None:
    """Drop every baseline table."""
    baseline_metadata().drop_all(op.get_bind(), checkfirst=True)
