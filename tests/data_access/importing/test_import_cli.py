"""The import command as a bank's IT desk runs it: dry run, import, a second run, errors in one line."""

from __future__ import annotations

from pathlib import Path

import pytest
import sqlalchemy as sa

from data_access.cli import main
from data_access.schema import audit_log
from tests.conftest import duckdb_copy
from tests.data_access.importing.conftest import write_csv
from tests.data_access.importing.test_hostile_files import HEADER, row


@pytest.fixture
def bank_url(small_bank: tuple[sa.Engine, Path], tmp_path: Path) -> str:
    """A DuckDB file holding the small bank's branches, officers and customers, via the CLI."""
    _, files = small_bank
    url = f"duckdb:///{tmp_path / 'bank.duckdb'}"
    for table in ("branches", "officers", "customers"):
        args = ["import", "--url", url, "--mapping", "demo", "--table", table]
        assert main([*args, "--no-refresh", str(files / f"{table}.csv")]) == 0
    return url


def test_dry_run_then_import_then_again(
    bank_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write_csv(tmp_path / "流水.csv", HEADER, [row(1), row(2, 交易金额="x")], "gbk")
    base = ["import", "--url", bank_url, "--mapping", "core_banking", "--table", "footprints"]
    capsys.readouterr()
    assert main([*base, "--dry-run", str(path)]) == 0
    out = capsys.readouterr().out
    assert "2 rows read, 1 rejected; 1 would be inserted" in out and "dry run" in out
    assert Path(tmp_path / "流水.rejects.csv").exists()
    assert main([*base, "--no-refresh", str(path)]) == 0
    out = capsys.readouterr().out
    assert "1 were inserted" in out and "import batch" in out
    assert main([*base, "--no-refresh", "--lang", "en", str(path)]) == 0
    out = capsys.readouterr().out
    assert "0 were inserted, 0 updated, 1 unchanged" in out
    assert "not a number" in (tmp_path / "流水.rejects.csv").read_text(encoding="utf-8-sig")


def test_errors_are_one_line(
    bank_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    empty = tmp_path / "empty.csv"
    empty.write_bytes(b"")
    base = ["import", "--url", bank_url, "--table", "footprints"]
    capsys.readouterr()
    assert main([*base, "--mapping", "core_banking", str(empty)]) == 1
    assert main([*base, "--mapping", "nope", str(empty)]) == 1
    err = capsys.readouterr().err
    assert "error: empty.csv: the file is empty" in err and "no mapping 'nope'" in err
    assert "Traceback" not in err


def test_export_then_import_changes_nothing(
    small_bank: tuple[sa.Engine, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    demo, _ = small_bank
    url = duckdb_copy(demo, tmp_path / "copy.duckdb")  # the session's bank stays untouched
    out = tmp_path / "out"
    assert (
        main(
            [
                "export",
                "--url",
                url,
                "--mapping",
                "core_banking",
                "--table",
                "customers",
                "--encoding",
                "gbk",
                str(out),
            ]
        )
        == 0
    )
    capsys.readouterr()
    path = out / "客户信息表.csv"
    args = ["import", "--url", url, "--mapping", "core_banking", "--table", "customers"]
    assert main([*args, "--no-refresh", str(path)]) == 0
    assert "0 were inserted, 0 updated, 300 unchanged" in capsys.readouterr().out
    # customers' data left the database: the file is in the audit log once, with its rows
    a = audit_log.c
    with sa.create_engine(url).connect() as conn:
        exported = conn.execute(
            sa.select(a.username, a.target, a.row_count).where(a.action == "export")
        ).all()
    assert [(t, n) for _, t, n in exported] == [("客户信息表.csv", 300)]
    assert exported[0].username.startswith("cli")
    # the whole bank: one entry per file, with the rows of its table
    assert main(["export", "--url", url, "--mapping", "core_banking", str(tmp_path / "all")]) == 0
    with sa.create_engine(url).connect() as conn:
        entries = conn.execute(
            sa.select(a.target, a.row_count).where(a.action == "export").order_by(a.audit_id)
        ).all()[1:]
    files = sorted(p.name for p in (tmp_path / "all").iterdir())
    assert sorted(t for t, _ in entries) == files
    lines = {p.name: len(p.read_bytes().splitlines()) - 1 for p in (tmp_path / "all").iterdir()}
    assert all(lines[t] == n for t, n in entries), (entries, lines)  # no multi-line cells here


def test_a_file_held_by_the_dashboard_points_to_the_admin_page(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from data_access.engine import create_schema, make_engine
    from tests.lock_holder import duckdb_held

    path = tmp_path / "bank.duckdb"
    engine = make_engine(f"duckdb:///{path}")
    create_schema(engine)
    engine.dispose()
    data = write_csv(tmp_path / "f.csv", HEADER, [row(1)], "gbk")
    args = ["import", "--url", f"duckdb:///{path}", "--mapping", "core_banking"]
    with duckdb_held(path):
        assert main([*args, "--table", "footprints", str(data)]) == 1
    err = capsys.readouterr().err
    assert "has the DuckDB file open" in err and "import through its admin page" in err
    assert "Traceback" not in err
