"""Weekly KPI queries on the demo bank: DuckDB and PostgreSQL agree, and the figures hang together."""

from __future__ import annotations

from datetime import date, timedelta

import polars as pl
import pytest
import sqlalchemy as sa

from data_access.queries import kpis as q
from data_access.schema import KPI_CODES, customers
from data_access.selection import Period, Selection
from metrics.standards import load_standards

W = date(2026, 11, 16)
PERIOD = Period(W - timedelta(weeks=11), W + timedelta(days=6))
RULE = load_standards().effective_customer


@pytest.fixture(scope="module")
def both(demo_engine: sa.Engine, demo_pg_engine: sa.Engine) -> dict[str, pl.DataFrame]:
    out = {}
    for name, engine in (("duckdb", demo_engine), ("postgresql", demo_pg_engine)):
        with engine.connect() as conn:
            assert q.has_facts(conn), "the demo build refreshes the KPI mart"
            out[name] = q.fetch_weekly_kpis(conn, PERIOD, Selection(), RULE)
    return out


@pytest.mark.parametrize(
    "selection",
    [
        pytest.param(Selection(), id="bank"),
        pytest.param(Selection(branch_ids=(1, 2)), id="two-branches"),
        pytest.param(Selection(officer_ids=(1, 2, 3)), id="officers"),
    ],
)
def test_mart_equals_live(demo_engine: sa.Engine, selection: Selection) -> None:
    with demo_engine.connect() as conn:
        mart = q.fetch_weekly_kpis(conn, PERIOD, selection, RULE, source="mart")
        live = q.fetch_weekly_kpis(conn, PERIOD, selection, RULE, source="live")
    assert mart.height == live.height > 0
    joined = mart.join(live, on=["branch_id", "week_start", "kpi"], how="full", suffix="_live")
    assert joined["value"].null_count() == joined["value_live"].null_count() == 0
    assert ((joined["value"] - joined["value_live"]).abs() < 1e-6).all()


def test_engines_agree(both: dict[str, pl.DataFrame]) -> None:
    keys = ["branch_id", "week_start", "kpi"]
    duck, pg = both["duckdb"], both["postgresql"]
    assert duck.height == pg.height > 0
    joined = duck.join(pg, on=keys, how="full", suffix="_pg", coalesce=True)
    assert joined["value"].null_count() == joined["value_pg"].null_count() == 0
    # float sums differ in the last digits between engines
    diff = (joined["value"] - joined["value_pg"]).abs() / joined["value_pg"].abs().clip(1.0)
    assert diff.max() < 1e-9


def test_figures_hang_together(demo_engine: sa.Engine, both: dict[str, pl.DataFrame]) -> None:
    frame = both["duckdb"]
    assert set(frame["kpi"].unique()) <= set(KPI_CODES)
    for kpi in ("deposit_balance", "loan_balance", "aum", "effective_customers", "new_customers"):
        assert frame.filter(pl.col("kpi") == kpi).height > 0, kpi
    wide = frame.pivot(on="kpi", index=["branch_id", "week_start"], values="value")
    assert (wide["aum"] >= wide["deposit_balance"]).all()
    assert wide["week_start"].dt.weekday().unique().to_list() == [1]  # Mondays (ISO 1)
    with demo_engine.connect() as conn:
        opened = conn.execute(
            sa.select(sa.func.count()).where(
                customers.c.opened_on >= PERIOD.start, customers.c.opened_on <= PERIOD.end
            )
        ).scalar_one()
    assert frame.filter(pl.col("kpi") == "new_customers")["value"].sum() == opened
