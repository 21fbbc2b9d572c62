"""After an import, only the marts it made stale are refreshed, the KPI facts only for the periods
the changed rows fall in; the marts then equal those of a whole refresh."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import polars as pl
import pytest
import sqlalchemy as sa
from polars.testing import assert_frame_equal

from data_access.importing import IMPORT_ORDER, import_file
from data_access.marts import MARTS
from data_access.refresh import configured_standards, refresh_all
from data_access.schema import bank_meta, metadata

CUT = "2026-10-01"  # footprints from here on arrive in a later file


def _marts(engine: sa.Engine) -> dict[str, pl.DataFrame]:
    frames = {}
    with engine.connect() as conn:
        for name in (t for m in MARTS for t in m.writes):
            table = metadata.tables[name]
            rows = conn.execute(sa.select(table)).all()
            frame = pl.DataFrame(
                [tuple(r) for r in rows], schema=[c.name for c in table.columns], orient="row"
            )
            frames[name] = frame.sort(frame.columns)
    return frames


def _as_of(engine: sa.Engine) -> date:
    with engine.connect() as conn:
        value = conn.execute(
            sa.select(bank_meta.c.value).where(bank_meta.c.key == "data_as_of")
        ).scalar_one()
    return date.fromisoformat(value)


def _same_as_whole_refresh(engine: sa.Engine) -> None:
    """The marts as they are equal the marts of a whole refresh as of the same date."""
    incremental = _marts(engine)
    refresh_all(engine, configured_standards(), _as_of(engine))
    whole = _marts(engine)
    for name, frame in whole.items():
        assert frame.height, name  # a mart left empty would compare equal to nothing
        # the CLV model is fitted by an optimiser: row order moves its last digits
        assert_frame_equal(incremental[name], frame, rel_tol=1e-6, check_dtypes=False)


@pytest.mark.slow
def test_incremental_refresh_equals_a_whole_refresh(
    empty_engine: sa.Engine, small_bank: tuple[sa.Engine, Path], tmp_path: Path
) -> None:
    engine = empty_engine
    _, files = small_bank
    footprints = pl.read_csv(files / "footprints.csv", infer_schema=False)
    footprints.filter(pl.col("occurred_at") < CUT).write_csv(tmp_path / "older.csv")
    recent = footprints.filter(pl.col("occurred_at") >= CUT)
    recent.write_csv(tmp_path / "recent.csv")
    assert recent.height > 100
    for name in IMPORT_ORDER:
        path = tmp_path / "older.csv" if name == "footprints" else files / f"{name}.csv"
        assert import_file(engine, path, "demo", name, refresh=False).rejected == 0, name
    refresh_all(engine, configured_standards(), _as_of(engine))

    # the last two months' transactions: KPI facts of the weeks and months from October only
    result = import_file(engine, tmp_path / "recent.csv", "demo", "footprints")
    assert result.inserted == recent.height
    assert result.marts["kpis"] == f"from {recent['occurred_at'].min()[:10]}"
    assert set(result.marts) == {m.name for m in MARTS if "footprints" in m.sources}
    _same_as_whole_refresh(engine)

    # a corrected file moves one old transaction by a month and changes its amount: the facts
    # of both months (old and new date) are redone
    old = footprints.filter(pl.col("occurred_at").str.starts_with("2025-06")).head(1)
    moved = old.with_columns(
        pl.col("occurred_at").str.replace("^2025-06", "2025-07"),
        (pl.col("amount").cast(pl.Float64) + 1234.5).cast(pl.String),
    )
    moved.write_csv(tmp_path / "corrected.csv")
    result = import_file(engine, tmp_path / "corrected.csv", "demo", "footprints")
    assert (result.inserted, result.updated) == (0, 1)
    assert result.marts["kpis"] == f"from {old['occurred_at'][0][:10]}"  # the old date
    _same_as_whole_refresh(engine)

    # a table no mart reads, the data date unchanged: no mart is touched
    trainings = pl.read_csv(files / "trainings.csv", infer_schema=False)
    trainings.head(1).with_columns(pl.col("title") + "（修订）").write_csv(tmp_path / "t.csv")
    result = import_file(engine, tmp_path / "t.csv", "demo", "trainings")
    assert result.updated == 1 and result.refreshed and result.marts == {}
    _same_as_whole_refresh(engine)


def _referenced_by(kept: set[str]) -> set[str]:
    """Tables a kept table's foreign keys point at (they cannot be emptied under it)."""
    return {
        fk.column.table.name
        for name in kept
        for fk in metadata.tables[name].foreign_keys
        if fk.column.table.name != name
    }


def test_each_mart_lists_every_table_it_reads(
    small_bank: tuple[sa.Engine, Path], tmp_path: Path
) -> None:
    """Emptying every fact table a mart does not list leaves the mart as it was (except the
    tables a listed one refers to by foreign key, such as branches under customers)."""
    import shutil

    from data_access.engine import make_engine

    source, _ = small_bank
    standards = configured_standards()
    as_of = _as_of(source)
    source.dispose()
    original = Path(str(source.url.database))
    for mart in MARTS:
        copy = tmp_path / f"{mart.name}.duckdb"
        shutil.copy(original, copy)
        engine = make_engine(f"duckdb:///{copy}")
        before = _marts(engine)
        keep = set(mart.sources)
        keep |= _referenced_by(keep)
        emptied = [n for n in reversed(IMPORT_ORDER) if n not in keep]
        for name in emptied:  # one transaction each: DuckDB checks a foreign key against the
            with engine.begin() as conn:  # rows as they were when the transaction began
                conn.execute(metadata.tables[name].delete())
        assert len(emptied) >= 8, (mart.name, emptied)  # most fact tables are not a mart's
        mart.refresh(engine, standards, as_of, lambda *_: None)
        after = _marts(engine)
        for name in mart.writes:
            assert before[name].height, name
            assert_frame_equal(after[name], before[name], rel_tol=1e-6)
        engine.dispose()
