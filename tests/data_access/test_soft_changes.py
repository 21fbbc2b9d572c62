"""Correcting and withdrawing a soft footprint: one's own only, atomic, audited."""

from __future__ import annotations

import json
from datetime import datetime

import pytest
import sqlalchemy as sa

from data_access.engine import make_engine
from data_access.filters import Scope
from data_access.queries.customer import SoftFootprintEntry, insert_soft_footprint
from data_access.schema import audit_log, customers, soft_footprints
from data_access.soft_changes import NotYours, correct_soft_footprint, withdraw_soft_footprint
from data_access.soft_entry import InvalidSoftFootprint
from tests.conftest import duckdb_copy


@pytest.fixture(scope="module")
def bank(demo_engine: sa.Engine, tmp_path_factory: pytest.TempPathFactory) -> sa.Engine:
    """This module's own copy of the demo bank (the shared one must stay as generated)."""
    engine = make_engine(
        duckdb_copy(demo_engine, tmp_path_factory.mktemp("soft_changes") / "bank.duckdb")
    )
    yield engine
    engine.dispose()


@pytest.fixture
def entry(bank: sa.Engine) -> tuple[int, int, Scope]:
    """(soft_id, customer_id, the recorder's scope) of an entry recorded for this test."""
    demo_engine = bank
    with demo_engine.connect() as conn:
        cid, oid, bid = conn.execute(
            sa.select(customers.c.customer_id, customers.c.officer_id, customers.c.branch_id)
            .where(customers.c.officer_id.is_not(None))
            .order_by(customers.c.customer_id)
            .limit(1)
        ).one()
    soft_id = insert_soft_footprint(
        demo_engine,
        Scope.bank(),
        SoftFootprintEntry(
            customer_id=cid,
            kind="vehicle",
            captured_at=datetime(2026, 11, 20, 9),
            officer_id=oid,
            detail="red pickup",
        ),
    )
    return soft_id, cid, Scope.officer(bid, oid)


def _exists(engine: sa.Engine, soft_id: int) -> bool:
    with engine.connect() as conn:
        stmt = sa.select(soft_footprints.c.soft_id).where(soft_footprints.c.soft_id == soft_id)
        return conn.execute(stmt).first() is not None


def _audit(engine: sa.Engine, soft_id: int) -> list[tuple[str, str, dict]]:
    with engine.connect() as conn:
        rows = conn.execute(
            sa.select(audit_log.c.action, audit_log.c.username, audit_log.c.detail)
            .where(audit_log.c.target == f"soft_footprint {soft_id}")
            .order_by(audit_log.c.audit_id)
        ).all()
    return [(a, u, json.loads(d)) for a, u, d in rows]


def test_an_officer_withdraws_their_own_entry_and_the_audit_keeps_it(
    bank: sa.Engine, entry: tuple[int, int, Scope]
) -> None:
    soft_id, _, mine = entry
    withdraw_soft_footprint(bank, mine, soft_id, "officer-7")
    assert not _exists(bank, soft_id)
    [(action, user, detail)] = _audit(bank, soft_id)
    assert (action, user) == ("withdraw_soft", "officer-7")
    assert detail["withdrawn"]["detail"] == "red pickup"


def test_another_officers_entry_cannot_be_changed(
    bank: sa.Engine, entry: tuple[int, int, Scope]
) -> None:
    soft_id, cid, mine = entry
    other = Scope.officer(mine.branch_id, mine.officer_id + 1)
    with pytest.raises(NotYours):
        withdraw_soft_footprint(bank, other, soft_id, "someone")
    fixed = SoftFootprintEntry(cid, "vehicle", datetime(2026, 11, 20, 9), detail="blue")
    with pytest.raises(NotYours):
        correct_soft_footprint(bank, other, soft_id, fixed, "someone")
    assert _exists(bank, soft_id) and _audit(bank, soft_id) == []


def test_a_correction_replaces_the_entry_atomically(
    bank: sa.Engine, entry: tuple[int, int, Scope]
) -> None:
    soft_id, cid, mine = entry
    oid = mine.officer_id
    bad = SoftFootprintEntry(cid, "vehicle", datetime(2035, 1, 1), officer_id=oid, detail="x")
    with pytest.raises(InvalidSoftFootprint):
        correct_soft_footprint(bank, mine, soft_id, bad, "officer-7")
    assert _exists(bank, soft_id)  # a refused correction leaves the entry as it was
    good = SoftFootprintEntry(
        cid, "vehicle", datetime(2026, 11, 20, 9), officer_id=oid, detail="red pickup, 2024"
    )
    new_id = correct_soft_footprint(bank, mine, soft_id, good, "officer-7")
    assert not _exists(bank, soft_id) and _exists(bank, new_id)
    [(action, _, detail)] = _audit(bank, soft_id)
    assert action == "correct_soft" and detail["now"] == new_id
    assert detail["was"]["detail"] == "red pickup"
