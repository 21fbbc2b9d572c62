"""Value queries and mart on both databases: SQL summary = metrics.clv.rfm_summary, RFM aggregates,
the mart refresher, the segment builder and saved segments."""

from __future__ import annotations

from datetime import date, datetime

import polars as pl
import pytest
import sqlalchemy as sa

from data_access import schema
from data_access.errors import InvalidFilter, SegmentExists
from data_access.filters import Scope
from data_access.marts.value import refresh_value, tier_customers
from data_access.queries.value import (
    SegmentDefinition,
    delete_segment,
    fetch_clv_summary,
    fetch_customer_owners,
    fetch_month_activity,
    fetch_monthly_balances,
    fetch_rfm_aggregates,
    fetch_saved_segments,
    fetch_segment_breakdown,
    fetch_segment_customers,
    fetch_segment_summary,
    record_segment_action,
    save_segment,
)
from data_access.selection import Selection
from metrics.clv import rfm_summary, survival_discount_factor
from metrics.standards import load_standards
from tests.data_access.scopes import CLEAR
from tests.rows import insert_staff

AS_OF = date(2026, 11, 30)
STD = load_standards()
BANK = Selection()


def _customer(cid: int, bid: int, oid: int | None, town: str, occ: str, born: int | None) -> dict:
    return {
        "customer_id": cid,
        "branch_id": bid,
        "officer_id": oid,
        "name": ["张三", "李四", "王五", "赵六", "欧阳娜娜"][cid - 1],
        "gender": "M",
        "birth_year": born,
        "occupation": occ,
        "town": town,
        "village": None,
        "opened_on": date(2010, 1, 1),
        "declared_income": None,
        "education": None,
        "marital_status": None,
        "household_size": None,
        "phone": f"1381234{cid:04d}",
        "id_number": f"33010219700101{cid:04d}",
        "profile_updated_on": None,
        "closed_on": None,
    }


def _fp(fid: int, cid: int, at: datetime, amount: float, self_initiated: bool = True) -> dict:
    return {
        "footprint_id": fid,
        "customer_id": cid,
        "branch_id": 1 if cid in (1, 2, 5) else 2,
        "occurred_at": at,
        "kind": "payment",
        "direction": "out",
        "channel": "mobile",
        "amount": amount,
        "place": None,
        "merchant_category": None,
        "counterparty_type": "merchant",
        "self_initiated": self_initiated,
    }


def _bal(cid: int, month: date, aum: float, loan: float = 0.0) -> dict:
    return {
        "customer_id": cid,
        "month": month,
        "branch_id": 1 if cid in (1, 2, 5) else 2,
        "demand_avg": aum / 2,
        "time_avg": aum / 4,
        "wealth_avg": aum / 4,
        "loan_avg": loan,
        "deposit_end": 0.0,
        "loan_end": 0.0,
    }


FOOTPRINTS = [
    _fp(1, 1, datetime(2026, 10, 1, 10), 100.0),
    _fp(2, 1, datetime(2026, 10, 1, 15), 50.0),  # same day as the one above
    _fp(3, 1, datetime(2026, 10, 15, 9), 200.0),
    _fp(4, 1, datetime(2026, 11, 20, 23, 59), 300.0),
    _fp(5, 1, datetime(2026, 11, 21, 8), 999.0, self_initiated=False),
    _fp(6, 1, datetime(2026, 12, 1, 0, 0), 77.0),  # after the end
    _fp(7, 2, datetime(2026, 6, 1, 12), 10.0),
    _fp(8, 3, datetime(2026, 11, 1, 12), 20.0),
    _fp(9, 3, datetime(2026, 11, 2, 12), 40.0),
    _fp(10, 4, datetime(2025, 1, 1, 12), 5.0),
]


