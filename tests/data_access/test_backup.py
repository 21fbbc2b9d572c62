"""Backup and restore of the embedded DuckDB file: verified copies, refusals, tamper detection."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import duckdb
import pytest

from data_access.backup import MANIFEST_SCHEMA, BackupError, backup, digests, restore
from data_access.cli import main
from data_access.engine import make_engine
from data_access.errors import DatabaseBusy
from tests.lock_holder import duckdb_held


@pytest.fixture(scope="module")
def bank(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A small demo bank in its own file, with one app-written row (a sequence has moved)."""
    from data_access.demo import build_demo

    path = tmp_path_factory.mktemp("bank") / "bank.duckdb"
    engine = make_engine(f"duckdb:///{path}")
    build_demo(engine, customers=300, seed=3, end_date=date(2026, 11, 22))
    with engine.begin() as conn:
        conn.exec_driver_sql(
            "insert into saved_segments (segment_id, name, owner, definition, created_at) values "
            "(nextval('saved_segments_id_seq'), '回访名单', 'tester', '{}', now())"
        )
    engine.dispose()
    return path


def _state(path: Path) -> tuple[dict, list]:
    con = duckdb.connect(str(path), read_only=True)
    try:
        seqs = con.execute(
            "select sequence_name, last_value from duckdb_sequences() order by 1"
        ).fetchall()
        return digests(con, con.execute("select current_database()").fetchone()[0]), seqs
    finally:
        con.close()


def test_backup_then_restore_gives_an_identical_database(bank: Path, tmp_path: Path) -> None:
    copy = tmp_path / "nightly.fpbak"
    report = backup(f"duckdb:///{bank}", copy)
    assert report.via == "file"
    restored = tmp_path / "restored.duckdb"
    restore(copy, f"duckdb:///{restored}")
    tables, seqs = _state(restored)
    assert (tables, seqs) == _state(bank)
    assert tables["customers"][0] == 300
    con = duckdb.connect(str(restored), read_only=True)
    assert con.execute("select owner from saved_segments where name = '回访名单'").fetchall() == [
        ("tester",)
    ]
    schemas = {r[0] for r in con.execute("select schema_name from duckdb_schemas()").fetchall()}
    con.close()
    assert MANIFEST_SCHEMA not in schemas  # the manifest stays in the backup only


def test_the_cli_refuses_to_overwrite_without_force(
    bank: Path, tmp_path: Path, capsys: pytest.CaptureFixture
) -> None:
    url, copy = f"duckdb:///{bank}", tmp_path / "b.fpbak"
    copy.write_text("an older backup")
    assert main(["backup", "--url", url, "--to", str(copy)]) == 2
    assert copy.read_text() == "an older backup"
    assert "pass --force" in capsys.readouterr().err
    assert main(["backup", "--url", url, "--to", str(copy), "--force"]) == 0
    assert "counts and checksums verified" in capsys.readouterr().out
    target = tmp_path / "live.duckdb"
    target.write_bytes(b"x")
    assert main(["restore", "--url", f"duckdb:///{target}", "--from", str(copy)]) == 2
    assert target.read_bytes() == b"x"


def test_a_damaged_backup_is_refused_and_nothing_is_replaced(bank: Path, tmp_path: Path) -> None:
    copy = tmp_path / "b.fpbak"
    backup(f"duckdb:///{bank}", copy)
    con = duckdb.connect(str(copy))
    con.execute(
        "update customers set name = 'someone else' where customer_id = (select min(customer_id) from customers)"
    )
    con.close()
    target = tmp_path / "live.duckdb"
    backup(f"duckdb:///{bank}", tmp_path / "other.fpbak")
    restore(tmp_path / "other.fpbak", f"duckdb:///{target}")
    before = target.read_bytes()
    with pytest.raises(BackupError, match="table customers differs from the backup"):
        restore(copy, f"duckdb:///{target}", force=True)
    assert target.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["b.fpbak", "live.duckdb", "other.fpbak"]


def test_restore_over_a_database_in_use_is_busy(bank: Path, tmp_path: Path) -> None:
    copy = tmp_path / "b.fpbak"
    backup(f"duckdb:///{bank}", copy)
    target = tmp_path / "live.duckdb"
    restore(copy, f"duckdb:///{target}")
    with duckdb_held(target) as pid, pytest.raises(DatabaseBusy) as caught:
        restore(copy, f"duckdb:///{target}", force=True)
    assert caught.value.holder == f"PID {pid}"


def test_a_file_held_by_a_program_without_the_socket_is_busy(bank: Path, tmp_path: Path) -> None:
    with duckdb_held(bank), pytest.raises(DatabaseBusy):
        backup(f"duckdb:///{bank}", tmp_path / "b.fpbak")
    assert list(tmp_path.iterdir()) == []


def test_postgresql_is_sent_to_pg_dump(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    url = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
    assert main(["backup", "--url", url, "--to", str(tmp_path / "x")]) == 1
    assert "pg_dump" in capsys.readouterr().err
