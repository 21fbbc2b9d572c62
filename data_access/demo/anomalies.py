"""Known anomalies planted in the demo bank, so that the weekly flags can be scored against them.

A planted anomaly is a one-week move of one branch's figure that no ordinary week would make: a
large deposit withdrawal, a land-compensation payment (征地补偿款) deposited, or a large loan
disbursement, each shifting the ledger balance from that week on, or a large transfer to another
bank. Each is recorded in ``planted_anomalies`` (one row per
KPI it moves), and ``python -m bench.flags`` reports the flags' precision and recall against them.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa

from data_access.demo.calendar import DAY, Calendar
from data_access.demo.population import Population

PLANTS = 12  # anomalies per demo bank, each in its own branch
RECENT_WEEKS = 26  # planted in the last half year (the flags' usual window)
# kind: (ledger column moved or None for an outflow, factor, KPIs the move shows in, direction)
KINDS = {
    "deposit_withdrawal": ("deposit_balance", 0.90, ("deposit_balance", "aum"), "drop"),
    "land_compensation_deposit": ("deposit_balance", 1.15, ("deposit_balance", "aum"), "spike"),
    "loan_disbursement": ("loan_balance", 1.12, ("loan_balance",), "spike"),
    "outflow_to_other_bank": (None, 8.0, ("outflow_other_banks",), "spike"),
}


@dataclass(frozen=True)
class Plant:
    """One planted anomaly: branch index, week index, kind."""

    branch: int
    week: int
    kind: str


def choose_plants(rng: np.random.Generator, cal: Calendar, n_branches: int) -> list[Plant]:
    """PLANTS anomalies in distinct branches, in ordinary recent weeks (no quarter end, no festival)."""
    week_end = cal.weeks + 6 * DAY
    month = week_end.astype("datetime64[M]").astype(int) % 12 + 1
    quarter_end = np.isin(month, (3, 6, 9, 12)) & (
        (week_end + 7 * DAY).astype("datetime64[M]") != week_end.astype("datetime64[M]")
    )
    calm = ~(quarter_end | np.roll(quarter_end, 1) | cal.spring_festival_weeks(3))
    first = max(cal.n_weeks - RECENT_WEEKS, 14)
    weeks = [w for w in range(first, cal.n_weeks) if calm[w]]
    branches = rng.choice(n_branches, size=min(PLANTS, n_branches), replace=False)
    kinds = list(KINDS)
    return [
        Plant(int(b), int(rng.choice(weeks)), kinds[i % len(kinds)])
        for i, b in enumerate(sorted(branches))
    ]


def plant_ledger(weekly: pa.Table, plants: list[Plant], n_weeks: int) -> pa.Table:
    """The weekly ledger with each balance plant applied from its week on (a level shift)."""
    cols = {name: weekly.column(name).to_numpy().copy() for name in weekly.column_names}
    for p in plants:
        column, factor, _, _ = KINDS[p.kind]
        if column is None:
            continue
        rows = p.branch * n_weeks + np.arange(p.week, n_weeks)  # branch-major, as built
        cols[column][rows] = np.round(cols[column][rows] * factor, 2)
    return pa.table({k: pa.array(v, weekly.schema.field(k).type) for k, v in cols.items()})


def plant_outflows(
    rng: np.random.Generator,
    plants: list[Plant],
    cal: Calendar,
    pop: Population,
    usual: np.ndarray,
    first_id: int,
) -> pa.Table:
    """Footprints of the planted transfers to other banks (one large transfer each)."""
    rows: dict[str, list] = {k: [] for k in ("customer_id", "branch_id", "occurred_at", "amount")}
    for p in plants:
        if KINDS[p.kind][0] is not None:
            continue
        monday = cal.weeks[p.week]
        alive = np.flatnonzero((pop.branch == p.branch) & pop.alive_between(monday, monday + DAY))
        if not len(alive):
            continue
        recent = usual[p.branch, max(p.week - 13, 0) : p.week]
        amount = round(KINDS[p.kind][1] * max(float(np.median(recent)), 20_000.0), -2)
        rows["customer_id"].append(int(rng.choice(alive)) + 1)
        rows["branch_id"].append(p.branch + 1)
        at = monday.astype("datetime64[s]") + np.timedelta64(
            int(rng.integers(1, 5)) * 86_400 + 36_000, "s"
        )
        rows["occurred_at"].append(at.astype("datetime64[us]"))
        rows["amount"].append(amount)
    n = len(rows["customer_id"])
    return pa.table(
        {
            "footprint_id": pa.array(np.arange(first_id, first_id + n), pa.int64()),
            "customer_id": pa.array(rows["customer_id"], pa.int64()),
            "branch_id": pa.array(rows["branch_id"], pa.int32()),
            "occurred_at": pa.array(np.array(rows["occurred_at"], dtype="datetime64[us]")),
            "kind": pa.array(["transfer_out"] * n),
            "direction": pa.array(["out"] * n),
            "channel": pa.array(["counter"] * n),
            "amount": pa.array(rows["amount"], pa.float64()),
            "place": pa.array([None] * n, pa.string()),
            "merchant_category": pa.array([None] * n, pa.string()),
            "counterparty_type": pa.array(["other_bank"] * n),
            "self_initiated": pa.array([True] * n),
        }
    )


def planted_table(plants: list[Plant], cal: Calendar) -> pa.Table:
    """The planted_anomalies rows: one per plant and KPI it moves."""
    out: dict[str, list] = {k: [] for k in ("branch_id", "week_start", "kpi", "direction", "kind")}
    for p in plants:
        _, _, kpis, direction = KINDS[p.kind]
        for kpi in kpis:
            out["branch_id"].append(p.branch + 1)
            out["week_start"].append(cal.weeks[p.week])
            out["kpi"].append(kpi)
            out["direction"].append(direction)
            out["kind"].append(p.kind)
    return pa.table(
        {
            "branch_id": pa.array(out["branch_id"], pa.int32()),
            "week_start": pa.array(np.array(out["week_start"], dtype="datetime64[D]"), pa.date32()),
            "kpi": pa.array(out["kpi"]),
            "direction": pa.array(out["direction"]),
            "kind": pa.array(out["kind"]),
        }
    )
