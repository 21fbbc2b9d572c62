"""Weekly targets per branch and KPI: a little above each branch's own trend, so some branches miss."""

from __future__ import annotations

import numpy as np
import pyarrow as pa

from data_access.demo.calendar import DAY, Calendar
from metrics.codes import KPI_CODES, KPIS

# KPIs where less is better (the target is a ceiling)
KPI = {k.code: k for k in KPIS}
CEILINGS = {k.code for k in KPIS if k.lower_is_better}


def weekly_counts(
    cal: Calendar, branch: np.ndarray, day: np.ndarray, n_branches: int
) -> np.ndarray:
    """Count of events per (branch, week) from event dates (datetime64[D]); NaT ignored."""
    out = np.zeros((n_branches, cal.n_weeks))
    ok = ~np.isnat(day)
    w = ((day[ok] - cal.weeks[0]).astype(np.int64)) // 7
    keep = (w >= 0) & (w < cal.n_weeks)
    np.add.at(out, (branch[ok][keep], w[keep]), 1.0)
    return out


def _trend(series: np.ndarray) -> np.ndarray:
    """Linear trend per row, evaluated at each week."""
    x = np.arange(series.shape[1], dtype=float)
    coef = np.polyfit(x, series.T, 1)
    return coef[0][:, None] * x[None, :] + coef[1][:, None]


def targets_table(
    rng: np.random.Generator, cal: Calendar, actual: dict[str, np.ndarray]
) -> pa.Table:
    """Targets for every branch, week and KPI in KPI_CODES that the demo simulates (``actual``
    holds branch x week arrays); a KPI added to the registry without a demo series has none."""
    n_b = next(iter(actual.values())).shape[0]
    stretch = rng.normal(0.015, 0.025, n_b)  # some branches get hard targets, some easy ones
    b_l, w_l, k_l, v_l = [], [], [], []
    for kpi in (k for k in KPI_CODES if k in actual):
        a = actual[kpi]
        smooth = _trend(a) if KPI[kpi].stock else None
        if smooth is None:
            level = np.maximum(a.mean(axis=1, keepdims=True), 0.2)
            growth = np.linspace(0.95, 1.08, cal.n_weeks)[None, :]
            smooth = level * growth
            s = stretch * 6
        else:
            s = stretch
        target = smooth * (1 - s[:, None]) if kpi in CEILINGS else smooth * (1 + s[:, None])
        target = np.maximum(target, 0.0)
        # counts in whole customers, money in hundreds of CNY
        target = np.round(target, -2) if KPI[kpi].money else np.ceil(target)
        b, w = np.meshgrid(np.arange(n_b), np.arange(cal.n_weeks), indexing="ij")
        b_l.append(b.ravel())
        w_l.append(w.ravel())
        k_l.append(np.full(b.size, kpi))
        v_l.append(target.ravel())
    b = np.concatenate(b_l)
    w = np.concatenate(w_l)
    return pa.table(
        {
            "branch_id": pa.array(b + 1, pa.int32()),
            "week_start": pa.array(cal.weeks[w], pa.date32()),
            "kpi": pa.array(np.concatenate(k_l)),
            "target": np.concatenate(v_l).astype(float),
        }
    )


def monthly_to_weekly(cal: Calendar, monthly: np.ndarray) -> np.ndarray:
    """Branch x month values repeated onto the weeks (by each week's Thursday)."""
    thursday = (cal.weeks + 3 * DAY).astype("datetime64[M]").astype("datetime64[D]")
    m = np.searchsorted(cal.months, thursday)
    m = np.clip(m, 0, monthly.shape[1] - 1)
    return monthly[:, m]
