"""The numbers report: how well the weekly flags work on a demo bank with planted anomalies.

Usage: ``python -m bench.numbers [database-url]``. Without a URL it builds the 3,000-customer demo
bank (seed 11, data to 2026-11-22) in a temporary directory first (about 15 s). Prints, over the
last 26 weeks: the flags per week of an ordinary week (flags that match no planted anomaly, per
branch × KPI pair), and the flags' precision and recall against ``planted_anomalies``.
"""

from __future__ import annotations

import sys
import tempfile
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

import polars as pl
import sqlalchemy as sa

from data_access.engine import connect, make_engine
from data_access.filters import Filters, Scope
from data_access.queries import kpis as q
from data_access.queries.org import fetch_data_as_of
from data_access.schema import planted_anomalies
from metrics import kpis as km
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
    period = Filters(last_week - timedelta(weeks=WEEKS + 30), last_week + timedelta(days=6))
    with connect(engine) as conn:
        weekly = km.fill_flow_gaps(
            q.fetch_weekly_kpis(conn, Scope.bank(), period, standards.effective_customer)
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
        [
            km.kpi_flags(
                weekly,
                week=w,
                history_weeks=a.kpi_history_weeks,
                z_threshold=a.kpi_z_score,
                count_p_value=a.kpi_count_p_value,
                count_min_change=a.kpi_count_min_change,
                min_change_share=a.kpi_min_change_share,
            ).with_columns(pl.lit(w).alias("week_start"))
            for w in weeks
        ]
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
