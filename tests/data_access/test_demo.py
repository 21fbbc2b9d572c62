"""The demo bank keeps its promises, in numbers, on DuckDB and on PostgreSQL.

The session's demo bank (3,000 customers, seed 7, ending 2026-11-22) is read through portable SQL;
medians and shares are computed here from small per-customer or per-week aggregates.
"""

from __future__ import annotations

import hashlib
from datetime import date, datetime, timedelta
from pathlib import Path

import numpy as np
import pytest
import sqlalchemy as sa

from data_access.demo import build_demo
from data_access.demo.calendar import SPRING_FESTIVALS
from data_access.engine import make_engine
from data_access.errors import DatabaseNotEmpty
from data_access.importing.rules import IMPORT_ORDER
from data_access.queries.quality_queue import FIXABLE
from data_access.schema import metadata

END = date(2026, 11, 22)
# the tables the generator writes (marts belong to the refreshers)
DEMO_TABLES = (*IMPORT_ORDER, "saved_segments", "roles")


@pytest.fixture(params=["duckdb", "postgresql"])
def demo(request: pytest.FixtureRequest) -> sa.Engine:
    """The session's demo bank on each backend."""
    name = "demo_engine" if request.param == "duckdb" else "demo_pg_engine"
    return request.getfixturevalue(name)


def rows(engine: sa.Engine, sql: str, **params) -> list[tuple]:
    with engine.connect() as conn:
        return [tuple(r) for r in conn.execute(sa.text(sql), params).all()]


def scalar(engine: sa.Engine, sql: str, **params):
    with engine.connect() as conn:
        return conn.execute(sa.text(sql), params).scalar_one()


def _norm(v: object) -> object:
    if isinstance(v, float):
        return round(v, 4)
    if isinstance(v, (datetime, date)):
        return v.isoformat()
    if isinstance(v, bool):
        return int(v)
    return v


def digest(engine: sa.Engine, table: str) -> str:
    """A hash of every row of ``table`` in primary-key order."""
    t = metadata.tables[table]
    h = hashlib.sha256()
    with engine.connect() as conn:
        result = conn.execute(sa.select(t).order_by(*t.primary_key.columns))
        for row in result:
            h.update(repr(tuple(_norm(v) for v in row)).encode())
    return h.hexdigest()


# --- determinism ------------------------------------------------------------------------------


@pytest.mark.parametrize("table", DEMO_TABLES)
def test_same_seed_gives_identical_data_on_both_backends(
    demo_engine: sa.Engine, demo_pg_engine: sa.Engine, table: str
) -> None:
    assert digest(demo_engine, table) == digest(demo_pg_engine, table)


def test_same_seed_same_data_and_another_seed_differs(tmp_path: Path) -> None:
    def bank(name: str, seed: int) -> sa.Engine:
        engine = make_engine(f"duckdb:///{tmp_path / name}")
        build_demo(engine, customers=400, seed=seed, end_date=END)
        return engine

    a, b, c = bank("a.duckdb", 11), bank("b.duckdb", 11), bank("c.duckdb", 12)
    for table in ("customers", "footprints", "marketing_events", "soft_footprints"):
        assert digest(a, table) == digest(b, table), table
        assert digest(a, table) != digest(c, table), table
    for e in (a, b, c):
        e.dispose()


def test_refuses_to_overwrite_a_bank_without_replace(demo_engine: sa.Engine) -> None:
    with pytest.raises(DatabaseNotEmpty):
        build_demo(demo_engine, customers=300, seed=1, end_date=END)


# --- shape of the bank ------------------------------------------------------------------------


def test_every_table_has_rows_and_the_stamp_is_written(demo: sa.Engine) -> None:
    for table in DEMO_TABLES:
        assert scalar(demo, f"select count(*) from {table}") > 0, table
    meta = dict(rows(demo, "select key, value from bank_meta"))
    assert meta["data_as_of"] == "2026-11-22"
    assert (meta["seed"], meta["customers"]) == ("7", "3000")
    assert {"generator_version", "loaded_at"} <= set(meta)