@pytest.fixture
def bank(empty_engine: sa.Engine) -> sa.Engine:
    with empty_engine.begin() as conn:
        insert_staff(conn, (1, 2), ((11, 1), (21, 2)))
        conn.execute(
            schema.customers.insert(),
            [
                _customer(1, 1, 11, "城关镇", "merchant", 1970),
                _customer(2, 1, 11, "河口镇", "farmer", 1990),
                _customer(3, 2, 21, "城关镇", "farmer", 1960),
                _customer(4, 2, 21, "河口镇", "teacher", 1985),
                _customer(5, 1, None, "河口镇", "farmer", None),
            ],
        )
        conn.execute(schema.footprints.insert(), FOOTPRINTS)
        conn.execute(
            schema.balance_snapshots.insert(),
            [
                _bal(1, date(2026, 9, 1), 600_000),
                _bal(1, date(2026, 10, 1), 600_000),
                _bal(1, date(2026, 11, 1), 600_000),
                _bal(2, date(2026, 10, 1), 10_000),
                _bal(2, date(2026, 11, 1), 60_000),
                _bal(3, date(2026, 11, 1), 7_000_000),
                _bal(5, date(2026, 11, 1), 100, loan=20_000),
            ],
        )
        conn.execute(
            schema.product_holdings.insert(),
            [
                {
                    "holding_id": 1,
                    "customer_id": 1,
                    "branch_id": 1,
                    "product": "credit_card",
                    "opened_on": date(2020, 1, 1),
                    "closed_on": None,
                    "balance": None,
                    "credit_limit": 5000.0,
                },
                {
                    "holding_id": 2,
                    "customer_id": 2,
                    "branch_id": 1,
                    "product": "credit_card",
                    "opened_on": date(2020, 1, 1),
                    "closed_on": date(2024, 1, 1),  # closed: no longer held
                    "balance": None,
                    "credit_limit": 5000.0,
                },
            ],
        )
    return empty_engine


@pytest.mark.parametrize("unit", [pytest.param("D", id="days"), pytest.param("W", id="weeks")])
def test_sql_summary_equals_metrics(bank: sa.Engine, unit: str) -> None:
    f = schema.footprints
    with bank.connect() as conn:
        got = fetch_clv_summary(conn, Scope.bank(), AS_OF, unit)
        rows = conn.execute(
            sa.select(f.c.customer_id, f.c.occurred_at, f.c.amount).where(
                f.c.self_initiated.is_(True)
            )
        ).all()
    raw = pl.DataFrame(rows, schema=["customer_id", "occurred_at", "amount"], orient="row")
    want = rfm_summary(
        raw,
        customer_col="customer_id",
        date_col="occurred_at",
        amount_col="amount",
        observation_end=AS_OF,
        time_unit=unit,
    )
    assert got["customer_id"].to_list() == want["customer_id"].to_list() == [1, 2, 3, 4]
    assert got["frequency"].to_list() == want["frequency"].to_list() == [2, 0, 1, 0]
    for col in ("recency", "T", "monetary_value"):
        assert got[col].to_list() == pytest.approx(want[col].to_list()), col
    assert got["monetary_value"].to_list() == pytest.approx([250.0, 0.0, 40.0, 0.0])


def test_rfm_aggregates(bank: sa.Engine) -> None:
    with bank.connect() as conn:
        out = fetch_rfm_aggregates(conn, Scope.bank(), AS_OF, 365)
        branch2 = fetch_rfm_aggregates(conn, Scope.branch(2), AS_OF, 365)
    assert out.to_dict(as_series=False) == {
        "customer_id": [1, 2, 3, 4, 5],
        "recency_days": [10, 182, 28, None, None],
        "frequency": [4, 1, 2, 0, 0],
        "monetary": [650.0, 10.0, 60.0, 0.0, 0.0],
    }
    assert branch2["customer_id"].to_list() == [3, 4]


def test_refresh_value_mart(bank: sa.Engine) -> None:
    written = refresh_value(bank, STD, AS_OF, lambda _m, _p: None)
    assert written == 5
    with bank.connect() as conn:
        value = pl.DataFrame(
            conn.execute(sa.select(schema.customer_value).order_by("customer_id")).mappings().all()
        )
        months = pl.DataFrame(
            conn.execute(sa.select(schema.customer_tier_months).order_by("customer_id", "month"))
            .mappings()
            .all()
        )
        vip = [r[0] for r in conn.execute(tier_customers(("vip",)))]
    assert value["tier"].to_list() == ["vip", "mass", "private", "mass", "mass"]
    assert value["aum"].to_list() == pytest.approx([600_000, 60_000, 7_000_000, 0, 100])
    # c4: no AUM, no loan, no transaction in November; c5: holds a loan
    assert value["effective"].to_list() == [True, True, True, False, True]
    assert value["frequency_count"].to_list() == [4, 1, 2, 0, 0]
    assert value["r_score"].to_list()[0] == 5
    assert value["p_alive"].to_list() == [None] * 5  # too few customers to fit the model
    assert value["officer_id"].to_list() == [11, 11, 21, 21, None]
    # c2 qualified for affluent in November: upgraded only from December
    assert months.filter(pl.col("customer_id") == 2)["tier"].to_list() == ["mass", "mass"]
    assert months.height == 7
    assert vip == [1]
    # refreshing again replaces, never duplicates
    assert refresh_value(bank, STD, AS_OF, lambda _m, _p: None) == 5


