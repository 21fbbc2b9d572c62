"""One customer's data, search within scope, and recording a soft footprint — DuckDB and PostgreSQL."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime

import polars as pl
import pytest
import sqlalchemy as sa

from data_access.errors import InvalidImport
from data_access.filters import FINDABLE, Scope
from data_access.queries import customer as q
from data_access.schema import soft_footprints
from data_access.selection import Selection
from tests.data_access.conftest import seeded_with
from tests.data_access.customer_seed import AS_OF, seed
from tests.data_access.scopes import CLEAR


@pytest.fixture(scope="module")
def bank(tiny_bank: sa.Engine) -> sa.Engine:
    """The tiny bank, shared by the read-only tests of this module."""
    return tiny_bank


# The tiny bank in a database of its own (for tests that write).
fresh = seeded_with(seed)


def test_profile(bank: sa.Engine) -> None:
    with bank.connect() as conn:
        df = q.fetch_profile(conn, CLEAR, 1)
    # the frame's dtypes follow the columns' SQL types
    assert (df.schema["customer_id"], df.schema["birth_year"]) == (pl.Int64, pl.Int64)
    assert (df.schema["opened_on"], df.schema["declared_income"]) == (pl.Date, pl.Float64)
    row = df.row(0, named=True)
    assert (row["name"], row["branch_name"], row["officer_name"]) == ("张三", "1号支行", "经理11")
    assert row["phone"] == "13812341234"  # stored in full; the page masks it


@pytest.mark.parametrize(
    ("scope", "customer_id", "seen"),
    [
        pytest.param(Scope.bank(), 3, True, id="bank-sees-all"),
        pytest.param(Scope.branch(1), 3, False, id="branch-cannot-see-other-branch"),
        pytest.param(Scope.branch(2), 3, True, id="own-branch"),
        pytest.param(Scope.officer(1, 11), 3, False, id="officer-other-branch"),
        pytest.param(Scope.officer(1, 11), 2, False, id="officer-colleague-book"),
        pytest.param(Scope.officer(1, 11), 1, True, id="officer-own-book"),
        pytest.param(Scope.bank(), 999, False, id="unknown-id"),
    ],
)
def test_scope_hides_other_customers_everywhere(
    bank: sa.Engine, scope: Scope, customer_id: int, seen: bool
) -> None:
    with bank.connect() as conn:
        frames = [
            q.fetch_profile(conn, scope, customer_id),
            q.fetch_holdings(conn, scope, customer_id),
            q.fetch_soft_footprints(conn, scope, customer_id),
            q.fetch_recent_footprints(conn, scope, customer_id),
            q.fetch_weekly_footprints(conn, scope, customer_id, date(2024, 1, 1), AS_OF),
        ]
        marts = q.fetch_marts(conn, scope, customer_id)
    assert (frames[0].height == 1) is seen
    if not seen:
        assert all(f.height == 0 for f in frames)
        assert marts == {"value": None, "loyalty": None, "signals": None}


def test_holdings_and_balances(bank: sa.Engine) -> None:
    with bank.connect() as conn:
        held = q.fetch_holdings(conn, Scope.bank(), 1)
        bal = q.fetch_monthly_balances(conn, Scope.bank(), 1)
        bal_since = q.fetch_monthly_balances(conn, Scope.bank(), 1, since=date(2026, 10, 1))
    assert held["product"].to_list() == ["pos_merchant", "demand_deposit"]
    assert bal.select("month", "aum").rows() == [
        (date(2026, 9, 1), 70009.0),
        (date(2026, 10, 1), 70010.0),
    ]
    assert bal_since.height == 1


def test_weekly_footprints_aggregate_by_monday(bank: sa.Engine) -> None:
    with bank.connect() as conn:
        df = q.fetch_weekly_footprints(conn, Scope.bank(), 2, date(2026, 11, 1), AS_OF)
    assert df.columns == ["week_start", "kind", "channel", "direction", "n", "amount"]
    assert [df.schema[c] for c in ("week_start", "n", "amount")] == [pl.Date, pl.Int64, pl.Float64]
    # 10 Nov (Tue) transfer to another bank and 11 Nov ATM withdrawal: week of Monday 9 Nov;
    # the 23 Nov transfer is after the period
    assert df.rows() == [
        (date(2026, 11, 9), "transfer_out", "mobile", "out", 1, 7000.0),
        (date(2026, 11, 9), "withdrawal", "atm", "out", 1, 3000.0),
    ]


def test_recent_footprints_are_limited_newest_first(bank: sa.Engine) -> None:
    with bank.connect() as conn:
        df = q.fetch_recent_footprints(conn, Scope.bank(), 2, limit=2, until=AS_OF)
    assert df["occurred_at"].to_list() == [datetime(2026, 11, 11, 8), datetime(2026, 11, 10, 8)]


def test_external_limits_only_with_consent(bank: sa.Engine) -> None:
    with bank.connect() as conn:
        one = q.fetch_external_limits(conn, Scope.bank(), 1)
        three = q.fetch_external_limits(conn, Scope.bank(), 3)
    assert one.rows() == [("huabei", 30000.0, date(2026, 9, 1))]
    assert three.height == 0


def test_loan_applications(bank: sa.Engine) -> None:
    with bank.connect() as conn:
        df = q.fetch_loan_applications(conn, Scope.bank(), 1)
    assert df.select("product", "amount", "declared_business", "status").rows() == [
        ("loan_business", 200000.0, "小卖部", "approved")
    ]


FINDS = replace(Scope.bank(), find_by=FINDABLE)


@pytest.mark.parametrize(
    ("scope", "text", "expected"),
    [
        pytest.param(FINDS, "3", [3], id="by-id"),
        pytest.param(FINDS, "1234", [1, 3], id="phone-last-4"),
        pytest.param(Scope.bank(), "1234", [], id="phone-last-4-needs-the-right"),
        pytest.param(replace(Scope.branch(1), find_by=FINDABLE), "1234", [1],
                     id="phone-last-4-in-branch"),
        pytest.param(FINDS, "张*", [1, 4], id="masked-name-prefix"),
        pytest.param(FINDS, "李四", [2], id="name-prefix"),
        pytest.param(Scope.officer(2, 21), "张", [4], id="officer-scope"),
        pytest.param(FINDS, "%", [], id="like-wildcard-is-literal"),
        pytest.param(FINDS, "  ", [], id="blank"),
        pytest.param(FINDS, "*", [], id="only-stars"),
    ],
)  # fmt: skip
def test_search(bank: sa.Engine, scope: Scope, text: str, expected: list[int]) -> None:
    with bank.connect() as conn:
        df = q.search_customers(conn, Selection(scope), text)
    assert sorted(df["customer_id"].to_list()) == expected


def test_marts_absent_then_present(fresh: sa.Engine) -> None:
    from data_access.marts.signals import refresh_signals
    from metrics.standards import load_standards

    with fresh.connect() as conn:
        assert q.fetch_marts(conn, Scope.bank(), 1)["signals"] is None
    refresh_signals(fresh, load_standards(), AS_OF, lambda *_: None)
    with fresh.connect() as conn:
        marts = q.fetch_marts(conn, Scope.bank(), 1)
    assert marts["signals"] is not None and marts["signals"]["car_owner"] is True
    assert marts["value"] is None


ENTRY = q.SoftFootprintEntry(
    customer_id=4,
    kind="fuel_receipt",
    captured_at=datetime(2026, 11, 20, 15, 30),
    source="counter",
    confidence=0.9,
    officer_id=21,
    fuel_grade=98,
    litres=65.0,
    amount=560.0,
    detail="加油小票",
)


def _soft_count(engine: sa.Engine) -> int:
    with engine.connect() as conn:
        return conn.execute(sa.select(sa.func.count()).select_from(soft_footprints)).scalar_one()


def test_insert_soft_footprint(fresh: sa.Engine) -> None:
    first = q.insert_soft_footprint(fresh, Scope.officer(2, 21), ENTRY)
    second = q.insert_soft_footprint(
        fresh, Scope.bank(), replace(ENTRY, kind="vehicle", fuel_grade=None, litres=None)
    )
    assert second != first
    with fresh.connect() as conn:
        df = q.fetch_soft_footprints(conn, Scope.bank(), 4)
    assert df.height == 2
    row = df.filter(pl.col("soft_id") == first).row(0, named=True)
    assert (row["kind"], row["fuel_grade"], row["litres"], row["officer_name"]) == (
        "fuel_receipt",
        98,
        65.0,
        "经理21",
    )
    # the new receipt makes customer 4 a car owner
    from data_access.queries.signals import SignalQuery, fetch_signal_features

    with fresh.connect() as conn:
        feats = fetch_signal_features(conn, SignalQuery(Selection(), AS_OF, customer_ids=(4,)))
    assert feats["fuel_max_grade"].to_list() == [98]


@pytest.mark.parametrize(
    ("change", "message"),
    [
        pytest.param({"kind": "horoscope"}, "kind", id="kind"),
        pytest.param({"source": "rumour"}, "source", id="source"),
        pytest.param({"confidence": 1.2}, "confidence", id="confidence-high"),
        pytest.param({"confidence": float("nan")}, "confidence", id="confidence-nan"),
        pytest.param({"fuel_grade": 96}, "grade", id="grade-96"),
        pytest.param({"fuel_grade": None}, "grade", id="receipt-without-grade"),
        pytest.param({"litres": 0.0}, "litres", id="zero-litres"),
        pytest.param({"amount": -5.0}, "amount", id="negative-amount"),
        pytest.param({"customer_id": 999}, "not in your book", id="unknown-customer"),
    ],
)
def test_insert_rejects_bad_input_and_writes_nothing(
    fresh: sa.Engine, change: dict, message: str
) -> None:
    with pytest.raises(InvalidImport, match=message):
        q.insert_soft_footprint(fresh, Scope.bank(), replace(ENTRY, **change))
    assert _soft_count(fresh) == 3


def test_insert_outside_scope_is_refused(fresh: sa.Engine) -> None:
    with pytest.raises(InvalidImport, match="not in your book"):
        q.insert_soft_footprint(fresh, Scope.branch(1), ENTRY)
    assert _soft_count(fresh) == 3
    with pytest.raises(ValueError):  # InvalidImport is a ValueError too
        q.insert_soft_footprint(fresh, Scope.officer(2, 99), ENTRY)


def test_application_checks_against_footprints(bank: sa.Engine) -> None:
    from metrics.quality import application_contradictions

    with bank.connect() as conn:
        apps = q.fetch_application_checks(conn, Scope.bank(), 1, AS_OF)
        places = q.fetch_places(conn, Scope.bank(), 1, AS_OF)
        hidden = q.fetch_application_checks(conn, Scope.branch(2), 1, AS_OF)
    assert apps.columns[-3:] == ["observed_inflow", "inflow_count", "declared_place_seen"]
    assert [apps.schema[c] for c in apps.columns[-3:]] == [pl.Float64, pl.Int64, pl.Int64]
    # the year before 1 April 2026: remittances of June 2025 and January 2026 (not the payment out)
    assert apps.select("observed_inflow", "inflow_count", "declared_place_seen").row(0) == (
        14999.0,
        2,
        0,
    )
    assert places.rows() == [(1, "青石镇", 1)]
    assert hidden.height == 0
    flagged = application_contradictions(apps, places, 2.0).row(0, named=True)
    assert (flagged["income_flag"], flagged["place_flag"], flagged["places_seen"]) == (
        True,
        True,
        "青石镇 ×1",
    )