def test_outlets_officers_and_an_older_rural_population(demo: sa.Engine) -> None:
    branches = rows(demo, "select town, name from branches")
    assert 30 <= len(branches) <= 80
    assert all(town.endswith("镇") for town, _ in branches)
    per_branch = rows(demo, "select branch_id, count(*) from officers group by branch_id")
    assert len(per_branch) == len(branches) and min(n for _, n in per_branch) >= 3
    births = np.array(
        [r[0] for r in rows(demo, "select birth_year from customers where birth_year is not null")]
    )
    share_60 = float(np.mean(END.year - births >= 60))
    assert 0.18 <= share_60 <= 0.33
    occupations = dict(rows(demo, "select occupation, count(*) from customers group by occupation"))
    assert {"farmer", "merchant", "migrant_worker", "civil_servant", "teacher", "retiree"} <= set(
        occupations
    )


def test_id_numbers_carry_a_valid_check_digit(demo: sa.Engine) -> None:
    weights = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]
    ids = [r[0] for r in rows(demo, "select id_number from customers where customer_id <= 200")]
    for n in ids:
        assert len(n) == 18
        assert (
            "10X98765432"[sum(int(d) * w for d, w in zip(n[:17], weights, strict=True)) % 11]
            == n[17]
        )


def test_tier_shares(demo: sa.Engine) -> None:
    aum = np.array(
        [
            r[0]
            for r in rows(
                demo,
                "select demand_avg + time_avg + wealth_avg from balance_snapshots where month = :m",
                m=date(2026, 10, 1),
            )
        ]
    )
    shares = [
        np.mean(aum < 50_000),
        np.mean((aum >= 50_000) & (aum < 500_000)),
        np.mean((aum >= 500_000) & (aum < 6_000_000)),
        np.mean(aum >= 6_000_000),
    ]
    assert 0.80 <= shares[0] <= 0.90, shares
    assert 0.08 <= shares[1] <= 0.16, shares
    assert 0.01 <= shares[2] <= 0.05, shares
    assert shares[3] < 0.01, shares


def test_at_least_fifty_footprints_per_customer(demo: sa.Engine) -> None:
    n = scalar(demo, "select count(*) from footprints")
    assert n / 3000 >= 50


def test_snapshots_cover_two_years_and_history_before(demo: sa.Engine) -> None:
    months = rows(demo, "select count(distinct month), min(month) from balance_snapshots")[0]
    assert months[0] >= 30 and months[1] <= date(2024, 6, 1)


# --- seasonality and behaviour ----------------------------------------------------------------


def _weekly(demo: sa.Engine, kind: str) -> dict[date, float]:
    got = rows(
        demo,
        "select date_trunc('week', occurred_at) as w, sum(amount) from footprints "
        "where kind = :k group by date_trunc('week', occurred_at)",
        k=kind,
    )
    return {(w.date() if isinstance(w, datetime) else w): float(s) for w, s in got}


def test_spring_festival_remittances_dwarf_a_median_week(demo: sa.Engine) -> None:
    weekly = _weekly(demo, "remittance_in")
    median = float(np.median(list(weekly.values())))
    for sf in SPRING_FESTIVALS:
        if not date(2024, 12, 1) <= sf <= END:
            continue
        before = [v for w, v in weekly.items() if sf - timedelta(days=21) <= w <= sf]
        assert max(before) > 4 * median, sf


def test_spring_planting_loan_draws(demo: sa.Engine) -> None:
    got = rows(
        demo,
        "select extract(month from occurred_at) as m, count(*) from footprints "
        "where kind = 'loan_draw' group by extract(month from occurred_at)",
    )
    by_month = {int(m): n for m, n in got}
    spring = (by_month[3] + by_month[4]) / 2
    others = np.mean([n for m, n in by_month.items() if m not in (3, 4)])
    assert spring > 2.5 * others