def _members(
    conn: sa.Connection, defn: SegmentDefinition, selection: Selection = BANK
) -> list[int]:
    out = fetch_segment_customers(conn, selection, defn, AS_OF)
    return sorted(out["customer_id"].to_list())


@pytest.mark.parametrize(
    ("defn", "extra", "expected"),
    [
        pytest.param(SegmentDefinition(), {}, [1, 2, 3, 4, 5], id="everyone"),
        pytest.param(SegmentDefinition(tiers=("vip",)), {}, [1], id="tier"),
        pytest.param(SegmentDefinition(towns=("城关镇",)), {}, [1, 3], id="town"),
        pytest.param(SegmentDefinition(age_min=50), {}, [1, 3], id="age-50-plus"),
        pytest.param(SegmentDefinition(age_min=36, age_max=41), {}, [2, 4], id="age-band"),
        pytest.param(SegmentDefinition(occupations=("farmer",)), {}, [2, 3, 5], id="occupation"),
        pytest.param(SegmentDefinition(products_held=("credit_card",)), {}, [1], id="held"),
        pytest.param(
            SegmentDefinition(products_not_held=("credit_card",)), {}, [2, 3, 4, 5], id="not-held"
        ),
        pytest.param(SegmentDefinition(signals=("car_owner",)), {}, [1], id="signal"),
        pytest.param(
            SegmentDefinition(),
            {"selection": Selection(tiers=("private",))},
            [3],
            id="sidebar-tier",
        ),
        pytest.param(
            SegmentDefinition(), {"selection": Selection(Scope.branch(1))}, [1, 2, 5], id="scope"
        ),
        pytest.param(
            SegmentDefinition(),
            {"selection": Selection(officer_ids=(21,))},
            [3, 4],
            id="officers",
        ),
        pytest.param(SegmentDefinition(tiers=("vip",), towns=("河口镇",)), {}, [], id="empty"),
    ],
)
def test_segment_builder(
    bank: sa.Engine, defn: SegmentDefinition, extra: dict, expected: list[int]
) -> None:
    refresh_value(bank, STD, AS_OF, lambda _m, _p: None)
    with bank.begin() as conn:
        conn.execute(
            schema.customer_signals.insert(),
            [
                {
                    "customer_id": cid,
                    "branch_id": 1,
                    "officer_id": None,
                    "car_owner": cid == 1,
                    "merchant": False,
                    "migrant_family": False,
                    "pensioner": False,
                    "outflow_risk": False,
                    "internet_credit": False,
                    "family_event": False,
                }
                for cid in (1, 2)
            ],
        )
    with bank.connect() as conn:
        assert _members(conn, defn, **extra) == expected
        summary = fetch_segment_summary(conn, extra.get("selection", BANK), defn, AS_OF)
    assert summary["customers"].item() == len(expected)


def test_segment_summary_and_breakdown(bank: sa.Engine) -> None:
    refresh_value(bank, STD, AS_OF, lambda _m, _p: None)
    defn = SegmentDefinition(towns=("城关镇",))
    with bank.connect() as conn:
        summary = fetch_segment_summary(conn, BANK, defn, AS_OF)
        breakdown = fetch_segment_breakdown(conn, BANK, defn, AS_OF)
        listed = fetch_segment_customers(conn, Selection(CLEAR), defn, AS_OF, limit=1)
    # CLV: the bank's margin on c1's and c3's balances (half demand, a quarter time, a quarter
    # wealth) and c1's credit-card fee; no P(alive) without a fit: attrition alone
    c = STD.clv
    yearly = (
        7_600_000 / 2 * (c.transfer_price - c.demand_deposit_rate)
        + 7_600_000 / 4 * (c.transfer_price - c.time_deposit_rate)
        + 7_600_000 / 4 * c.wealth_fee_rate
        + c.annual_fees["credit_card"]
    )
    expected_clv = yearly / 12 * survival_discount_factor(c)
    assert summary.row(0) == (2, pytest.approx(7_600_000.0), pytest.approx(expected_clv))
    assert breakdown.select("tier", "customers").to_dict(as_series=False) == {
        "tier": ["private", "vip"],
        "customers": [1, 1],
    }
    assert listed["customer_id"].to_list() == [3]  # no CLV yet: highest AUM first
    assert listed["phone"].to_list() == ["13812340003"]  # the page masks it


