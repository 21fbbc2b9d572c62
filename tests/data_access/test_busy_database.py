"""A DuckDB file another process holds: a clear 'busy' error naming the holder, in the CLI too."""

from __future__ import annotations

from pathlib import Path

import pytest

from data_access.cli import main
from data_access.engine import connect, create_schema, make_engine
from data_access.errors import DatabaseBusy
from tests.lock_holder import duckdb_held


@pytest.fixture
def bank_file(tmp_path: Path) -> Path:
    path = tmp_path / "bank.duckdb"
    engine = make_engine(f"duckdb:///{path}")
    create_schema(engine)
    engine.dispose()
    return path


def test_a_held_file_is_busy_and_names_the_holder(bank_file: Path) -> None:
    engine = make_engine(f"duckdb:///{bank_file}")
    with duckdb_held(bank_file) as pid:
        with pytest.raises(DatabaseBusy) as caught, connect(engine):
            pass
        assert caught.value.holder == f"PID {pid}"
        assert "one program use a file at a time" in str(caught.value)
    engine.dispose()
    with connect(make_engine(f"duckdb:///{bank_file}")) as conn:  # released: usable again
        assert conn.exec_driver_sql("select 1").scalar_one() == 1


def test_the_cli_explains_what_to_do(bank_file: Path, capsys: pytest.CaptureFixture) -> None:
    with duckdb_held(bank_file) as pid:
        assert main(["info", "--url", f"duckdb:///{bank_file}"]) == 1
    err = capsys.readouterr().err
    assert f"(PID {pid}) has the DuckDB file open" in err
    assert "stop it (Ctrl-C where `make run` runs)" in err
    assert "Traceback" not in err
