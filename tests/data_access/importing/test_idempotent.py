"""Importing is idempotent: the same file twice changes nothing; a corrected file changes only the
corrected rows; a dry run writes nothing; data_as_of moves and the marts are refreshed."""

from __future__ import annotations

import csv
from pathlib import Path

import sqlalchemy as sa

from data_access.importing import import_file
from data_access.schema import bank_meta, customer_value, footprints, import_batches
from tests.data_access.importing.conftest import table_state


def _without_batches(state: dict) -> dict:
    return {k: v for k, v in state.items() if k != "import_batches"}


def test_same_file_twice_then_a_corrected_file(
    bank: sa.Engine, small_bank: tuple[sa.Engine, Path], tmp_path: Path
) -> None:
    _, files = small_bank
    source = files / "footprints.csv"
    first = import_file(bank, source, "demo", "footprints", refresh=False)
    assert first.rejected == 0 and first.inserted == first.rows_read > 10_000
    after_first = table_state(bank)
    second = import_file(bank, source, "demo", "footprints", refresh=False)
    assert (second.inserted, second.updated, second.unchanged) == (0, 0, first.rows_read)
    assert _without_batches(table_state(bank)) == _without_batches(after_first)

    # the bank corrects three amounts and adds one late transaction
    with source.open(encoding="utf-8") as fh:
        rows = list(csv.reader(fh))
    header, body = rows[0], rows[1:]
    amount = header.index("amount")
    fid = header.index("footprint_id")
    corrected = {int(body[i][fid]) for i in (5, 500, 5000)}
    for i in (5, 500, 5000):
        body[i][amount] = "77.70"
    late = list(body[-1])
    late[fid] = "99000001"
    body.append(late)
    fixed = tmp_path / "footprints_fixed.csv"
    with fixed.open("w", encoding="utf-8", newline="") as fh:
        csv.writer(fh).writerows([header, *body])
    with bank.connect() as conn:
        before = dict(conn.execute(sa.select(footprints.c.footprint_id, footprints.c.amount)).all())
    third = import_file(bank, fixed, "demo", "footprints", refresh=False)
    assert (third.inserted, third.updated, third.rejected) == (1, 3, 0)
    with bank.connect() as conn:
        now = dict(conn.execute(sa.select(footprints.c.footprint_id, footprints.c.amount)).all())
        batches = conn.execute(sa.select(sa.func.count()).select_from(import_batches)).scalar_one()
    changed = {k for k in before if before[k] != now[k]}
    assert changed == corrected and all(now[k] == 77.7 for k in corrected)
    assert set(now) - set(before) == {99000001}
    assert batches == 3 + 3  # branches, officers, customers by the fixture, then three here


def test_dry_run_counts_and_writes_nothing(
    bank: sa.Engine, small_bank: tuple[sa.Engine, Path], tmp_path: Path
) -> None:
    _, files = small_bank
    before = table_state(bank)
    rejects = tmp_path / "r.csv"
    result = import_file(
        bank, files / "footprints.csv", "demo", "footprints", dry_run=True, rejects_path=rejects
    )
    assert result.dry_run and result.inserted == result.rows_read > 10_000
    assert result.batch_id is None and not result.refreshed
    assert table_state(bank) == before
    assert rejects.read_text(encoding="utf-8-sig").startswith("行号,拒绝原因,原始行")


def test_an_import_moves_data_as_of_and_refreshes_the_marts(
    bank: sa.Engine, small_bank: tuple[sa.Engine, Path]
) -> None:
    demo, files = small_bank
    for table in ("product_holdings", "balance_snapshots"):
        import_file(bank, files / f"{table}.csv", "demo", table, refresh=False)
    result = import_file(bank, files / "footprints.csv", "demo", "footprints")
    with bank.connect() as conn:
        as_of = conn.execute(
            sa.select(bank_meta.c.value).where(bank_meta.c.key == "data_as_of")
        ).scalar_one()
        newest = conn.execute(sa.select(sa.func.max(footprints.c.occurred_at))).scalar_one()
        tiers = set(conn.execute(sa.select(customer_value.c.customer_id, customer_value.c.tier)))
    with demo.connect() as conn:
        want = set(conn.execute(sa.select(customer_value.c.customer_id, customer_value.c.tier)))
    assert result.refreshed and as_of == result.data_as_of == newest.date().isoformat()
    assert tiers == want and len(want) > 200  # the demo's own value mart, from imported rows
