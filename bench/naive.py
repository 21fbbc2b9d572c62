"""The usual way, for comparison: ``pd.read_sql`` of whole tables, then pandas filters and groupbys.

This is how a typical Streamlit dashboard is written (one cached ``read_sql`` per table, the
figures in pandas). Each ``naive_<page>`` computes the headline figures of that page's default
view — the same definitions as the page's SQL, written plainly in pandas:

- kpis: balances, new customers, mobile sign-ups, conversions, outflows per branch-week over 104
  weeks; effective customers per branch-month; targets; the officer league's weekly counts.
- segments: count / AUM / CLV of everyone, the tier × RFM breakdown, the top customers by CLV,
  town and occupation options.
- loyalty: component means, score bands, churn list; cohort sizes and monthly activity; weekly
  active customers; tier months.
- funnels: campaigns, the per-customer stage pivot (first time at each stage), drop list.
- officers: weekly activities, soft footprints and conversions per officer; profile fill;
  trainings and attendance; declared income against the year's inflows; loan applications
  against the applicants' footprints.
- customer: one customer's profile, holdings, monthly balances, weekly footprints, soft
  footprints and marts — filtered out of whole tables.
- customer_book: the same page without a customer: signal counts and the leads list.

A table larger than ``cap`` rows is read up to ``cap`` rows and the read and compute times are
scaled by rows / cap (reading and grouping are linear in rows); the result says so. Run as
``python -m bench.naive PAGE URL [cap]``: one JSON line.
"""

from __future__ import annotations

import json
import sys
import time
from dataclasses import asdict, dataclass, field
from datetime import date, timedelta

import numpy as np
import pandas as pd
import sqlalchemy as sa

from bench.common import END_DATE, current_rss_mb, peak_rss_mb

WEEK = date(2026, 11, 16)  # the default week: the last full week of the demo banks
CUSTOMER = 42
OUTFLOW_COUNTERPARTIES = ("other_bank", "internet_platform")


@dataclass
class NaiveFigures:
    """What the usual way costs for one page."""

    page: str
    read_s: float = 0.0
    compute_s: float = 0.0
    total_s: float = 0.0
    rows_read: int = 0
    rows_in_tables: int = 0
    peak_rss_mb: float = 0.0
    extrapolated: bool = False
    peak_rss_extrapolated_mb: float = 0.0
    tables: dict[str, int] = field(default_factory=dict)
    figures: dict[str, object] = field(default_factory=dict)


class Reader:
    """``pd.read_sql`` of whole tables, timed; tables over ``cap`` rows are read up to ``cap``."""

    def __init__(self, engine: sa.Engine, cap: int | None) -> None:
        self.engine = engine
        self.cap = cap
        self.read_s = 0.0
        self.scale = 1.0
        self.rows_read = 0
        self.rows_total = 0
        self.tables: dict[str, int] = {}

    def __call__(self, table: str) -> pd.DataFrame:
        with self.engine.connect() as conn:
            n = conn.execute(sa.text(f"select count(*) from {table}")).scalar_one()
            sql = f"select * from {table}"
            limited = self.cap is not None and n > self.cap
            if limited:
                sql += f" limit {int(self.cap)}"
            t0 = time.perf_counter()
            df = pd.read_sql(sa.text(sql), conn)
            took = time.perf_counter() - t0
        share = n / len(df) if limited and len(df) else 1.0
        self.scale = max(self.scale, share)
        self.read_s += took * share
        self.rows_read += len(df)
        self.rows_total += n
        self.tables[table] = n
        return df


def _weeks(ts: pd.Series) -> pd.Series:
    """Monday of each timestamp's week, as a date."""
    ts = pd.to_datetime(ts)
    return (ts.dt.normalize() - pd.to_timedelta(ts.dt.day_of_week, unit="D")).dt.date


def _months(ts: pd.Series) -> pd.Series:
    ts = pd.to_datetime(ts)
    return ts.dt.to_period("M").dt.start_time.dt.date


