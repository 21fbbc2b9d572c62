"""The demo bank: a rural commercial bank a branch president would recognise, from one seed.

``build_demo(engine, customers=20_000, seed=7, end_date=date(2026, 11, 22))`` generates two years
of history ending at ``end_date`` and bulk-loads it (Arrow into DuckDB, COPY into PostgreSQL).
The same seed and size always give the same data. ``bank_meta.data_as_of`` is written last: a
database without it was not loaded completely.
"""

from __future__ import annotations

import gc
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import date, datetime, time
from typing import Any, TypeVar

import numpy as np
import pyarrow as pa
import sqlalchemy as sa

from data_access import load_state
from data_access.demo import load
from data_access.demo.anomalies import choose_plants, plant_ledger, plant_outflows, planted_table
from data_access.demo.app_records import write_app_records
from data_access.demo.calendar import Calendar
from data_access.demo.credit import (
    choose_credit_plants,
    external_limits_table,
    loan_applications_table,
)
from data_access.demo.footprints import FootprintGenerator
from data_access.demo.holdings import (
    base_holdings,
    branch_weekly_table,
    draw_loans,
    holdings_table,
    snapshot_chunks,
)
from data_access.demo.marketing import build_marketing
from data_access.demo.organisation import build_organisation
from data_access.demo.population import build_population
from data_access.demo.staff import (
    activities_table,
    build_activities,
    build_trainings,
    soft_footprints_table,
)
from data_access.demo.targets import monthly_to_weekly, targets_table, weekly_counts

GENERATOR_VERSION = "1.0"
Progress = Callable[[str, float], None]

FOOTPRINT_CHUNK = 40_000  # customers per footprint batch (about 2.5M rows)
SNAPSHOT_CHUNK = 50_000

__all__ = ["GENERATOR_VERSION", "build_demo"]


def _quiet(_: str, __: float) -> None:
    return None


T = TypeVar("T")


def _prefetch(items: Iterator[T]) -> Iterator[T]:
    """Iterate ``items`` one step ahead on a second thread (numpy and DuckDB release the GIL),
    so the next chunk is generated while the database writes this one."""
    with ThreadPoolExecutor(max_workers=1) as pool:
        pending = pool.submit(next, items, _DONE)
        while True:
            item = pending.result()
            if item is _DONE:
                return
            pending = pool.submit(next, items, _DONE)
            yield item


_DONE: Any = object()


def build_demo(
    engine: sa.Engine,
    *,
    customers: int,
    seed: int,
    end_date: date,
    replace: bool = False,
    progress: Progress | None = None,
) -> dict[str, int]:
    """Create the schema and load a demo bank of ``customers`` customers; rows written per table.

    Raises ``DatabaseNotEmpty`` when the database already holds a bank and ``replace`` is false.
    """
    if customers < 200:
        raise ValueError("a demo bank needs at least 200 customers")
    report = progress or _quiet
    load.prepare(engine, replace=replace)
    # before the first row: a build killed part-way is recognisably the demo's own, and unfinished
    load_state.begin_load(engine, load_state.DEMO_WRITER)
    with load.memory_cap(engine):
        # generation's arrays are freed when _generate_and_load returns, before the refreshers
        counts = _generate_and_load(engine, customers, seed, end_date, report)
        gc.collect()
        _refresh_and_stamp(engine, customers, seed, end_date, report)
    with engine.connect() as conn:
        counts["bank_meta"] = conn.execute(
            sa.select(sa.func.count()).select_from(load.bank_meta)
        ).scalar_one()
    from data_access.auth import ensure_demo_accounts  # argon2 is loaded only where needed

    counts["users"] = ensure_demo_accounts(engine)
    report("done", 1.0)
    return counts