def test_channel_shift_from_counter_to_mobile(demo: sa.Engine) -> None:
    def shares(lo: date, hi: date) -> tuple[float, float]:
        got = dict(
            rows(
                demo,
                "select channel, count(*) from footprints where self_initiated "
                "and occurred_at >= :lo and occurred_at < :hi group by channel",
                lo=lo,
                hi=hi,
            )
        )
        total = sum(got.values())
        return got.get("mobile", 0) / total, got.get("counter", 0) / total

    mobile_0, counter_0 = shares(date(2024, 12, 1), date(2025, 3, 1))
    mobile_1, counter_1 = shares(date(2026, 6, 1), date(2026, 9, 1))
    assert mobile_1 > mobile_0 + 0.08
    assert counter_1 < counter_0


def test_fuel_receipts_go_with_wealth(demo: sa.Engine) -> None:
    aum = dict(
        rows(
            demo,
            "select customer_id, demand_avg + time_avg + wealth_avg from balance_snapshots "
            "where month = :m",
            m=date(2026, 10, 1),
        )
    )
    big = {
        r[0]
        for r in rows(
            demo,
            "select distinct customer_id from soft_footprints where kind = 'fuel_receipt' and (fuel_grade = 98 or litres >= 50)",
        )
    }
    any_receipt = {
        r[0]
        for r in rows(
            demo, "select distinct customer_id from soft_footprints where kind = 'fuel_receipt'"
        )
    }
    with_big = [aum[c] for c in big if c in aum]
    without = [v for c, v in aum.items() if c not in any_receipt]
    assert len(with_big) >= 20
    assert np.median(with_big) > 5 * np.median(without)


@pytest.mark.parametrize(
    "sql",
    [
        pytest.param(
            "select officer_id, occurred_at from officer_activities where kind = 'visit'",
            id="visits",
        ),
        pytest.param("select officer_id, captured_at from soft_footprints", id="soft-footprints"),
    ],
)
def test_training_attendees_change_behaviour(demo: sa.Engine, sql: str) -> None:
    """Difference in differences per officer, 8 weeks before and after each training."""
    trainings = rows(demo, "select training_id, held_on from trainings")
    invited = {
        (t, o): a
        for t, o, a in rows(
            demo, "select training_id, officer_id, attended from training_attendance"
        )
    }
    visits = rows(demo, sql)
    officers = [r[0] for r in rows(demo, "select officer_id from officers where role <> 'teller'")]
    by_officer: dict[int, list[datetime]] = {o: [] for o in officers}
    for o, at in visits:
        if o in by_officer:
            by_officer[o].append(at)
    diffs = {True: [], False: []}
    for t, held in trainings:
        h = datetime.combine(held, datetime.min.time())
        for o in officers:
            ts = by_officer[o]
            pre = sum(h - timedelta(days=56) <= x < h for x in ts)
            post = sum(h + timedelta(days=1) <= x < h + timedelta(days=57) for x in ts)
            diffs[bool(invited.get((t, o), False))].append((pre, post))
    att = np.array(diffs[True], dtype=float).sum(axis=0)
    non = np.array(diffs[False], dtype=float).sum(axis=0)
    uplift_att = att[1] / att[0] - 1
    uplift_non = non[1] / non[0] - 1
    assert uplift_att - uplift_non > 0.2, (uplift_att, uplift_non)
    assert abs(uplift_non) < 0.1


def test_funnel_stages_in_order_inside_the_window(demo: sa.Engine) -> None:
    stage_order = {"targeted": 0, "contacted": 1, "interested": 2, "applied": 3, "converted": 4}
    windows = dict(rows(demo, "select campaign_id, conversion_window_days from campaigns"))
    events = rows(
        demo,
        "select campaign_id, customer_id, stage, occurred_at from marketing_events "
        "order by campaign_id, customer_id, occurred_at",
    )
    journeys: dict[tuple[int, int], list[tuple[int, datetime]]] = {}
    for c, cust, stage, at in events:
        journeys.setdefault((c, cust), []).append((stage_order[stage], at))
    counts = np.zeros(5)
    for (c, _), steps in journeys.items():
        stages = [s for s, _ in steps]
        assert stages == list(range(len(stages)))
        assert steps[-1][1] - steps[0][1] <= timedelta(days=windows[c])
        counts[: len(stages)] += 1
    assert all(counts[i] > counts[i + 1] for i in range(4))