def _in(ts: pd.Series, start: date, end_excl: date) -> pd.Series:
    ts = pd.to_datetime(ts)
    return (ts >= pd.Timestamp(start)) & (ts < pd.Timestamp(end_excl))


def naive_kpis(read: Reader) -> dict:
    """The Weekly KPIs page's figures, pandas."""
    from metrics.standards import load_standards

    rule = load_standards().effective_customer
    start, end_excl = WEEK - timedelta(weeks=103), WEEK + timedelta(days=7)
    bwb, cust, hold = read("branch_weekly_balances"), read("customers"), read("product_holdings")
    ev, fp, snaps = read("marketing_events"), read("footprints"), read("balance_snapshots")
    tgt, act = read("weekly_targets"), read("officer_activities")
    t0 = time.perf_counter()
    out: dict[str, pd.DataFrame] = {}
    b = bwb[_in(bwb.week_start, start, end_excl)]
    out["balances"] = b.assign(aum=b.deposit_balance + b.wealth_balance)[
        ["branch_id", "week_start", "deposit_balance", "loan_balance", "aum"]
    ]
    c = cust[_in(cust.opened_on, start, end_excl)]
    out["new_customers"] = c.groupby(["branch_id", _weeks(c.opened_on)]).size()
    h = hold[(hold["product"] == "mobile_banking") & _in(hold.opened_on, start, end_excl)]
    out["mobile_signups"] = h.groupby(["branch_id", _weeks(h.opened_on)]).size()
    e = ev[(ev.stage == "converted") & _in(ev.occurred_at, start, end_excl)]
    out["conversions"] = e.groupby(["branch_id", _weeks(e.occurred_at)]).size()
    f = fp[
        (fp.kind == "transfer_out")
        & fp.counterparty_type.isin(OUTFLOW_COUNTERPARTIES)
        & _in(fp.occurred_at, start, end_excl)
    ]
    out["outflows"] = f.groupby(["branch_id", _weeks(f.occurred_at)])["amount"].sum()
    first = start.replace(day=1)
    after = (WEEK.replace(day=1) + timedelta(days=32)).replace(day=1)
    s = snaps[_in(snaps.month, first, after)].copy()
    s["month"] = pd.to_datetime(s["month"]).dt.date
    tx = fp[fp.self_initiated.astype(bool) & _in(fp.occurred_at, first, after)]
    n = tx.groupby([tx.customer_id, _months(tx.occurred_at).rename("month")]).size().rename("n")
    s = s.merge(n.reset_index(), on=["customer_id", "month"], how="left").fillna({"n": 0})
    eff = np.zeros(len(s), dtype=bool)
    if rule.min_month_avg_aum is not None:
        eff |= (s.demand_avg + s.time_avg + s.wealth_avg >= rule.min_month_avg_aum).to_numpy()
    if rule.counts_loan_holders:
        eff |= (s.loan_avg > 0).to_numpy()
    if rule.min_self_initiated_transactions is not None:
        eff |= (s.n >= rule.min_self_initiated_transactions).to_numpy()
    out["effective_monthly"] = s.assign(eff=eff).groupby(["branch_id", "month"])["eff"].sum()
    out["targets"] = tgt[_in(tgt.week_start, start, end_excl)]
    lstart = WEEK - timedelta(weeks=1)
    conv = ev[
        (ev.stage == "converted") & ev.officer_id.notna() & _in(ev.occurred_at, lstart, end_excl)
    ]
    out["league_conversions"] = conv.groupby(["officer_id", _weeks(conv.occurred_at)]).size()
    a = act[_in(act.occurred_at, lstart, end_excl)]
    out["league_activities"] = a.groupby(["officer_id", _weeks(a.occurred_at)]).size()
    read.compute_s = time.perf_counter() - t0
    return {k: len(v) for k, v in out.items()} | {
        "new_customers_total": int(out["new_customers"].sum()),
        "conversions_total": int(out["conversions"].sum()),
        "outflows_total": round(float(out["outflows"].sum()), 2),
        "effective_total": int(out["effective_monthly"].sum()),
    }