def _generate_and_load(
    engine: sa.Engine, customers: int, seed: int, end_date: date, report: Progress
) -> dict[str, int]:
    """Generate every table, load it and build the indexes; rows written per table."""
    cal = Calendar.ending(end_date)

    def rng_for(*key: int) -> np.random.Generator:
        return np.random.default_rng([seed, *key])

    counts: dict[str, int] = {}
    sink = load.make_sink(engine)

    def put(name: str, table: pa.Table) -> None:
        sink.write(name, table)
        counts[name] = counts.get(name, 0) + table.num_rows

    try:
        report("organisation", 0.0)
        org = build_organisation(rng_for(1), customers, cal)
        put("branches", org.branches)
        put("officers", org.officers)
        report("customers", 0.02)
        pop = build_population(rng_for(2), customers, cal, org)
        put("customers", pop.customers)
        loans = draw_loans(rng_for(3), pop, cal)
        holdings = base_holdings(rng_for(4), pop, cal, loans)

        report("officers' work", 0.08)
        staff = build_trainings(rng_for(5), cal, org)
        put("trainings", staff.trainings)
        put("training_attendance", staff.attendance)
        act = build_activities(rng_for(6), cal, org, pop, staff)
        put("officer_activities", activities_table(act, org))

        report("campaigns", 0.12)
        mkt = build_marketing(rng_for(7), cal, org, pop, holdings)
        put("campaigns", mkt.campaigns)
        put("marketing_events", mkt.events)

        report("balances", 0.16)
        latest = {k: np.zeros(pop.n) for k in ("demand_deposit", "time_deposit", "wealth")}
        sums = None
        for table, part, last in _prefetch(
            snapshot_chunks(
                lambda k: rng_for(8, k), pop, cal, loans, org.n_branches, SNAPSHOT_CHUNK
            )
        ):
            put("balance_snapshots", table)
            for k in latest:
                latest[k][last["idx"]] = last[k]
            if sums is None:
                sums = part
            else:
                for f in ("deposit", "loan", "wealth", "effective"):
                    getattr(sums, f).__iadd__(getattr(part, f))
        put("product_holdings", holdings_table(rng_for(9), holdings, pop, loans, latest, cal))

        report("footprints", 0.25)
        # chosen before the footprints: a planted defaulter's repayments stop in them
        credit_plants = choose_credit_plants(rng_for(19), cal, pop, loans)
        gen = FootprintGenerator(cal, org, pop, loans, credit_plants.repayments_stop(pop.n))
        next_id = 1
        starts = range(0, pop.n, FOOTPRINT_CHUNK)

        def footprint_chunks() -> Iterator[tuple[pa.Table, int, int]]:
            for k, lo in enumerate(starts):
                hi = min(lo + FOOTPRINT_CHUNK, pop.n)
                yield (*gen.chunk(rng_for(10, k), np.arange(lo, hi)), hi)

        for table, n, done in _prefetch(footprint_chunks()):
            ids = pa.array(np.arange(next_id, next_id + n), pa.int64())
            put("footprints", table.add_column(0, "footprint_id", ids))
            next_id += n
            report("footprints", 0.25 + 0.55 * done / pop.n)

        plants = choose_plants(rng_for(17), cal, org.n_branches)
        put(
            "footprints",
            plant_outflows(rng_for(18), plants, cal, pop, gen.acc.outflow_other_week, next_id),
        )

        report("soft footprints", 0.8)
        put("soft_footprints", soft_footprints_table(rng_for(11), act, org, pop, staff))
        put("external_credit_limits", external_limits_table(rng_for(12), cal, pop))
        put(
            "loan_applications",
            loan_applications_table(
                rng_for(13),
                cal,
                pop,
                loans,
                gen.acc.inflow_month,
                org.skill,
                gen.places,
                credit_plants,
            ),
        )

        report("targets", 0.84)
        weekly, series = branch_weekly_table(rng_for(14), cal, sums)
        put("branch_weekly_balances", plant_ledger(weekly, plants, cal.n_weeks))
        put("planted_anomalies", planted_table(plants, cal))
        conv_branch = pop.branch[mkt.converted_customer]
        actual = {
            "deposit_balance": series["deposit_balance"],
            "loan_balance": series["loan_balance"],
            "aum": series["deposit_balance"] + series["wealth_balance"],
            "new_customers": weekly_counts(cal, pop.branch, pop.opened, org.n_branches),
            "effective_customers": monthly_to_weekly(cal, sums.effective),
            "mobile_signups": weekly_counts(cal, pop.branch, pop.mobile_adopted, org.n_branches),
            "conversions": weekly_counts(cal, conv_branch, mkt.converted_at, org.n_branches),
            "outflow_other_banks": gen.acc.outflow_other_week,
        }
        put("weekly_targets", targets_table(rng_for(15), cal, actual))
    finally:
        sink.close()

    with engine.begin() as conn:
        end_dt = datetime.combine(end_date, time(18, 0))
        counts.update(write_app_records(conn, org.branches, org.officers, end_dt, rng_for(16)))

    report("indexes", 0.9)
    load.create_fact_indexes(engine)

    return counts


def _refresh_and_stamp(
    engine: sa.Engine, customers: int, seed: int, end_date: date, report: Progress
) -> None:
    """Run the mart refreshers, then write bank_meta with ``data_as_of`` last."""
    from data_access.refresh import configured_standards, refresh_all

    def refresh_progress(stage: str, frac: float) -> None:
        report(stage, 0.94 + 0.05 * frac)

    refresh_all(engine, configured_standards(), end_date, refresh_progress)
    load.write_meta(
        engine,
        {
            "seed": str(seed),
            "customers": str(customers),
            "generator_version": GENERATOR_VERSION,
        },
    )
    load_state.complete_load(engine, end_date)  # last: marks the load complete