def test_saved_segments(bank: sa.Engine) -> None:
    a = SegmentDefinition(tiers=("vip",), towns=("城关镇",), age_min=30, clv_min=10.5)
    with bank.begin() as conn:
        save_segment(conn, "demo", "富裕城关", a, datetime(2026, 11, 30, 9))
        save_segment(conn, "demo", "other", SegmentDefinition(), datetime(2026, 11, 30, 9))
        with pytest.raises(SegmentExists):  # the same name again: only when the user said yes
            save_segment(conn, "demo", "富裕城关", SegmentDefinition(), datetime(2026, 11, 30, 10))
        save_segment(conn, "demo", "富裕城关", a, datetime(2026, 11, 30, 10), replace=True)
        save_segment(conn, "someone", "other", SegmentDefinition(), datetime(2026, 11, 30, 9))
    with bank.connect() as conn:
        saved = fetch_saved_segments(conn, "demo")
    assert saved["name"].to_list() == ["other", "富裕城关"]
    assert SegmentDefinition.from_json(saved["definition"][1]) == a
    with bank.begin() as conn:
        assert delete_segment(conn, "demo", "other") == 1
    with bank.connect() as conn:
        assert fetch_saved_segments(conn, "demo")["name"].to_list() == ["富裕城关"]
        assert fetch_saved_segments(conn, "someone").height == 1


@pytest.mark.parametrize(
    "kwargs",
    [
        pytest.param({"tiers": ("gold",)}, id="tier"),
        pytest.param({"products_held": ("yacht",)}, id="product"),
        pytest.param({"signals": ("rich",)}, id="signal"),
        pytest.param({"age_min": 50, "age_max": 40}, id="age"),
        pytest.param({"clv_min": 5.0, "clv_max": 1.0}, id="clv"),
        pytest.param({"towns": ["x"]}, id="list-not-tuple"),
    ],
)
def test_segment_definition_validation(kwargs: dict) -> None:
    with pytest.raises(InvalidFilter):
        SegmentDefinition(**kwargs)


def test_segment_definition_json_refuses_unknown_keys() -> None:
    with pytest.raises(InvalidFilter, match="unknown keys"):
        SegmentDefinition.from_json('{"tiers": [], "drop": 1}')


def test_segment_definition_accepts_campaign_spellings() -> None:
    text = '{"tiers": ["affluent"], "signals": ["car_owner"], "without_product": "credit_card"}'
    assert SegmentDefinition.from_json(text) == SegmentDefinition(
        tiers=("affluent",), signals=("car_owner",), products_not_held=("credit_card",)
    )
    assert SegmentDefinition.from_json('{"with_product": ["wealth"]}').products_held == ("wealth",)


def test_scopes_narrow_the_mart_inputs(bank: sa.Engine) -> None:
    officer = Scope.officer(2, 21)
    with bank.connect() as conn:
        balances = fetch_monthly_balances(conn, officer, date(2026, 1, 1), date(2026, 11, 1))
        summary = fetch_clv_summary(conn, officer, AS_OF)
        branch1 = fetch_clv_summary(conn, Scope.branch(1), AS_OF)
        activity = fetch_month_activity(conn, Scope.bank(), date(2026, 11, 1))
        owners = fetch_customer_owners(conn, Scope.branch(1))
    assert balances["customer_id"].to_list() == [3]
    assert summary["customer_id"].to_list() == [3, 4]
    assert branch1["customer_id"].to_list() == [1, 2]
    # November: c1 one self-initiated (the 21st was not), c3 two
    assert activity.to_dict(as_series=False) == {
        "customer_id": [1, 3],
        "self_initiated_transactions": [1, 2],
    }
    assert owners["customer_id"].to_list() == [1, 2, 5]


