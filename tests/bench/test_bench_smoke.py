"""The benchmark harness runs end to end on the session's small demo bank (no timing asserted)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import sqlalchemy as sa

from bench.__main__ import Config, run
from bench.pages import tables_read


def test_harness_measures_pages_and_the_usual_way(
    demo_engine: sa.Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    url = demo_engine.url.render_as_string(hide_password=False)
    monkeypatch.setenv("FOOTPRINT_DATABASE_URL", url)  # restored after the harness sets it
    out = tmp_path / "results.md"
    cfg = Config(
        skip_build=True,
        pg_customers=0,
        repeat=1,
        naive_cap=50_000,  # the demo bank's footprints exceed it: the scaled path runs too
        pages=("kpis", "customer"),
        browser=False,
        duckdb_url=url,
        out=out,
        in_process=True,
    )
    res = run(cfg)
    fast, naive = res.fast["duckdb"], res.naive["duckdb"]
    assert set(fast) == {"kpis", "customer"}
    for page in fast:
        assert fast[page]["exception"] == ""
        assert fast[page]["data_cold_s"] > 0 and fast[page]["page_cold_s"] > 0
        assert fast[page]["rows_scanned"] > 0 and fast[page]["tables"]
        assert fast[page]["loaders"], "no loader call was recorded"
        assert naive[page]["total_s"] > 0
        assert naive[page]["extrapolated"] is True  # footprints: 3,000 customers > 50,000 rows
    assert "kpis.load_weekly_kpis" in fast["kpis"]["loaders"]
    assert "footprints" in fast["customer"]["tables"]
    assert naive["customer"]["figures"]["profile"] == 1
    t = res.throughput["duckdb"]
    assert t["rows"] == res.banks["duckdb"]["footprints"] and t["numpy_rows_per_s"] > 0
    text = out.read_text()
    assert "| kpis |" in text and "| customer |" in text and "## Machine" in text


@pytest.mark.parametrize(
    ("sql", "expected"),
    [
        pytest.param("SELECT a FROM footprints WHERE x", ["footprints"], id="from"),
        pytest.param(
            'select 1 from "customers" join footprints on 1=1',
            ["footprints", "customers"],
            id="join",
        ),
        pytest.param("select 1 from customer_value", ["customer_value"], id="prefix-not-customers"),
    ],
)
def test_tables_read(sql: str, expected: list[str]) -> None:
    names = sorted(["footprints", "customers", "customer_value"], key=len, reverse=True)
    assert sorted(tables_read(sql, names)) == sorted(expected)


def test_figures_are_written_as_measured_and_survive_a_crash(
    demo_engine: sa.Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A bank elsewhere, a results folder that does not exist yet, and a crash after the first
    page: the first page's figures are in the results file (finding #11.11)."""
    import bench.__main__ as harness

    url = demo_engine.url.render_as_string(hide_password=False)
    monkeypatch.setenv("FOOTPRINT_DATABASE_URL", url)
    out = tmp_path / "not" / "yet" / "results.md"
    real_fast = harness._fast

    def fast_then_crash(page: str, url: str, cfg: Config) -> dict:
        if page == "customer":
            raise MemoryError("killed while measuring the second page")
        return real_fast(page, url, cfg)

    monkeypatch.setattr(harness, "_fast", fast_then_crash)
    cfg = Config(
        skip_build=True,
        pg_customers=0,
        repeat=1,
        pages=("kpis", "customer"),
        browser=False,
        naive=False,
        duckdb_url=url,
        out=out,
        in_process=True,
    )
    with pytest.raises(MemoryError):
        run(cfg)
    text = out.read_text()
    assert "Partial results" in text and "duckdb kpis fast path" in text
    assert "| kpis |" in text
    assert '"partial_after": "duckdb kpis fast path"' in out.with_suffix(".json").read_text()


def test_the_browser_step_creates_its_log_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import bench.browser as browser

    def no_server(*args: object, **kwargs: object) -> None:
        raise OSError("no server in this test")

    monkeypatch.setattr(browser.subprocess, "Popen", no_server)
    log_file = tmp_path / "elsewhere" / "bench" / "server.log"
    with pytest.raises(OSError, match="no server"), browser._Server("duckdb://", 1, log_file):
        pass
    assert log_file.parent.is_dir()  # made before the server starts (it crashed there before)


@pytest.mark.browser
def test_the_browser_step_measures_a_signed_in_first_chart(
    tmp_path: Path, demo_engine: sa.Engine
) -> None:
    """Since sign-in, a page shows the sign-in form to a browser without a session: the browser
    step signs its profiles in and measures real charts, on a first visit and a returning one."""
    import math

    from bench.browser import measure_browser

    with demo_engine.connect() as conn:  # the bench signs in: into a copy of the session's bank
        conn.exec_driver_sql("CHECKPOINT")
    shutil.copyfile(str(demo_engine.url.database), tmp_path / "bank.duckdb")
    figures = measure_browser(f"duckdb:///{tmp_path / 'bank.duckdb'}", ("kpis",), timeout_s=90)
    assert figures.error == ""
    for store in (figures.first_visit_s, figures.cold_s, figures.warm_s):
        assert math.isfinite(store["kpis"]) and 0 < store["kpis"] < 90
