"""The signals mart: refreshed for every customer, bulk-written, replaced atomically."""

from __future__ import annotations

import polars as pl
import pytest
import sqlalchemy as sa

from data_access.errors import DataUnavailable
from data_access.marts._bulk import replace_rows
from data_access.marts.signals import refresh_signals
from data_access.schema import customer_signals
from metrics.standards import load_standards
from tests.data_access.customer_seed import AS_OF, seed

STD = load_standards()


def _quiet(_: str, __: float) -> None:
    return None


def _mart(engine: sa.Engine) -> dict[int, dict]:
    with engine.connect() as conn:
        rows = conn.execute(sa.select(customer_signals)).mappings().all()
    return {r["customer_id"]: dict(r) for r in rows}


def test_refresh_writes_one_row_per_customer(empty_engine: sa.Engine) -> None:
    seed(empty_engine)
    assert refresh_signals(empty_engine, STD, AS_OF, _quiet) == 4
    mart = _mart(empty_engine)
    on = {cid: {c for c in (s.code for s in STD.signals) if row[c]} for cid, row in mart.items()}
    assert on == {
        1: {"car_owner", "merchant", "migrant_family", "internet_credit"},
        2: {"pensioner", "outflow_risk"},
        3: {"family_event"},
        4: set(),
    }
    assert (mart[3]["branch_id"], mart[3]["officer_id"]) == (2, 21)
    # a second refresh replaces, never duplicates
    assert refresh_signals(empty_engine, STD, AS_OF, _quiet) == 4
    assert len(_mart(empty_engine)) == 4


def test_replace_is_atomic_on_failure(empty_engine: sa.Engine) -> None:
    seed(empty_engine)
    refresh_signals(empty_engine, STD, AS_OF, _quiet)
    bad = pl.DataFrame(
        {"customer_id": [1, 1], "branch_id": [1, 1], "officer_id": [None, None]}
        | {s.code: [False, False] for s in STD.signals},
        schema_overrides={"officer_id": pl.Int64},
    )
    with pytest.raises(DataUnavailable, match="customer_signals"):  # duplicate key
        replace_rows(empty_engine, customer_signals, bad)
    assert len(_mart(empty_engine)) == 4  # the delete was rolled back


def test_replace_rejects_unknown_columns(empty_engine: sa.Engine) -> None:
    with pytest.raises(ValueError, match="no columns"):
        replace_rows(empty_engine, customer_signals, pl.DataFrame({"nope": [1]}))


def test_refresh_of_an_empty_bank_writes_nothing(empty_engine: sa.Engine) -> None:
    assert refresh_signals(empty_engine, STD, AS_OF, _quiet) == 0
