"""The launcher's preload: the pages' modules imported before the server listens, quietly."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PROBE = """
import json, sys
from dashboard.preload import preload
seconds = preload(sys.argv[1])
print(json.dumps({"seconds": seconds, "modules": sorted(sys.modules)}))
"""


def _preload(url: str) -> tuple[dict, str]:
    done = subprocess.run(
        [sys.executable, "-c", PROBE, url], cwd=ROOT, capture_output=True, text=True, check=True
    )
    return json.loads(done.stdout.splitlines()[-1]), done.stderr


def test_preload_imports_what_the_pages_use_without_warnings(tmp_path: Path) -> None:
    out, stderr = _preload(f"duckdb:///{tmp_path / 'none.duckdb'}")
    modules = set(out["modules"])
    # what a first visit used to pay for: the officer page's statistics, plotly, the dialect
    assert {"scipy.stats", "metrics.officers", "dashboard.charts.officers"} <= modules
    assert {"plotly.graph_objects", "duckdb_engine", "dashboard.loaders.kpis"} <= modules
    assert "data_access.demo" not in modules  # the generator only on a first start
    assert "No runtime found" not in stderr
    assert not (tmp_path / "none.duckdb").exists()  # no database opened, nothing created


def test_a_bad_database_url_is_left_to_the_pages() -> None:
    out, _ = _preload("nosuchdialect://x")
    assert out["seconds"] > 0
