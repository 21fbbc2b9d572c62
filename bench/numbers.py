"""The numbers report: how well the weekly flags work on a demo bank with planted anomalies.

Usage: ``python -m bench.numbers [database-url]``. Without a URL it builds the 3,000-customer demo
bank (seed 11, data to 2026-11-22) in a temporary directory first (about 15 s). Prints, over the
last 26 weeks: the flags per week of an ordinary week (flags that match no planted anomaly, per
branch × KPI pair), and the flags' precision and recall against ``planted_anomalies``; the P(alive)
calibration on a 13-week hold-out by decile of P(alive); the CLV worked example of the standard.
"""

from __future__ import annotations

import sys
import tempfile
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from pathlib import Path

import polars as pl
import sqlalchemy as sa

from data_access.engine import connect, make_engine
from data_access.filters import Scope
from data_access.queries import kpis as q
from data_access.queries.org import fetch_data_as_of
from data_access.queries.value import fetch_clv_summary, fetch_customer_owners
from data_access.schema import footprints, planted_anomalies
from data_access.selection import Period, Selection
from metrics import kpis as km
from metrics.clv import (
    DAYS_PER,
    bank_clv,
    expected_transactions,
    fit_bgnbd,
    p_active,
    p_alive,
    survival_discount_factor,
)
from metrics.standards import Standards, load_standards

WEEKS = 26
DEMO = {"customers": 3_000, "seed": 11, "end_date": date(2026, 11, 22)}


@dataclass(frozen=True)
class FlagScore:
    """Flags over the scored weeks against the planted anomalies."""

    weeks: int
    pairs: int  # branch × KPI pairs per week that can be flagged
    flags: int
    unplanted_flags: int
    planted: int
    found: int

    @property
    def ordinary_rate(self) -> float:
        """Share of branch × KPI pairs flagged in a week, planted anomalies left out."""
        return self.unplanted_flags / (self.weeks * self.pairs) if self.pairs else 0.0

    @property
    def precision(self) -> float:
        return (self.flags - self.unplanted_flags) / self.flags if self.flags else 0.0

    @property
    def recall(self) -> float:
        return self.found / self.planted if self.planted else 0.0


def score_flags(engine: sa.Engine, standards: Standards, last_week: date) -> FlagScore:
    """Flag every one of the WEEKS weeks up to ``last_week`` and score them (whole bank, branches)."""
    period = Period(last_week - timedelta(weeks=WEEKS + 30), last_week + timedelta(days=6))
    with connect(engine) as conn:
        weekly = km.fill_flow_gaps(
            q.fetch_weekly_kpis(conn, period, Selection(), standards.effective_customer)
        )
        planted = pl.DataFrame(
            conn.execute(sa.select(planted_anomalies)).mappings().all(),
            schema={
                "branch_id": pl.Int64,
                "week_start": pl.Date,
                "kpi": pl.String,
                "direction": pl.String,
                "kind": pl.String,
            },
        )
    a = standards.alerts
    weeks = [last_week - timedelta(weeks=i) for i in range(WEEKS)]
    flags = pl.concat(
        [km.week_flags(weekly, w, a).with_columns(pl.lit(w).alias("week_start")) for w in weeks]
    )
    planted = planted.filter(pl.col("week_start").is_in(weeks))
    keys = ["branch_id", "week_start", "kpi"]
    hits = flags.join(planted, on=keys, how="semi")
    branches = weekly.select("branch_id").n_unique()
    flaggable = len([k for k in km.REASON_STEMS if k not in km.MONTHLY_KPIS])
    return FlagScore(
        weeks=len(weeks),
        pairs=branches * flaggable,
        flags=flags.height,
        unplanted_flags=flags.height - hits.height,
        planted=planted.height,
        found=planted.join(flags, on=keys, how="semi").height,
    )


HOLDOUT_WEEKS = 13