def naive_segments(read: Reader) -> dict:
    """The Value segments page's figures (everyone), pandas."""
    cv, cust = read("customer_value"), read("customers")
    t0 = time.perf_counter()
    m = cv.merge(
        cust[["customer_id", "name", "town", "occupation", "birth_year", "phone"]], on="customer_id"
    )
    summary = {"customers": len(m), "aum": float(m.aum.sum()), "clv": float(m.clv.fillna(0).sum())}
    breakdown = m.groupby(["tier", "rfm_segment"], dropna=False).agg(
        customers=("customer_id", "size"), aum=("aum", "sum"), clv=("clv", "sum")
    )
    top = (
        m.assign(k=m.clv.fillna(-1.0))
        .sort_values(["k", "aum", "customer_id"], ascending=[False, False, True])
        .head(1000)
    )
    towns = cust.groupby("town").size().sort_values(ascending=False)
    occupations = cust.groupby("occupation").size().sort_values(ascending=False)
    read.compute_s = time.perf_counter() - t0
    return summary | {
        "breakdown_rows": len(breakdown),
        "top_customer": int(top.customer_id.iloc[0]) if len(top) else None,
        "towns": len(towns),
        "occupations": len(occupations),
    }


def naive_loyalty(read: Reader) -> dict:
    """The Loyalty page's figures, pandas."""
    loy, cust, fp = read("customer_loyalty"), read("customers"), read("footprints")
    tiers = read("customer_tier_months")
    t0 = time.perf_counter()
    comps = ["product_depth", "tenure", "primary_bank", "activity_trend", "outflow", "p_alive"]
    means = loy[comps].mean(numeric_only=True)
    bands = pd.cut(loy.loyalty, bins=[0, 20, 40, 60, 80, 100], include_lowest=True)
    band_counts = loy.groupby(bands, observed=False).size()
    churn = (
        loy.sort_values("churn_risk", ascending=False)
        .head(200)
        .merge(cust, on="customer_id", how="left")
    )
    since = (END_DATE - timedelta(days=365)).replace(day=1)
    c = cust[pd.to_datetime(cust.opened_on) >= pd.Timestamp(since)]
    sizes = c.groupby(_months(c.opened_on)).size()
    self_fp = fp[fp.self_initiated.astype(bool)]
    recent = self_fp[_in(self_fp.occurred_at, since, END_DATE + timedelta(days=1))]
    am = pd.DataFrame({"customer_id": recent.customer_id, "month": _months(recent.occurred_at)})
    am = am.drop_duplicates().merge(
        c.assign(cohort=_months(c.opened_on))[["customer_id", "cohort"]], on="customer_id"
    )
    cohort_activity = am[am.month >= am.cohort].groupby(["cohort", "month"]).size()
    wk_start = END_DATE - timedelta(weeks=26)
    w = self_fp[_in(self_fp.occurred_at, wk_start, END_DATE + timedelta(days=1))]
    weekly = pd.DataFrame({"c": w.customer_id, "w": _weeks(w.occurred_at)}).drop_duplicates()
    weekly_active = weekly.groupby("w").size()
    tier_mix = tiers.groupby(["month", "tier"]).size() if "tier" in tiers else pd.Series()
    read.compute_s = time.perf_counter() - t0
    return {
        "components": len(means),
        "bands": int(band_counts.sum()),
        "churn_rows": len(churn),
        "cohorts": len(sizes),
        "cohort_cells": len(cohort_activity),
        "weeks": len(weekly_active),
        "tier_cells": len(tier_mix),
    }


