"""A backup taken while `python -m dashboard` serves (and holds the DuckDB file) restores exactly."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from data_access.backup import digests
from tests.ops.conftest import ROOT, open_page
from tests.serving import free_port, wait_healthy

pytestmark = pytest.mark.browser


def _state(path: Path) -> tuple[dict, list]:
    con = duckdb.connect(str(path), read_only=True)
    try:
        seqs = con.execute("select sequence_name, last_value from duckdb_sequences() order by 1")
        return digests(con, con.execute("select current_database()").fetchone()[0]), seqs.fetchall()
    finally:
        con.close()


def _cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "data_access", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
    )


def test_backup_while_the_dashboard_serves_restores_identically(tmp_path: Path) -> None:
    db = tmp_path / "bank.duckdb"
    url = f"duckdb:///{db}"
    built = _cli("init", "--url", url, "--customers", "400", "--seed", "5")
    assert built.returncode == 0, built.stderr
    port, log = free_port(), tmp_path / "server.log"
    env = {**os.environ, "FOOTPRINT_DATABASE_URL": url}
    with log.open("w") as out:
        server = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "dashboard",
                "--server.port",
                str(port),
                "--server.address",
                "127.0.0.1",
            ],
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    try:
        base = f"http://127.0.0.1:{port}"
        wait_healthy(base, log)
        assert open_page(f"{base}/kpis?lang=en")
        with pytest.raises(duckdb.IOException, match="Could not set lock"):
            duckdb.connect(str(db), read_only=True)  # the dashboard holds the file
        taken = _cli("backup", "--url", url, "--to", str(tmp_path / "b.fpbak"))
        assert taken.returncode == 0, taken.stderr
        assert "snapshot taken by the running dashboard" in taken.stdout
        assert server.poll() is None  # still serving (no page is opened after: a view may
        wait_healthy(base, log)  # write an audit entry, and the source is compared below)
    finally:
        server.terminate()
        server.wait(timeout=30)
    restored = tmp_path / "restored.duckdb"
    done = _cli("restore", "--url", f"duckdb:///{restored}", "--from", str(tmp_path / "b.fpbak"))
    assert done.returncode == 0, done.stderr
    expected = _state(db)
    assert expected[0]["customers"][0] == 400
    assert _state(restored) == expected
