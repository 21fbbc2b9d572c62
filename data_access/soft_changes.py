"""Correcting or withdrawing a soft footprint: only one's own, in one transaction, audited.

A withdrawn entry is deleted (so no page, mart or signal counts it again) and the audit log keeps
what it said, who withdrew it and when; a correction replaces the entry by a new one and the
audit entry links the two.
"""

from __future__ import annotations

import json
from datetime import datetime

import sqlalchemy as sa

from data_access import audit
from data_access.errors import InvalidImport
from data_access.filters import Scope
from data_access.queries.customer import (
    SoftFootprintEntry,
    insert_soft_row,
    validate_soft_footprint,
    visible,
)
from data_access.schema import soft_footprints


class NotYours(InvalidImport):
    """The entry was recorded by another officer, or is outside the scope."""


def _own_row(conn: sa.Connection, scope: Scope, soft_id: int) -> dict[str, object]:
    s = soft_footprints.c
    row = conn.execute(sa.select(soft_footprints).where(s.soft_id == soft_id)).mappings().first()
    if row is None:
        raise NotYours(f"soft footprint {soft_id} does not exist")
    in_scope = conn.execute(
        sa.select(sa.literal(1)).where(visible(scope, int(row["customer_id"])))
    ).first()
    # an officer changes only what they recorded; a branch or bank manager anything in scope
    if in_scope is None or (scope.officer_id is not None and row["officer_id"] != scope.officer_id):
        raise NotYours(f"soft footprint {soft_id} was not recorded by you")
    return dict(row)


def _audit(conn: sa.Connection, username: str, action: str, soft_id: int, detail: dict) -> None:
    audit.record(
        conn,
        username,
        action,
        target=f"soft_footprint {soft_id}",
        detail=json.dumps(detail, ensure_ascii=False, default=str),
        at=datetime.now(),
    )


def withdraw_soft_footprint(engine: sa.Engine, scope: Scope, soft_id: int, username: str) -> None:
    """Delete one's own soft footprint; the audit log keeps what it said."""
    with engine.begin() as conn:
        row = _own_row(conn, scope, soft_id)
        conn.execute(soft_footprints.delete().where(soft_footprints.c.soft_id == soft_id))
        _audit(conn, username, "withdraw_soft", soft_id, {"withdrawn": row})


def correct_soft_footprint(
    engine: sa.Engine, scope: Scope, soft_id: int, entry: SoftFootprintEntry, username: str
) -> int:
    """Replace one's own soft footprint by a corrected entry (validated first); its new soft_id."""
    validate_soft_footprint(entry)
    with engine.begin() as conn:
        row = _own_row(conn, scope, soft_id)
        if row["customer_id"] != entry.customer_id:
            raise NotYours("a correction stays with the same customer")
        conn.execute(soft_footprints.delete().where(soft_footprints.c.soft_id == soft_id))
        new_id = insert_soft_row(conn, scope, entry)
        _audit(conn, username, "correct_soft", soft_id, {"was": row, "now": new_id})
    return new_id
