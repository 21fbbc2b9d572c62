"""Benchmark: the officer-engagement page's queries and metrics on an existing bank.

Usage: ``python bench/bench_officers.py duckdb:////path/bank.duckdb [repeats]``. Each query runs
cold (first, on a fresh connection) and warm (median of the repeats); then the metrics over what
the queries returned. Prints figures; nothing is asserted.
"""

from __future__ import annotations

import statistics
import sys
import time
from collections.abc import Callable
from datetime import date, timedelta

import polars as pl

from data_access.engine import make_engine
from data_access.queries import officers as q
from data_access.queries import org
from data_access.queries import quality as qq
from data_access.selection import Period, Selection
from metrics import officers as om
from metrics import quality as qm
from metrics.calendar import last_full_week, weeks_ending
from metrics.standards import load_standards

BOOK_ROLES = ("customer_manager", "credit_officer")


def _time(fn: Callable[[], object], repeats: int) -> tuple[float, float, object]:
    t0 = time.perf_counter()
    out = fn()
    cold = time.perf_counter() - t0
    warm = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        warm.append(time.perf_counter() - t0)
    return cold, statistics.median(warm) if warm else float("nan"), out


def main(url: str, repeats: int = 3) -> None:
    """Time every query and metric of the page on ``url``."""
    standard = load_standards()
    engine = make_engine(url, read_only=url.startswith("duckdb"))
    bank = Selection()
    with engine.connect() as conn:
        as_of = org.fetch_data_as_of(conn) or date.today()
        last = last_full_week(as_of)
        weeks = weeks_ending(last, 12)
        history = weeks_ending(last, 104)
        period = Period(weeks[0], last + timedelta(days=6))
        long = Period(history[0], last + timedelta(days=6))
        cutoff = qm.stale_cutoff(period.end, standard.alerts.stale_profile_days)
        ratio = standard.alerts.income_contradiction_ratio
        queries: dict[str, Callable[[], pl.DataFrame]] = {
            "officers": lambda: org.fetch_officers(conn, bank.scope),
            "activity (2 years)": lambda: q.fetch_activity_weekly(conn, long, bank),
            "soft footprints (2 years)": lambda: q.fetch_soft_weekly(conn, long, bank),
            "conversions (12 weeks)": lambda: q.fetch_conversions_weekly(conn, period, bank),
            "trainings": lambda: q.fetch_trainings(conn),
            "attendance": lambda: q.fetch_attendance(conn, bank),
            "profile fill": lambda: qq.fetch_profile_fill(
                conn, period, bank, standard.profile_fields
            ),
            "staleness": lambda: qq.fetch_staleness(conn, period, bank, cutoff),
            "income evidence": lambda: qq.fetch_profile_income_evidence(conn, period, bank, ratio),
            "application evidence": lambda: qq.fetch_application_evidence(conn, period, bank),
            "applicant places": lambda: qq.fetch_applicant_places(conn, period, bank),
        }
        frames: dict[str, pl.DataFrame] = {}
        print(f"{'query':28s} {'cold s':>8s} {'warm s':>8s} {'rows':>9s}")
        for name, fn in queries.items():
            cold, warm, out = _time(fn, repeats)
            frames[name] = out  # type: ignore[assignment]
            print(f"{name:28s} {cold:8.3f} {warm:8.3f} {out.height:9,d}")  # type: ignore[attr-defined]
    engine.dispose()

    officers = om.officers_in_view(frames["officers"], roles=BOOK_ROLES)
    ids = officers["officer_id"].to_list()
    activity = frames["activity (2 years)"]
    in_period = pl.col("week_start").is_in(weeks)
    did = dict(window_weeks=4, as_of=as_of)
    metrics: dict[str, Callable[[], object]] = {
        "completeness": lambda: qm.officer_completeness(frames["profile fill"]),
        "rates + score": lambda: om.engagement_scores(
            om.officer_rates(
                officers,
                activity.filter(in_period),
                frames["soft footprints (2 years)"].filter(in_period),
                frames["conversions (12 weeks)"],
                qm.officer_completeness(frames["profile fill"]),
                len(weeks),
            ),
            standard.engagement,
        ),
        "weekly panel (visits)": lambda: om.weekly_panel(activity, ids, history, ("visit",)),
        "DiD per training + pooled": lambda: om.training_effect(
            om.weekly_panel(activity, ids, history, ("visit",)),
            frames["attendance"],
            frames["trainings"],
            **did,
        ),
        "contradictions": lambda: qm.application_contradictions(
            frames["application evidence"], frames["applicant places"], ratio
        ),
    }
    print(f"\n{'metric':28s} {'first s':>8s} {'median s':>8s}")
    for name, fn in metrics.items():
        first, warm, _ = _time(fn, repeats)
        print(f"{name:28s} {first:8.3f} {warm:8.3f}")


if __name__ == "__main__":
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    main(sys.argv[1], int(sys.argv[2]) if len(sys.argv) > 2 else 3)
