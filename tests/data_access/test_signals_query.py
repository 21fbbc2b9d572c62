"""Signal features aggregated in SQL, on DuckDB and PostgreSQL."""

from __future__ import annotations

import polars as pl
import pytest
import sqlalchemy as sa

from data_access.filters import Scope
from data_access.queries.signals import (
    SignalQuery,
    feature_schema,
    fetch_signal_features,
    months_back,
)
from data_access.selection import Selection
from metrics.footprint_rules import load_rules
from tests.data_access.customer_seed import AS_OF, seed
from tests.data_access.scopes import CLEAR
from tests.signal_codes import CODES

FEATURE_SCHEMA = feature_schema(load_rules())


@pytest.fixture(scope="module")
def bank(tiny_bank: sa.Engine) -> sa.Engine:
    """The tiny bank, shared by this module's tests (they only read, or refresh the mart)."""
    return tiny_bank


@pytest.mark.parametrize(
    ("day", "months", "expected"),
    [
        pytest.param("2026-11-22", 12, "2025-11-22", id="year"),
        pytest.param("2026-05-31", 3, "2026-02-28", id="clamped"),
        pytest.param("2026-01-15", 1, "2025-12-15", id="across-year"),
    ],
)
def test_months_back(day: str, months: int, expected: str) -> None:
    from datetime import date

    assert months_back(date.fromisoformat(day), months) == date.fromisoformat(expected)


def test_features_per_customer(bank: sa.Engine) -> None:
    with bank.connect() as conn:
        df = fetch_signal_features(conn, SignalQuery(Selection(), AS_OF))
    assert df.schema == pl.Schema(FEATURE_SCHEMA)
    rows = {r["customer_id"]: r for r in df.iter_rows(named=True)}
    assert sorted(rows) == [1, 2, 3, 4]
    one, two, three, four = rows[1], rows[2], rows[3], rows[4]
    assert (one["fuel_max_grade"], one["fuel_max_litres"], one["fuel_receipts"]) == (98, 60.0, 1)
    assert one["holds_pos"] == 1 and one["holds_business_loan"] == 0
    # the June 2025 remittance is older than 12 months
    assert (one["remittances_12m"], one["remittance_amount_12m"]) == (2, 8000.0)
    assert (one["consented_platforms"], one["max_platform_limit"]) == (1, 30000.0)
    # pension in October counts (3 months), July does not; the transfer after as_of is ignored
    assert two["pensions_3m"] == 1
    assert (two["out_total_90d"], two["out_other_90d"]) == (10000.0, 7000.0)
    assert two["holds_business_loan"] == 0  # closed in 2024
    assert three["family_events_12m"] == 1
    assert three["consented_platforms"] == 0  # refused consent
    assert four["fuel_max_grade"] is None and four["vehicles"] == 0
    assert four["out_total_90d"] == 0.0


@pytest.mark.parametrize(
    ("scope", "flt_branches", "ids", "expected"),
    [
        pytest.param(Scope.branch(1), (), (), [1, 2], id="branch-scope"),
        pytest.param(Scope.officer(2, 21), (), (), [3, 4], id="officer-scope"),
        pytest.param(Scope.officer(1, 11), (), (3,), [], id="officer-cannot-see-other-branch"),
        pytest.param(Scope.bank(), (2,), (), [3, 4], id="branch-filter"),
        pytest.param(Scope.bank(), (), (2,), [2], id="one-customer"),
    ],
)
def test_scope_and_filters(
    bank: sa.Engine,
    scope: Scope,
    flt_branches: tuple[int, ...],
    ids: tuple[int, ...],
    expected: list[int],
) -> None:
    selection = Selection(scope, branch_ids=flt_branches)
    with bank.connect() as conn:
        df = fetch_signal_features(conn, SignalQuery(selection, AS_OF, ids))
    assert df["customer_id"].to_list() == expected


def test_one_customer_features_match_the_bank_wide_row(bank: sa.Engine) -> None:
    with bank.connect() as conn:
        all_rows = fetch_signal_features(conn, SignalQuery(Selection(), AS_OF))
        one = fetch_signal_features(conn, SignalQuery(Selection(), AS_OF, customer_ids=(2,)))
    assert one.equals(all_rows.filter(pl.col("customer_id") == 2))


@pytest.fixture(scope="module")
def refreshed(bank: sa.Engine) -> sa.Engine:
    from data_access.marts.signals import refresh_signals
    from metrics.standards import load_standards

    refresh_signals(bank, load_standards(), AS_OF, lambda *_: None)
    return bank


@pytest.mark.parametrize(
    ("scope", "expected"),
    [
        pytest.param(Scope.bank(), [4, 1, 1, 1, 1, 1, 1, 1], id="bank"),
        pytest.param(Scope.branch(2), [2, 0, 0, 0, 0, 0, 0, 1], id="branch"),
        pytest.param(Scope.officer(1, 12), [1, 0, 0, 0, 1, 1, 0, 0], id="officer"),
    ],
)
def test_signal_counts_from_the_mart(refreshed: sa.Engine, scope: Scope, expected: list) -> None:
    from data_access.queries.signals import fetch_signal_counts

    with refreshed.connect() as conn:
        df = fetch_signal_counts(conn, Selection(scope), CODES)
    assert df["code"].to_list() == ["", *CODES]
    assert df["customers"].to_list() == expected


def test_signal_counts_of_an_empty_mart(empty_engine: sa.Engine) -> None:
    from data_access.queries.signals import fetch_signal_counts

    seed(empty_engine)
    with empty_engine.connect() as conn:
        df = fetch_signal_counts(conn, Selection(), CODES)
    assert df["customers"].to_list() == [0] * 8


def test_signal_counts_reject_unknown_code(bank: sa.Engine) -> None:
    from data_access.queries.signals import fetch_signal_counts

    with bank.connect() as conn, pytest.raises(ValueError, match="owns_boat"):
        fetch_signal_counts(conn, Selection(), ("owns_boat",))


def test_signal_leads_most_signals_first(refreshed: sa.Engine) -> None:
    from data_access.queries.signals import fetch_signal_leads

    with refreshed.connect() as conn:
        everyone = fetch_signal_leads(conn, Selection(CLEAR), CODES)
        branch_one = fetch_signal_leads(conn, Selection(CLEAR, branch_ids=(1,)), CODES, limit=1)
    assert everyone.select("customer_id", "signals").rows() == [(1, 4), (2, 2), (3, 1)]
    assert everyone["name"].to_list()[0] == "张三"
    assert branch_one["customer_id"].to_list() == [1]