def test_conversion_depends_on_officer_skill_and_diligence(demo: sa.Engine) -> None:
    """Officers who contact more of their targets are the more diligent ones (hidden trait)."""
    got = rows(
        demo,
        "select officer_id, sum(case when stage = 'targeted' then 1 else 0 end), "
        "sum(case when stage = 'contacted' then 1 else 0 end) from marketing_events "
        "where officer_id is not null group by officer_id",
    )
    rates = np.array([c / t for _, t, c in got if t >= 15])
    assert rates.max() - rates.min() > 0.3


def test_churners_move_money_to_other_banks(demo: sa.Engine) -> None:
    got = rows(
        demo,
        "select customer_id, sum(case when counterparty_type in ('other_bank', 'internet_platform') "
        "then amount else 0 end), sum(amount), count(*) from footprints where kind = 'transfer_out' "
        "and occurred_at >= :lo group by customer_id",
        lo=date(2026, 5, 22),
    )
    leaving = {c for c, away, total, n in got if n >= 3 and away / total > 0.6}
    assert len(leaving) >= 0.025 * 3000
    ratio = dict(
        rows(
            demo,
            "select customer_id, sum(case when month = :a then demand_avg + time_avg + wealth_avg "
            "else 0 end) / nullif(sum(case when month = :b then demand_avg + time_avg + wealth_avg "
            "else 0 end), 0) from balance_snapshots group by customer_id",
            a=date(2026, 10, 1),
            b=date(2026, 1, 1),
        )
    )
    theirs = [float(ratio[c]) for c in leaving if ratio.get(c) is not None]
    others = [float(v) for c, v in ratio.items() if v is not None and c not in leaving]
    assert np.median(theirs) < np.median(others) - 0.2


def test_dormant_customers_stop_transacting_and_stay_open(demo: sa.Engine) -> None:
    """Some older customers go quiet (睡眠户): open, credits still arriving, no act of their own
    for months after a year of them; standing loan instalments are not the customer's own act."""
    quiet = rows(
        demo,
        "select c.customer_id from customers c where c.closed_on is null "
        "and exists (select 1 from footprints f where f.customer_id = c.customer_id "
        "  and f.self_initiated and f.occurred_at < :mid) "
        "and not exists (select 1 from footprints f where f.customer_id = c.customer_id "
        "  and f.self_initiated and f.occurred_at >= :mid)",
        mid=datetime(2026, 5, 22),
    )
    assert 0.01 * 3000 <= len(quiet) <= 0.08 * 3000
    credited = scalar(
        demo,
        "select count(distinct customer_id) from footprints where not self_initiated "
        "and occurred_at >= :mid and customer_id in (select customer_id from customers "
        "where closed_on is null and customer_id not in (select customer_id from footprints "
        "where self_initiated and occurred_at >= :mid))",
        mid=datetime(2026, 5, 22),
    )
    assert credited > 0.3 * len(quiet)
    kinds = rows(
        demo,
        "select channel, bool_or(self_initiated), bool_and(self_initiated) from footprints "
        "where kind = 'loan_repayment' group by channel order by channel",
    )
    assert ("internet", False, False) in kinds  # the monthly standing debit
    assert ("counter", True, True) in kinds  # repaid in person after the harvest


# --- information quality and contradictions --------------------------------------------------


def test_missing_profile_fields_concentrate_in_some_books(demo: sa.Engine) -> None:
    fields = FIXABLE  # the fields an officer fills in
    blanks = " + ".join(f"case when {f} is null then 1 else 0 end" for f in fields)
    got = rows(
        demo,
        f"select officer_id, avg(({blanks}) * 1.0 / {len(fields)}), count(*) from customers "
        "where officer_id is not null group by officer_id",
    )
    shares = np.array([s for _, s, n in got if n >= 20])
    assert shares.min() < 0.07
    assert shares.max() > 0.25