def calibration(engine: sa.Engine, standards: Standards, as_of: date) -> pl.DataFrame:
    """P(alive) on a hold-out: fit BG/NBD as the value mart does, on the data up to 13 weeks
    before ``as_of``, and compare with what the customers did in the 13 weeks after.

    The fit takes every customer with a self-initiated transaction before the cut-off, those who
    closed later included (leaving them out, as a survivors-only fit does, removes exactly the
    customers who stopped, and the fit then finds no dropout). Scored: the customers open on the
    cut-off day. One row per decile of P(alive): customers, mean P(alive), predicted and observed
    share active in the hold-out, mean predicted and observed transaction days.
    """
    cut = as_of - timedelta(weeks=HOLDOUT_WEEKS)
    unit = standards.clv.time_unit
    with connect(engine) as conn:
        summary = fetch_clv_summary(conn, Scope.bank(), cut, unit)
        owners = fetch_customer_owners(conn, Scope.bank(), open_on=cut)
        observed = pl.DataFrame(
            conn.execute(
                sa.select(
                    footprints.c.customer_id,
                    sa.func.count(sa.distinct(sa.cast(footprints.c.occurred_at, sa.Date))).label(
                        "observed"
                    ),
                )
                .where(
                    footprints.c.self_initiated.is_(True),
                    footprints.c.occurred_at >= datetime.combine(cut + timedelta(1), time.min),
                    footprints.c.occurred_at < datetime.combine(as_of + timedelta(1), time.min),
                )
                .group_by(footprints.c.customer_id)
            ).all(),
            schema={"customer_id": pl.Int64, "observed": pl.Int64},
            orient="row",
        )
    fit = fit_bgnbd(summary)
    scored = summary.join(owners.select("customer_id"), on="customer_id", how="semi")
    horizon = HOLDOUT_WEEKS * 7 / DAYS_PER[unit]
    scored = (
        scored.select("customer_id")
        .with_columns(
            p_alive(scored, fit),
            p_active(scored, fit, horizon).alias("predicted_active"),
            expected_transactions(scored, fit, horizon).alias("predicted"),
        )
        .join(observed, on="customer_id", how="left")
        .with_columns(pl.col("observed").fill_null(0))
        .with_columns((pl.col("p_alive").rank("ordinal") * 10 / pl.len()).ceil().alias("decile"))
    )
    return (
        scored.group_by("decile")
        .agg(
            pl.len().alias("customers"),
            pl.col("p_alive").mean().alias("mean_p_alive"),
            pl.col("predicted_active").mean().alias("predicted_active_share"),
            (pl.col("observed") > 0).mean().alias("active_share"),
            pl.col("predicted").mean().alias("predicted_days"),
            pl.col("observed").mean().alias("observed_days"),
        )
        .sort("decile")
        .with_columns(pl.col("decile").cast(pl.Int64))
    )


def calibration_table(table: pl.DataFrame) -> list[str]:
    """The calibration as a Markdown table."""
    lines = [
        "| decile of P(alive) | customers | mean P(alive) | predicted active | active in hold-out "
        "| predicted days | observed days |",
        "|---|---|---|---|---|---|---|",
    ]
    for r in table.iter_rows(named=True):
        lines.append(
            f"| {r['decile']} | {r['customers']:,} | {r['mean_p_alive']:.2f} | "
            f"{r['predicted_active_share']:.0%} | {r['active_share']:.0%} | "
            f"{r['predicted_days']:.1f} | {r['observed_days']:.1f} |"
        )
    return lines


def clv_example(standards: Standards) -> list[str]:
    """The standard's CLV applied to one customer (the worked example of docs/customer-value.md)."""
    frame = pl.DataFrame(
        {
            "customer_id": [1],
            "demand_avg": [40_000.0],
            "time_avg": [60_000.0],
            "wealth_avg": [20_000.0],
            "loan_avg": [100_000.0],
            "annual_fees": [standards.clv.annual_fees.get("credit_card", 0.0)],
            "p_alive": [0.9],
        }
    )
    row = bank_clv(frame, standards.clv).row(0, named=True)
    return [
        "CLV worked example (demand 40,000, time 60,000, wealth 20,000, loan 100,000, a credit "
        "card, P(alive) 0.9):",
        f"  monthly margin {row['monthly_margin']:,.2f}; survival-discount factor "
        f"{survival_discount_factor(standards.clv):.3f}; CLV {row['clv']:,.2f}",
    ]


def report(engine: sa.Engine) -> str:
    """The report's lines."""
    standards = load_standards()
    with connect(engine) as conn:
        as_of = fetch_data_as_of(conn)
    if as_of is None:
        raise SystemExit("the database holds no loaded bank (bank_meta.data_as_of is missing)")
    last_week = as_of - timedelta(days=as_of.weekday())
    if (as_of - last_week).days < 6:  # the week is not complete: score up to the one before
        last_week -= timedelta(weeks=1)
    s = score_flags(engine, standards, last_week)
    return "\n".join(
        [
            f"Weekly flags, {s.weeks} weeks to {last_week} ({s.pairs} branch x KPI pairs a week):",
            f"  ordinary-week flag rate: {s.ordinary_rate:.1%} of pairs "
            f"({s.unplanted_flags / s.weeks:.1f} flags a week)",
            f"  planted anomalies: {s.planted}; found {s.found}: recall {s.recall:.0%}",
            f"  flags: {s.flags}; on a planted anomaly {s.flags - s.unplanted_flags}: "
            f"precision {s.precision:.0%}",
            "",
            f"P(alive) calibration: BG/NBD fitted to {as_of - timedelta(weeks=HOLDOUT_WEEKS)}, "
            f"hold-out the {HOLDOUT_WEEKS} weeks to {as_of}:",
            *calibration_table(calibration(engine, standards, as_of)),
            "",
            *clv_example(standards),
        ]
    )


def main(argv: list[str]) -> None:
    """Print the report for the given bank, or for a fresh demo bank."""
    if argv:
        print(report(make_engine(argv[0])))
        return
    from data_access.demo import build_demo

    with tempfile.TemporaryDirectory() as tmp:
        engine = make_engine(f"duckdb:///{Path(tmp) / 'demo.duckdb'}")
        build_demo(engine, **DEMO)
        print(f"demo bank: {DEMO['customers']:,} customers, seed {DEMO['seed']}")
        print(report(engine))
        engine.dispose()


if __name__ == "__main__":
    main(sys.argv[1:])
