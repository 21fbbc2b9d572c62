"""The command line: init refuses to overwrite, info prints counts, errors are one line."""

from __future__ import annotations

from pathlib import Path

import pytest
import sqlalchemy as sa

from data_access.cli import EXIT_REFUSED, main
from data_access.schema import metadata
from tests.data_access.conftest import SMALL, cli_bank, copy_with


@pytest.fixture(scope="module")
def small_bank(tmp_path_factory: pytest.TempPathFactory) -> str:
    """A tiny bank made through the CLI once for this module (in a folder init must create)."""
    return cli_bank(tmp_path_factory.mktemp("cli") / "sub" / "bank.duckdb")


def test_init_creates_a_bank_and_info_prints_every_count(
    small_bank: str, capsys: pytest.CaptureFixture[str]
) -> None:
    capsys.readouterr()
    assert main(["info", "--url", small_bank]) == 0
    out = capsys.readouterr().out
    for name in metadata.tables:
        assert any(line.split()[0] == name for line in out.splitlines() if line.strip()), name
    customers = next(line for line in out.splitlines() if line.startswith("customers "))
    assert customers.split()[-1] == "300"
    assert "data_as_of: 2026-11-22" in out


def test_init_refuses_to_overwrite_without_replace(
    small_bank: str, capsys: pytest.CaptureFixture[str]
) -> None:
    capsys.readouterr()
    assert main(["init", "--url", small_bank, *SMALL]) == EXIT_REFUSED
    err = capsys.readouterr().err
    assert "--replace" in err
    assert "Traceback" not in err


def test_init_replace_overwrites(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    url = f"duckdb:///{tmp_path / 'b.duckdb'}"
    assert main(["init", "--url", url, *SMALL]) == 0
    args = ["--customers", "250", "--seed", "6", "--end-date", "2026-11-22", "--replace"]
    assert main(["init", "--url", url, *args]) == 0
    engine = sa.create_engine(url)
    with engine.connect() as conn:
        n = conn.execute(sa.text("select count(*) from customers")).scalar_one()
        seed = conn.execute(sa.text("select value from bank_meta where key = 'seed'")).scalar_one()
    engine.dispose()
    assert (n, seed) == (250, "6")


@pytest.mark.parametrize(
    "url",
    [
        pytest.param("not a url", id="malformed"),
        pytest.param("postgresql+psycopg://nobody@127.0.0.1:1/none", id="unreachable"),
        pytest.param("mysql://x@127.0.0.1/none", id="no-driver"),
    ],
)
def test_bad_urls_give_one_line_and_non_zero_exit(
    url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["info", "--url", url]) != 0
    err = capsys.readouterr().err.strip()
    assert err.startswith("error:")
    assert len(err.splitlines()) == 1


def test_info_on_an_empty_database_says_so(tmp_path: Path, capsys) -> None:
    assert main(["info", "--url", f"duckdb:///{tmp_path / 'empty.duckdb'}"]) == 1
    assert "init" in capsys.readouterr().err


def test_ensure_demo_skips_a_loaded_bank(small_bank: str, capsys) -> None:
    capsys.readouterr()
    assert main(["ensure-demo", "--url", small_bank]) == 0
    out = capsys.readouterr().out.strip().splitlines()
    assert out[0].startswith("bank ready")  # nothing built: the bank is kept as it is
    assert not any("%]" in line for line in out)  # no build progress
    # then the demo's sign-in accounts, one per role, for whoever starts the dashboard
    assert any(line.split()[:2] == ["admin", "admin-demo"] for line in out[1:]), out


def test_ensure_demo_rebuilds_an_unfinished_embedded_load(
    small_bank: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys
) -> None:
    url = copy_with(  # as if the load had died before its last step
        small_bank, tmp_path / "embedded.duckdb", "delete from bank_meta where key = 'data_as_of'"
    )
    monkeypatch.delenv("FOOTPRINT_DATABASE_URL", raising=False)
    monkeypatch.setattr("data_access.cli.database_url", lambda: url)
    monkeypatch.setenv("FOOTPRINT_DEMO_CUSTOMERS", "260")
    monkeypatch.setenv("FOOTPRINT_DEMO_SEED", "9")
    monkeypatch.setenv("FOOTPRINT_DEMO_END_DATE", "2026-11-22")
    assert main(["ensure-demo"]) == 0
    engine = sa.create_engine(url)
    with engine.connect() as conn:
        n = conn.execute(sa.text("select count(*) from customers")).scalar_one()
        stamp = conn.execute(
            sa.text("select value from bank_meta where key = 'data_as_of'")
        ).scalar_one()
    engine.dispose()
    assert (n, stamp) == (260, "2026-11-22")


def test_ensure_demo_leaves_a_configured_database_with_unstamped_data_alone(
    small_bank: str, tmp_path: Path, capsys
) -> None:
    url = copy_with(small_bank, tmp_path / "theirs.duckdb", "delete from bank_meta")
    capsys.readouterr()
    assert main(["ensure-demo", "--url", url]) == EXIT_REFUSED
    assert "--replace" in capsys.readouterr().err


def test_refresh_reruns_the_marts(small_bank: str, capsys) -> None:
    capsys.readouterr()
    assert main(["refresh", "--url", small_bank]) == 0