def test_loan_applications_contradicting_footprints(demo: sa.Engine) -> None:
    apps = rows(
        demo,
        "select a.application_id, a.declared_income, coalesce(sum(f.amount), 0) "
        "from loan_applications a left join footprints f on f.customer_id = a.customer_id "
        "and f.direction = 'in' and f.occurred_at >= a.applied_on - interval '365 days' "
        "and f.occurred_at < a.applied_on group by a.application_id, a.declared_income",
    )
    flagged = [i for i, declared, inflow in apps if declared >= 2 * inflow]
    assert 0.05 <= len(flagged) / len(apps) <= 0.35
    unseen = scalar(
        demo,
        "select count(*) from loan_applications a where not exists (select 1 from footprints f "
        "where f.customer_id = a.customer_id and f.place = a.declared_place)",
    )
    assert unseen > 0


def test_declared_income_contradictions_sit_in_careless_books(demo: sa.Engine) -> None:
    got = rows(
        demo,
        "select c.officer_id, c.declared_income, coalesce(sum(f.amount), 0) from customers c "
        "left join footprints f on f.customer_id = c.customer_id and f.direction = 'in' "
        "and f.occurred_at >= :lo where c.declared_income is not null and c.officer_id is not null "
        "and c.closed_on is null and c.opened_on < :lo group by c.customer_id, c.officer_id, c.declared_income",
        lo=date(2025, 11, 23),
    )
    by_officer: dict[int, list[bool]] = {}
    for o, declared, inflow in got:
        by_officer.setdefault(o, []).append(declared >= 3 * max(inflow, 1.0))
    rates = np.array([np.mean(v) for v in by_officer.values() if len(v) >= 20])
    assert rates.max() > 3 * max(np.median(rates), 0.01)


def test_branch_weekly_ledger_matches_customer_balances(demo: sa.Engine) -> None:
    ledger = scalar(
        demo,
        "select sum(deposit_balance) from branch_weekly_balances where week_start = :w",
        w=date(2026, 9, 14),
    )
    customers = scalar(
        demo,
        "select sum(demand_avg + time_avg) from balance_snapshots where month = :m",
        m=date(2026, 9, 1),
    )
    assert ledger == pytest.approx(customers, rel=0.1)


def test_weekly_targets_for_every_branch_week_and_kpi_some_missed(demo: sa.Engine) -> None:
    from data_access.schema import KPI_CODES

    n_branches = scalar(demo, "select count(*) from branches")
    n_weeks = scalar(demo, "select count(distinct week_start) from branch_weekly_balances")
    assert scalar(demo, "select count(*) from weekly_targets") == n_branches * n_weeks * len(
        KPI_CODES
    )
    got = rows(
        demo,
        "select b.branch_id, b.deposit_balance, t.target from branch_weekly_balances b "
        "join weekly_targets t on t.branch_id = b.branch_id and t.week_start = b.week_start "
        "and t.kpi = 'deposit_balance' where b.week_start = :w",
        w=date(2026, 11, 16),
    )
    missed = sum(balance < target for _, balance, target in got)
    assert 0 < missed < len(got)


def test_a_load_that_dies_midway_leaves_no_data_as_of_stamp(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import data_access.demo as demo_pkg
    from data_access.demo.load import is_empty

    def boom(*_args, **_kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(demo_pkg, "soft_footprints_table", boom)
    engine = make_engine(f"duckdb:///{tmp_path / 'half.duckdb'}")
    with pytest.raises(RuntimeError, match="disk full"):
        build_demo(engine, customers=300, seed=3, end_date=END)
    assert not is_empty(engine)  # footprints were written ...
    keys = {r[0] for r in rows(engine, "select key from bank_meta")}
    assert "data_as_of" not in keys  # ... but the bank is not marked complete
    monkeypatch.undo()
    with pytest.raises(DatabaseNotEmpty):
        build_demo(engine, customers=300, seed=3, end_date=END)
    build_demo(engine, customers=300, seed=3, end_date=END, replace=True)
    assert scalar(engine, "select value from bank_meta where key = 'data_as_of'") == "2026-11-22"
    engine.dispose()
