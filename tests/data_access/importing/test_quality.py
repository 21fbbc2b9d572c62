"""The data-quality report, each figure recomputed in plain SQL."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import sqlalchemy as sa

from data_access.importing import import_file
from data_access.importing.quality import format_report, quality_report
from data_access.schema import footprints


def test_report_matches_plain_sql(bank: sa.Engine, small_bank: tuple[sa.Engine, Path]) -> None:
    _, files = small_bank
    import_file(bank, files / "footprints.csv", "demo", "footprints", refresh=False)
    with bank.begin() as conn:  # a row loaded behind the importer's back: its customer is unknown
        conn.execute(
            footprints.insert().values(
                footprint_id=99_999_999,
                customer_id=99_999,
                branch_id=1,
                occurred_at=datetime(2026, 11, 23, 9, 0),
                kind="deposit",
                direction="in",
                channel="counter",
                amount=1.0,
                counterparty_type="none",
                self_initiated=True,
            )
        )
    customers_q, footprints_q = quality_report(bank, ["customers", "footprints"])
    with bank.connect() as conn:

        def one(sql: str) -> object:
            return conn.execute(sa.text(sql)).scalar_one()

        assert customers_q.rows == one("select count(*) from customers")
        assert customers_q.missing["phone"] == one(
            "select count(*) from customers where phone is null"
        )
        assert customers_q.orphans["customers_without_officer"] == one(
            "select count(*) from customers c where c.officer_id is null"
            " or not exists (select 1 from officers o where o.officer_id = c.officer_id)"
        )
        assert footprints_q.rows == one("select count(*) from footprints")
        assert footprints_q.missing["place"] == one(
            "select count(*) from footprints where place is null"
        )
        assert footprints_q.newest.isoformat() == "2026-11-23"
        assert footprints_q.orphans["footprints_without_customer"] == 1
    text = format_report([footprints_q])
    assert "footprints without customer: 1" in text and "newest 2026-11-23" in text