def naive_funnels(read: Reader) -> dict:
    """The Marketing funnels page's figures, pandas."""
    camp, ev, cust, cv = (
        read("campaigns"),
        read("marketing_events"),
        read("customers"),
        read("customer_value"),
    )
    t0 = time.perf_counter()
    first = ev.groupby(["campaign_id", "customer_id", "stage"]).occurred_at.min().unstack("stage")
    pivot = first.reset_index().merge(
        cust[["customer_id", "branch_id", "officer_id"]], on="customer_id"
    )
    pivot = pivot.merge(cv[["customer_id", "tier", "rfm_segment"]], on="customer_id", how="left")
    counts = pivot.drop(columns=["campaign_id", "customer_id"]).notna().sum()
    stages = [c for c in first.columns]
    dropped = pivot[pivot[stages[0]].notna() & pivot[stages[-1]].isna()] if stages else pivot
    read.compute_s = time.perf_counter() - t0
    return {
        "campaigns": len(camp),
        "pivot_rows": len(pivot),
        "stage_counts": int(counts.sum()),
        "dropped": len(dropped),
    }


def naive_officers(read: Reader) -> dict:
    """The Officer engagement page's figures, pandas."""
    from metrics.standards import load_standards

    std = load_standards()
    act, soft, ev = read("officer_activities"), read("soft_footprints"), read("marketing_events")
    cust, tr, att = read("customers"), read("trainings"), read("training_attendance")
    loans, offs, fp = read("loan_applications"), read("officers"), read("footprints")
    t0 = time.perf_counter()
    weekly_act = act.groupby(["officer_id", "kind", _weeks(act.occurred_at)]).size()
    weekly_soft = soft.groupby(["officer_id", _weeks(soft.captured_at)]).size()
    conv = ev[ev.stage == "converted"]
    weekly_conv = conv.groupby(["officer_id", _weeks(conv.occurred_at)]).size()
    fields = [c for c in std.profile_fields if c in cust]
    fill = cust.groupby("officer_id")[fields].agg(lambda s: s.notna().mean())
    attendance = att.merge(tr, on="training_id").merge(offs, on="officer_id", suffixes=("", "_o"))
    # declared income against the year's inflows (the page's contradiction evidence)
    end = pd.Timestamp(WEEK + timedelta(days=7))
    income = fp[(fp.direction == "in") & ~fp.kind.isin(("loan_draw", "interest"))]
    year = income[(pd.to_datetime(income.occurred_at) >= end - pd.Timedelta(days=365))]
    year = year[pd.to_datetime(year.occurred_at) < end]
    inflow = year.groupby("customer_id").amount.agg(["sum", "size"])
    profiles = cust[cust.declared_income > 0].merge(
        inflow, left_on="customer_id", right_index=True, how="left"
    )
    ratio = std.alerts.income_contradiction_ratio
    enough = profiles["size"].fillna(0) >= std.alerts.contradiction_min_inflows
    flagged = profiles[enough & (profiles.declared_income >= ratio * profiles["sum"].fillna(0.0))]
    # loan applications in the period against the applicant's footprints
    start = pd.Timestamp(WEEK - timedelta(weeks=12))
    apps = loans[
        (pd.to_datetime(loans.applied_on) >= start) & (pd.to_datetime(loans.applied_on) < end)
    ]
    seen = fp[fp.customer_id.isin(apps.customer_id)].merge(
        apps[["application_id", "customer_id", "applied_on", "declared_place"]], on="customer_id"
    )
    seen_at = pd.to_datetime(seen.occurred_at)
    applied = pd.to_datetime(seen.applied_on)
    seen = seen.assign(
        in_year=(seen_at >= applied - pd.Timedelta(days=365)) & (seen_at < applied),
        at_place=seen.place == seen.declared_place,
    )
    evidence = seen.groupby("application_id")[["in_year", "at_place"]].sum()
    read.compute_s = time.perf_counter() - t0
    return {
        "activity_cells": len(weekly_act),
        "soft_cells": len(weekly_soft),
        "conversion_cells": len(weekly_conv),
        "books": len(fill),
        "attendance": len(attendance),
        "income_flags": len(flagged),
        "applications": len(apps),
        "applications_with_evidence": len(evidence),
    }


