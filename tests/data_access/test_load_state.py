"""Completion stamps: a database the demo did not write is never rebuilt; an unfinished load or
refresh is recognisable; `refresh` applies the configured standard (FOOTPRINT_STANDARDS)."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
import sqlalchemy as sa

import data_access.marts
from data_access import refresh as refresh_mod
from data_access.cli import EXIT_REFUSED, main
from data_access.engine import make_engine
from data_access.load_state import fetch_load_state
from data_access.marts import MARTS
from metrics.standards import DEFAULT_STANDARDS, load_standards
from tests.data_access.conftest import cli_bank, copy_with


@pytest.fixture(scope="module")
def small_bank(tmp_path_factory: pytest.TempPathFactory) -> str:
    """A tiny demo bank made through the CLI once for this module."""
    return cli_bank(tmp_path_factory.mktemp("stamps") / "bank.duckdb")


def _scalar(url: str, sql: str) -> object:
    engine = sa.create_engine(url)
    try:
        with engine.connect() as conn:
            return conn.execute(sa.text(sql)).scalar()
    finally:
        engine.dispose()


def _as_embedded_default(monkeypatch: pytest.MonkeyPatch, url: str) -> None:
    monkeypatch.delenv("FOOTPRINT_DATABASE_URL", raising=False)
    monkeypatch.setattr("data_access.cli.database_url", lambda: url)
    monkeypatch.setenv("FOOTPRINT_DEMO_CUSTOMERS", "260")
    monkeypatch.setenv("FOOTPRINT_DEMO_SEED", "9")
    monkeypatch.setenv("FOOTPRINT_DEMO_END_DATE", "2026-11-22")


def test_a_complete_demo_load_is_stamped(small_bank: str) -> None:
    engine = sa.create_engine(small_bank)
    with engine.connect() as conn:
        state = fetch_load_state(conn)
    engine.dispose()
    assert state.data_as_of == date(2026, 11, 22)
    assert (state.load_in_progress, state.refresh_in_progress) == (False, False)
    assert state.written_by == "demo"
    assert set(state.marts) == {mart.name for mart in MARTS}
    assert set(state.marts.values()) == {date(2026, 11, 22)}
    assert state.stale_marts() == {}
    assert state.marts_standard == load_standards().fingerprint


def test_ensure_demo_never_rebuilds_the_embedded_database_over_a_banks_own_rows(
    small_bank: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys
) -> None:
    # the bank's own load into the embedded file: rows, but no stamp of any kind
    url = copy_with(small_bank, tmp_path / "embedded.duckdb", "delete from bank_meta")
    _as_embedded_default(monkeypatch, url)
    capsys.readouterr()
    assert main(["ensure-demo"]) == EXIT_REFUSED
    err = capsys.readouterr().err
    assert "300 customers" in err and "Nothing was changed" in err and "--replace" in err
    assert _scalar(url, "select count(*) from customers") == 300


def test_ensure_demo_rebuilds_only_the_demos_own_unfinished_build(
    small_bank: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    url = copy_with(  # as the demo leaves it when killed before the end
        small_bank,
        tmp_path / "embedded.duckdb",
        "delete from bank_meta where key = 'data_as_of'",
        "update bank_meta set value = 'in_progress' where key = 'load_state'",
    )
    _as_embedded_default(monkeypatch, url)
    assert main(["ensure-demo"]) == 0
    assert _scalar(url, "select count(*) from customers") == 260


def test_a_refresh_that_dies_part_way_is_marked_in_progress(
    small_bank: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    url = copy_with(small_bank, tmp_path / "b.duckdb")
    engine = make_engine(url)
    calls: list[str] = []
    original = list(MARTS)

    def dying(engine, standards, as_of, progress):  # the third mart's process is killed
        raise KeyboardInterrupt

    patched = [m._replace(refresh=dying) if i == 2 else m for i, m in enumerate(original)]
    monkeypatch.setattr(data_access.marts, "MARTS", tuple(patched))
    with pytest.raises(KeyboardInterrupt):
        refresh_mod.refresh_all(
            engine, load_standards(), date(2026, 11, 29), lambda s, f: calls.append(s)
        )
    with engine.connect() as conn:
        state = fetch_load_state(conn)
    engine.dispose()
    assert state.refresh_in_progress
    first_two = {m.name for m in original[:2]}
    assert {n for n, d in state.marts.items() if d == date(2026, 11, 29)} == first_two
    assert state.oldest_mart() == date(2026, 11, 22)


def test_refresh_applies_the_configured_standard(
    small_bank: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys
) -> None:
    url = copy_with(small_bank, tmp_path / "c.duckdb")
    vip = "select count(*) from customer_value where tier = 'vip'"
    before = _scalar(url, vip)
    bank_file = tmp_path / "bank-standard.toml"
    text = DEFAULT_STANDARDS.read_text(encoding="utf-8")
    assert "min_aum = 500_000" in text
    bank_file.write_text(
        text.replace("min_aum = 500_000", "min_aum = 100_000").replace(
            'version = "2026.11-default"', 'version = "2026.12-bank"'
        ),
        encoding="utf-8",
    )
    monkeypatch.setenv("FOOTPRINT_STANDARDS", str(bank_file))
    assert main(["refresh", "--url", url]) == 0
    after = _scalar(url, vip)
    # the lowered bar makes more VIPs: the mart follows the bank's standard, not the bundled one
    assert after > before
    assert _scalar(url, "select value from bank_meta where key = 'marts_standard'") == (
        load_standards(bank_file).fingerprint
    )
    assert "2026.12-bank" in capsys.readouterr().err
