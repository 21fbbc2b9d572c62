"""Benchmark: tiers, RFM, CLV fit + scoring and loyalty for 1,000,000 synthetic customers (no DB).

Run: ``.venv/bin/python bench/bench_metrics_value.py [customers]``. Prints seconds per step, the
total, and the peak resident memory. Target (issue 3): ≤ 20 s and ≤ 4 GB for 1,000,000.
"""

from __future__ import annotations

import os
import resource
import sys
import time
from datetime import date

import numpy as np
import polars as pl

from metrics.clv import bank_clv, clv, fit_bgnbd, fit_gamma_gamma
from metrics.loyalty import churn_risk_list, loyalty_scores
from metrics.rfm import rfm_scores
from metrics.standards import load_standards
from metrics.value import assign_tiers, tier_migration

MONTHS = 13


def synthetic(n: int, seed: int = 7) -> tuple[pl.DataFrame, pl.DataFrame, pl.DataFrame]:
    """Monthly AUM (n × 13), RFM aggregates and a BG/NBD summary shaped like the SQL results."""
    rng = np.random.default_rng(seed)
    base = rng.lognormal(mean=9.5, sigma=1.6, size=n)  # a few hold much of the AUM
    drift = rng.normal(0, 0.25, size=(n, MONTHS)).cumsum(axis=1)
    aum = (base[:, None] * np.exp(drift)).ravel()
    months = [date(2025 + (10 + i) // 12, (10 + i) % 12 + 1, 1) for i in range(MONTHS)]
    monthly = pl.DataFrame(
        {
            "customer_id": np.repeat(np.arange(1, n + 1, dtype=np.int64), MONTHS),
            "month": pl.Series(np.tile(np.array(months, dtype="datetime64[D]"), n)).cast(pl.Date),
            "aum": aum,
        }
    )
    # BG/NBD customers in whole days, as the SQL summary produces them (weeks = days / 7)
    lam = rng.gamma(1.5, 1 / 3.0, n)
    p = rng.beta(2.0, 6.0, n)
    t_days = rng.integers(30, 731, n)
    arrivals = rng.poisson(lam * t_days / 7)
    x = np.minimum(arrivals, rng.geometric(p))
    tx_days = np.where(
        x > 0, np.floor(t_days * rng.beta(np.maximum(x, 1), np.maximum(arrivals - x + 1, 1))), 0
    )
    nu = rng.gamma(4.0, 1 / 15.0, n)
    spend = np.where(x > 0, rng.gamma(np.maximum(6.0 * x, 1e-9), 1 / (nu * np.maximum(x, 1))), 0)
    summary = pl.DataFrame(
        {
            "customer_id": np.arange(1, n + 1, dtype=np.int64),
            "frequency": x.astype(np.int64),
            "recency": tx_days / 7,
            "T": t_days / 7,
            "monetary_value": np.round(spend, 2),
        }
    )
    rfm = pl.DataFrame(
        {
            "customer_id": summary["customer_id"],
            "recency_days": pl.Series((t_days - tx_days).astype(np.int64)),
            "frequency": pl.Series(x * 2 + 1),
            "monetary": pl.Series(np.round(spend * (x + 1), 2)),
        }
    )
    return monthly, rfm, summary


def synthetic_loyalty_inputs(n: int, seed: int = 8) -> pl.DataFrame:
    """Per-customer loyalty inputs shaped like ``fetch_loyalty_inputs`` returns them."""
    rng = np.random.default_rng(seed)
    out_total = rng.lognormal(9, 1.5, n)
    return pl.DataFrame(
        {
            "customer_id": np.arange(1, n + 1, dtype=np.int64),
            "product_types": rng.integers(1, 9, n),
            "first_opened": pl.Series(
                np.datetime64("2026-11-22") - rng.integers(30, 30 * 365, n).astype("timedelta64[D]")
            ).cast(pl.Date),
            "income_credited": rng.random(n) < 0.4,
            "bills_paid": rng.random(n) < 0.3,
            "mobile_used": rng.random(n) < 0.5,
            "tx_recent": rng.poisson(6, n),
            "tx_prior": rng.poisson(6, n),
            "out_external": out_total * rng.beta(1, 6, n),
            "out_total": out_total,
        }
    )


def main(n: int) -> None:
    std = load_standards()
    t0 = time.perf_counter()
    monthly, rfm, summary = synthetic(n)
    t_gen = time.perf_counter() - t0
    steps: dict[str, float] = {}

    cpu: dict[str, float] = {}

    def step(name: str, fn):  # type: ignore[no-untyped-def]
        start, start_cpu = time.perf_counter(), time.process_time()
        out = fn()
        steps[name] = time.perf_counter() - start
        cpu[name] = time.process_time() - start_cpu
        return out

    tiers = step("tiers (13 months, hysteresis)", lambda: assign_tiers(monthly, std.tiers))
    step(
        "tier migration",
        lambda: tier_migration(tiers, date(2026, 10, 1), date(2026, 11, 1), std.tiers.codes),
    )
    step("RFM scores + segments", lambda: rfm_scores(rfm, std.rfm))
    bg = step("BG/NBD fit", lambda: fit_bgnbd(summary))
    gg = step("Gamma-Gamma fit", lambda: fit_gamma_gamma(summary))
    cfg = std.clv
    scored = step(
        "BG/NBD + Gamma-Gamma scoring (P(alive), E[tx], spend)",
        lambda: clv(
            summary,
            bg,
            gg,
            horizon_months=cfg.horizon_months,
            monthly_discount_rate=cfg.monthly_discount_rate,
            margin=0.01,  # the transaction view of value, kept for the model's timing only
            time_unit="W",
        ),
    )
    last = monthly.filter(pl.col("month") == pl.col("month").max())
    step(
        "bank CLV (margin on balances and fees)",
        lambda: bank_clv(
            pl.DataFrame(
                {
                    "customer_id": last["customer_id"],
                    "demand_avg": last["aum"] * 0.5,
                    "time_avg": last["aum"] * 0.4,
                    "wealth_avg": last["aum"] * 0.1,
                    "loan_avg": last["aum"] * 0.2,
                    "annual_fees": [0.0] * last.height,
                    "p_alive": scored["p_alive"][: last.height],
                }
            ),
            cfg,
        ),
    )
    loyalty_inputs = synthetic_loyalty_inputs(n).with_columns(
        p_alive=scored["p_alive"],
        aum=monthly.filter(pl.col("month") == pl.col("month").max())["aum"],
    )
    scores = step(
        "loyalty score (6 components) + churn list",
        lambda: churn_risk_list(
            loyalty_scores(loyalty_inputs, std.loyalty, as_of=date(2026, 11, 22)), value_col="aum"
        ),
    )
    del scores
    peak_gb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024**2
    print(f"customers: {n:,}  (synthetic input built in {t_gen:.1f} s, not counted)")
    print(f"  {'step':<48} {'wall':>8} {'cpu':>8}")
    for name, secs in steps.items():
        print(f"  {name:<48} {secs:6.2f} s {cpu[name]:6.2f} s")
    print(
        f"  {'total':<48} {sum(steps.values()):6.2f} s {sum(cpu.values()):6.2f} s"
        "   (target <= 20 s wall)"
    )
    print(f"  load average while running: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    print(f"  peak resident memory: {peak_gb:.2f} GB   (target <= 4 GB)")
    print(f"  BG/NBD: r={bg.r:.3f} alpha={bg.alpha:.3f} a={bg.a:.3f} b={bg.b:.3f} (true 1.5 3 2 6)")
    print(f"  Gamma-Gamma: p={gg.p:.3f} q={gg.q:.3f} gamma={gg.gamma:.3f} (true 6 4 15)")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000)