def naive_customer(read: Reader) -> dict:
    """The Customer footprint page's figures for one customer, pandas."""
    cust, hold, snaps = read("customers"), read("product_holdings"), read("balance_snapshots")
    fp, soft = read("footprints"), read("soft_footprints")
    cv, sig, loy = read("customer_value"), read("customer_signals"), read("customer_loyalty")
    t0 = time.perf_counter()
    cid = CUSTOMER
    profile = cust[cust.customer_id == cid]
    holdings = hold[hold.customer_id == cid]
    balances = snaps[snaps.customer_id == cid].sort_values("month")
    mine = fp[fp.customer_id == cid]
    weekly = mine.groupby([_weeks(mine.occurred_at), "kind"]).amount.agg(["size", "sum"])
    recent = mine.sort_values("occurred_at", ascending=False).head(50)
    marts = [cv[cv.customer_id == cid], sig[sig.customer_id == cid], loy[loy.customer_id == cid]]
    softs = soft[soft.customer_id == cid]
    read.compute_s = time.perf_counter() - t0
    return {
        "profile": len(profile),
        "holdings": len(holdings),
        "months": len(balances),
        "weekly_rows": len(weekly),
        "recent": len(recent),
        "soft": len(softs),
        "marts": sum(len(m) for m in marts),
    }


def naive_customer_book(read: Reader) -> dict:
    """The Customer page without a customer: signal counts and leads of the book, pandas."""
    sig, cv, cust = read("customer_signals"), read("customer_value"), read("customers")
    t0 = time.perf_counter()
    flags = [c for c in sig.columns if sig[c].dtype == bool]
    counts = sig[flags].sum()
    scored = sig.assign(n=sig[flags].sum(axis=1)).merge(cv, on="customer_id", how="left")
    leads = scored[scored.n > 0].sort_values(["n", "aum"], ascending=False).head(200)
    leads = leads.merge(cust[["customer_id", "name", "phone"]], on="customer_id", how="left")
    read.compute_s = time.perf_counter() - t0
    return {"signals": len(counts), "with_signal": int((scored.n > 0).sum()), "leads": len(leads)}


NAIVE = {
    "kpis": naive_kpis,
    "segments": naive_segments,
    "loyalty": naive_loyalty,
    "funnels": naive_funnels,
    "officers": naive_officers,
    "customer": naive_customer,
    "customer_book": naive_customer_book,
}


def measure_naive(page: str, engine: sa.Engine, cap: int | None = None) -> NaiveFigures:
    """Run the usual way for ``page`` once (it caches nothing: every run is cold)."""
    base = current_rss_mb()
    read = Reader(engine, cap)
    read.compute_s = 0.0
    figures = NAIVE[page](read)
    out = NaiveFigures(page)
    out.read_s = read.read_s
    out.compute_s = read.compute_s * read.scale
    out.total_s = out.read_s + out.compute_s
    out.rows_read = read.rows_read
    out.rows_in_tables = read.rows_total
    out.peak_rss_mb = peak_rss_mb()
    out.extrapolated = read.scale > 1.0
    out.peak_rss_extrapolated_mb = base + (out.peak_rss_mb - base) * read.scale
    out.tables = read.tables
    out.figures = figures
    return out


def main(argv: list[str]) -> None:
    """``python -m bench.naive PAGE URL [cap]``: one JSON line."""
    from data_access.engine import make_engine

    page, url = argv[0], argv[1]
    cap = int(argv[2]) if len(argv) > 2 and int(argv[2]) > 0 else None
    fig = measure_naive(page, make_engine(url), cap)
    print("BENCH " + json.dumps(asdict(fig), default=str), flush=True)


if __name__ == "__main__":
    main(sys.argv[1:])