def test_segment_actions_are_audited(bank: sa.Engine) -> None:
    defn = SegmentDefinition(tiers=("vip",))
    with bank.begin() as conn:
        record_segment_action(conn, "demo", "export", "vip list", defn, datetime(2026, 11, 30, 9))
        with pytest.raises(InvalidFilter):
            record_segment_action(conn, "demo", "print", "x", defn, datetime(2026, 11, 30, 9))
    with bank.connect() as conn:
        rows = conn.execute(
            sa.select(
                schema.audit_log.c.username,
                schema.audit_log.c.action,
                schema.audit_log.c.target,
                schema.audit_log.c.detail,
            )
        ).all()
    assert [tuple(r) for r in rows] == [("demo", "export", "vip list", defn.to_json())]


def _mart(bank: sa.Engine, as_of: date) -> dict[int, tuple[str, float]]:
    refresh_value(bank, STD, as_of, lambda _m, _p: None)
    with bank.connect() as conn:
        rows = conn.execute(sa.select(schema.customer_value)).mappings().all()
    return {r["customer_id"]: (r["tier"], r["aum"]) for r in rows}


@pytest.mark.parametrize(
    ("as_of", "tier_of_c2"),
    [
        # in force in November: October's balances (10,000) -> mass, on the 22nd and on the 30th
        pytest.param(date(2026, 11, 22), "mass", id="inside-november"),
        pytest.param(date(2026, 11, 30), "mass", id="last-day-of-november"),
        # in force in December: November's balances (60,000) -> affluent, from the 1st
        pytest.param(date(2026, 12, 1), "affluent", id="first-of-december"),
        pytest.param(date(2026, 12, 2), "affluent", id="second-of-december"),
    ],
)
def test_tier_in_force_rests_on_the_month_before(
    bank: sa.Engine, as_of: date, tier_of_c2: str
) -> None:
    """The standard's worked example: upgrade the month after qualifying, across month ends."""
    mart = _mart(bank, as_of)
    assert mart[2][0] == tier_of_c2
    # c3 appears in November with 7,000,000: a first month takes its own tier once it is full
    assert mart[3][0] == ("private" if as_of >= date(2026, 11, 30) else "mass")


def test_tier_in_force_downgrades_after_three_months_below(bank: sa.Engine) -> None:
    """VIP in July, below the bar from August: still VIP in October, affluent from November."""
    with bank.begin() as conn:
        conn.execute(
            sa.delete(schema.balance_snapshots).where(schema.balance_snapshots.c.customer_id == 1)
        )
        conn.execute(
            schema.balance_snapshots.insert(),
            [_bal(1, date(2026, 7, 1), 600_000)]
            + [_bal(1, date(2026, m, 1), 100_000) for m in (8, 9, 10, 11)],
        )
    assert _mart(bank, date(2026, 10, 31))[1][0] == "vip"  # Aug, Sep below; Oct not yet counted
    assert _mart(bank, date(2026, 11, 2))[1][0] == "affluent"  # Aug, Sep, Oct below


def test_closed_customers_are_in_no_tier_segment_or_quintile(bank: sa.Engine) -> None:
    with bank.begin() as conn:
        conn.execute(
            sa.update(schema.customers)
            .where(schema.customers.c.customer_id == 3)
            .values(closed_on=date(2026, 11, 25))
        )
    before_closing = _mart(bank, date(2026, 11, 24))
    after_closing = _mart(bank, date(2026, 11, 30))
    assert sorted(before_closing) == [1, 2, 3, 4, 5]
    assert sorted(after_closing) == [1, 2, 4, 5]
    with bank.connect() as conn:
        members = fetch_segment_customers(conn, BANK, SegmentDefinition(), AS_OF)
        f_scores = dict(
            conn.execute(
                sa.select(schema.customer_value.c.customer_id, schema.customer_value.c.f_score)
            ).all()
        )
    assert sorted(members["customer_id"].to_list()) == [1, 2, 4, 5]
    # quintiles among the four open customers (4, 1, 0, 0 transactions); with the closed c3
    # (2 transactions) still ranked, c1 would score 5
    assert f_scores == {1: 4, 2: 3, 4: 1, 5: 1}
