"""A killed import (SIGKILL, at several points of a large load) leaves every table exactly as it was."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest
import sqlalchemy as sa

from bench.bench_import import make_csv
from tests.data_access.importing.conftest import table_state

ROOT = Path(__file__).resolve().parents[3]
ROWS = 100_000


def _url(engine: sa.Engine) -> str:
    """A URL a child process can use for the same database (and PostgreSQL schema)."""
    if engine.dialect.name == "duckdb":
        return engine.url.render_as_string(hide_password=False)
    with engine.connect() as conn:
        schema = conn.execute(sa.text("select current_schema()")).scalar_one()
    url = engine.url.update_query_dict({"options": f"-csearch_path={schema}"})
    return url.render_as_string(hide_password=False)


def _import(url: str, path: Path) -> subprocess.Popen:
    cmd = [sys.executable, "-m", "data_access", "import", "--url", url, "--mapping"]
    cmd += ["core_banking", "--table", "footprints", "--no-refresh", str(path)]
    cmd += ["--block-size", "1000000"]  # about 14 chunks: several points to be killed at
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.Popen(
        cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env, cwd=ROOT
    )


def _kill_when(proc: subprocess.Popen, marker: str, nth: int) -> str:
    """SIGKILL the import when its progress shows ``marker`` for the ``nth`` time."""
    seen = 0
    assert proc.stderr is not None
    for line in proc.stderr:
        if marker in line:
            seen += 1
            if seen == nth:
                proc.send_signal(signal.SIGKILL)
                proc.wait(timeout=60)
                return line.strip()
    proc.wait(timeout=60)
    raise AssertionError(f"the import ended before '{marker}' #{nth}: rc={proc.returncode}")


@pytest.mark.slow
def test_sigkill_at_several_points_changes_nothing(bank: sa.Engine, tmp_path: Path) -> None:
    path = tmp_path / "交易流水.csv"
    make_csv(path, ROWS, "gbk", customers=300)
    url = _url(bank)
    before = table_state(bank)
    bank.dispose()  # DuckDB: one process at a time holds the file
    for marker, nth in (("checked", 1), ("checked", 7), ("applying", 1)):
        line = _kill_when(_import(url, path), marker, nth)
        assert table_state(bank) == before, f"killed at: {line}"
        bank.dispose()
    done = _import(url, path)
    out, err = done.communicate(timeout=600)
    assert done.returncode == 0, err
    assert f"{ROWS:,} rows read, 0 rejected; {ROWS:,} were inserted" in out
    after = table_state(bank)
    assert after["footprints"][0] == before["footprints"][0] + ROWS
