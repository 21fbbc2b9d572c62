"""Weekly KPIs for branch presidents: value, week-over-week, year-over-year, target, unusual moves.

Every function is pure polars; the chosen week is a parameter (never today's date).

The weekly KPI frame (``WEEKLY_COLUMNS``) is long: one row per branch, Monday and KPI code.
Targets (``TARGET_COLUMNS``) have the same keys. Stock KPIs (balances, effective customers) are
levels at the week's end and are compared with a target level; flow KPIs (new customers, sign-ups,
conversions, outflows) are what happened during the week and are compared with a weekly target.
Every KPI is additive over branches (a customer and an account belong to one branch), so bank-wide
figures are sums of branch figures.
"""

from __future__ import annotations

from datetime import date, timedelta

import numpy as np
import polars as pl
from scipy.stats import norm, poisson

from metrics.codes import KPIS
from metrics.standards import Alerts

WEEKLY_COLUMNS = ("branch_id", "week_start", "kpi", "value")
TARGET_COLUMNS = ("branch_id", "week_start", "kpi", "target")
OFFICER_COLUMNS = ("officer_id", "branch_id", "week_start", "measure", "value")

# A KPI's value against the week before and the same week a year before: that value, the change
# and the change as a share of it.
WEEK_ON_WEEK = ("prev_value", "wow_abs", "wow_pct")
YEAR_ON_YEAR = ("yoy_value", "yoy_abs", "yoy_pct")

# Derived from the KPI registry (metrics/codes.py), where a KPI is defined once.
STOCK_KPIS = tuple(k.code for k in KPIS if k.stock)
FLOW_KPIS = tuple(k.code for k in KPIS if not k.stock)
MONEY_KPIS = tuple(k.code for k in KPIS if k.money)
# Measured once a month: the weekly figure is the month's, so it only moves at a month change.
MONTHLY_KPIS = tuple(k.code for k in KPIS if k.source == "mart_monthly")
# Weekly counts of events (tested as counts) and the weekly amounts (heavy-tailed).
COUNT_KPIS = tuple(k.code for k in KPIS if not k.stock and not k.money)
FLOW_MONEY_KPIS = tuple(k.code for k in KPIS if not k.stock and k.money)
# Outflows to other banks and platforms are the one KPI where less is better.
LOWER_IS_BETTER = tuple(k.code for k in KPIS if k.lower_is_better)
# Short stem of each KPI for reason codes such as "deposit_drop" or "outflow_spike".
REASON_STEMS = {k.code: k.stem for k in KPIS}
LEAGUE_MEASURES = ("conversions", "new_customers", "activities")

YEAR = timedelta(weeks=52)  # "same ISO week a year earlier" = 52 weeks back (also a Monday)
MAD_SCALE = 1.4826  # makes the median absolute deviation estimate sigma for normal data
MEAN_AD_SCALE = 1.2533  # same for the mean absolute deviation (fallback when the MAD is 0)
MIN_HISTORY = 4  # fewer past weeks than this: too little history to call a move unusual
OUTFLOW_DEPOSIT_SHARE = 0.01  # and an excess of at least 1% of the branch's deposits
OUTFLOW_RATIO = 3.0  # an outflow flag needs three times (or a third of) the usual weekly amount
Z_CAP = 10.0  # a count far beyond its usual level reads z = 10, not infinity


def _check(frame: pl.DataFrame, columns: tuple[str, ...], name: str) -> None:
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise ValueError(f"{name} lacks columns {missing}; expected {list(columns)}")


def _check_monday(week: date) -> None:
    if week.weekday() != 0:
        raise ValueError(f"week must be a Monday, got {week} ({week:%A})")


def fill_flow_gaps(weekly: pl.DataFrame) -> pl.DataFrame:
    """Add a 0 for every flow KPI missing in a (branch, week) that has any figure.

    A week with no new customer or no conversion has no row in the grouped query; for a flow that
    means 0, not "unknown". Stock KPIs are left alone: a missing balance is missing.
    In/out: branch_id, week_start, kpi, value.
    """
    _check(weekly, WEEKLY_COLUMNS, "weekly")
    grid = weekly.select("branch_id", "week_start").unique()
    flows = pl.DataFrame({"kpi": list(FLOW_KPIS)}, schema={"kpi": weekly.schema["kpi"]})
    missing = grid.join(flows, how="cross").join(
        weekly, on=["branch_id", "week_start", "kpi"], how="anti"
    )
    zeros = missing.with_columns(pl.lit(0, dtype=weekly.schema["value"]).alias("value"))
    return pl.concat([weekly, zeros.select(weekly.columns)]).sort("kpi", "branch_id", "week_start")


def bank_wide(weekly: pl.DataFrame, value_col: str = "value") -> pl.DataFrame:
    """Sum branches per week and KPI: in (branch_id, week_start, kpi, <value_col>), out without branch_id."""
    return (
        weekly.group_by("week_start", "kpi")
        .agg(pl.col(value_col).sum().alias(value_col))
        .sort("kpi", "week_start")
    )


def _at(frame: pl.DataFrame, keys: list[str], day: date, name: str, col: str) -> pl.DataFrame:
    return frame.filter(pl.col("week_start") == day).select(*keys, pl.col(col).alias(name))


def month_back(month: date, n: int) -> date:
    """First of the month ``n`` months before ``month`` (a first of month)."""
    k = month.year * 12 + month.month - 1 - n
    return date(k // 12, k % 12 + 1, 1)


def _monthly_priors(
    weekly: pl.DataFrame, week: date, keys: list[str], same_days: pl.DataFrame | None
) -> pl.DataFrame:
    """prev_value and yoy_value of the monthly KPIs, like for like.

    A monthly measure's week takes the month of its Monday. Year over year compares that month
    with the same calendar month a year earlier (not the month 52 weeks back); when the month is
    still running (``same_days``: branch_id, month, value counted through the same day of the
    month), last year's month and — in the week the month changed — last month are counted
    through the same day too.
    """
    month, prev_month = week.replace(day=1), (week - timedelta(weeks=1)).replace(day=1)
    monthly = (
        weekly.filter(pl.col("kpi").is_in(MONTHLY_KPIS))
        .with_columns(pl.col("week_start").dt.month_start().alias("month"))
        .sort("week_start")
        .group_by(*keys, "month")
        .agg(pl.col("value").first())
    )
    if same_days is not None:
        part = same_days.with_columns(pl.lit(MONTHLY_KPIS[0]).alias("kpi"))
        if "branch_id" not in keys:
            part = part.group_by("kpi", "month").agg(pl.col("value").sum())
        monthly = pl.concat(
            [
                monthly.join(part.select("month").unique(), on="month", how="anti"),
                part.select(*keys, "month", pl.col("value").cast(monthly.schema["value"])),
            ]
        )
    prev = _at(
        weekly.filter(pl.col("kpi").is_in(MONTHLY_KPIS)),
        keys,
        week - timedelta(weeks=1),
        "prev_value",
        "value",
    )
    if same_days is not None and prev_month != month:
        prev = monthly.filter(pl.col("month") == prev_month).select(
            *keys, pl.col("value").alias("prev_value")
        )
    year = monthly.filter(pl.col("month") == month_back(month, 12)).select(
        *keys, pl.col("value").alias("yoy_value")
    )
    return prev.join(year, on=keys, how="full", coalesce=True)


def _changes(
    weekly: pl.DataFrame,
    targets: pl.DataFrame,
    week: date,
    keys: list[str],
    same_days: pl.DataFrame | None = None,
) -> pl.DataFrame:
    now = _at(weekly, keys, week, "value", "value")
    prev = _at(weekly, keys, week - timedelta(weeks=1), "prev_value", "value")
    year = _at(weekly, keys, week - YEAR, "yoy_value", "value")
    tgt = _at(targets, keys, week, "target", "target")
    monthly = _monthly_priors(weekly, week, keys, same_days)
    priors = pl.concat(
        [
            prev.join(year, on=keys, how="full", coalesce=True).filter(
                ~pl.col("kpi").is_in(MONTHLY_KPIS)
            ),
            monthly.select(*keys, "prev_value", "yoy_value").cast(
                {"prev_value": pl.Float64, "yoy_value": pl.Float64}
            ),
        ],
        how="diagonal_relaxed",
    )
    return (
        now.join(priors, on=keys, how="left")
        .join(tgt, on=keys, how="left")
        .with_columns(
            (pl.col("value") - pl.col("prev_value")).alias("wow_abs"),
            (pl.col("value") - pl.col("yoy_value")).alias("yoy_abs"),
        )
        .with_columns(
            pl.when(pl.col("prev_value") != 0)
            .then(pl.col("wow_abs") / pl.col("prev_value").abs())
            .alias("wow_pct"),
            pl.when(pl.col("yoy_value") != 0)
            .then(pl.col("yoy_abs") / pl.col("yoy_value").abs())
            .alias("yoy_pct"),
            # A missing or non-positive target has no meaningful attainment. For a lower-is-
            # better KPI (outflows) it is target ÷ actual, as in the ranking: above 100% is good
            # for every KPI (nothing out at all: no ratio).
            pl.when(pl.col("target") <= 0)
            .then(None)
            .when(pl.col("kpi").is_in(LOWER_IS_BETTER))
            .then(pl.when(pl.col("value") > 0).then(pl.col("target") / pl.col("value")))
            .otherwise(pl.col("value").clip(lower_bound=0) / pl.col("target"))
            .alias("attainment"),
        )
        .select(*keys, "value", *WEEK_ON_WEEK, *YEAR_ON_YEAR, "target", "attainment")
        .sort(keys)
    )


def branch_kpis(
    weekly: pl.DataFrame,
    targets: pl.DataFrame,
    *,
    week: date,
    same_days: pl.DataFrame | None = None,
) -> pl.DataFrame:
    """KPIs of ``week`` per branch.

    In: weekly (branch_id, week_start, kpi, value), targets (branch_id, week_start, kpi, target),
    optionally ``same_days`` (branch_id, month, value): effective customers of earlier months
    counted through the day the data ends, when the week's month is still running.
    Out: branch_id, kpi, value, prev_value, wow_abs, wow_pct, yoy_value, yoy_abs, yoy_pct,
    target, attainment (value / target, for outflows target / value: above 100% is good for every
    KPI; null without a positive target). Monthly measures compare like with like (see
    ``_monthly_priors``).
    """
    _check(weekly, WEEKLY_COLUMNS, "weekly")
    _check(targets, TARGET_COLUMNS, "targets")
    _check_monday(week)
    return _changes(weekly, targets, week, ["branch_id", "kpi"], same_days)


def bank_kpis(
    weekly: pl.DataFrame,
    targets: pl.DataFrame,
    *,
    week: date,
    same_days: pl.DataFrame | None = None,
) -> pl.DataFrame:
    """KPIs of ``week`` summed over the branches in the frames; columns as ``branch_kpis`` without branch_id.

    The bank-wide target is the sum of branch targets of the branches that have one.
    """
    _check(weekly, WEEKLY_COLUMNS, "weekly")
    _check(targets, TARGET_COLUMNS, "targets")
    _check_monday(week)
    return _changes(bank_wide(weekly), bank_wide(targets, "target"), week, ["kpi"], same_days)


def kpi_trend(
    weekly: pl.DataFrame, targets: pl.DataFrame, *, kpi: str, week: date, weeks: int = 52
) -> pl.DataFrame:
    """Bank-wide (summed) trend of one KPI over the ``weeks`` weeks ending with ``week``.

    Out: week_start, value, prior_year (the value 52 weeks earlier), target — one row per week,
    nulls where a figure is missing.
    """
    _check(weekly, WEEKLY_COLUMNS, "weekly")
    _check(targets, TARGET_COLUMNS, "targets")
    _check_monday(week)
    if weeks < 1:
        raise ValueError(f"weeks must be at least 1, got {weeks}")
    frame = bank_wide(weekly.filter(pl.col("kpi") == kpi)).select("week_start", "value")
    tgt = bank_wide(targets.filter(pl.col("kpi") == kpi), "target").select("week_start", "target")
    first = week - timedelta(weeks=weeks - 1)
    axis = pl.DataFrame(
        {"week_start": pl.date_range(first, week, interval="1w", eager=True)},
        schema={"week_start": pl.Date},
    )
    prior = frame.select(
        (pl.col("week_start") + YEAR).alias("week_start"), pl.col("value").alias("prior_year")
    )
    return (
        axis.join(frame, on="week_start", how="left")
        .join(prior, on="week_start", how="left")
        .join(tgt, on="week_start", how="left")
        .select("week_start", "value", "prior_year", "target")
        .sort("week_start")
    )


def _robust_z(change: pl.Expr, history: pl.Expr) -> pl.Expr:
    med = history.list.median()
    mad = (history - med).list.eval(pl.element().abs()).list.median() * MAD_SCALE
    mean_ad = (history - med).list.eval(pl.element().abs()).list.mean() * MEAN_AD_SCALE
    # Median absolute deviation first; when more than half the past changes are identical it is
    # 0, and the mean absolute deviation takes over; when that is 0 too, nothing is unusual.
    scale = pl.when(mad > 0).then(mad).when(mean_ad > 0).then(mean_ad)
    return (change - med) / scale


def _count_z(value: np.ndarray, usual: np.ndarray, p_value: float, min_change: float) -> np.ndarray:
    """Signed normal score of a Poisson count against its usual level; 0 where not unusual.

    Two-sided: each tail at ``p_value / 2``; a count within ``min_change`` of the usual level is
    never unusual (1 conversion to 0 is not news).
    """
    usual = np.maximum(np.nan_to_num(usual), 1e-9)  # a Poisson mean of 0 is undefined in scipy
    lo = poisson.cdf(value, usual)  # P(X <= value)
    hi = poisson.sf(value - 1, usual)  # P(X >= value)
    tail = np.minimum(lo, hi)
    sign = np.sign(value - usual)
    unusual = (tail < p_value / 2) & (np.abs(value - usual) >= min_change)
    z = np.minimum(norm.isf(np.maximum(tail, 1e-300)), Z_CAP)
    return np.where(unusual, sign * z, 0.0)


def week_flags(weekly: pl.DataFrame, week: date, alerts: Alerts) -> pl.DataFrame:
    """Branch KPIs whose move in ``week`` is unusual against the branch's own last weeks, by the
    thresholds of the bank's standard (``alerts``, its ``kpi_*`` fields).

    Each kind of figure gets the test that fits it, over the ``kpi_history_weeks`` weeks before:
    - balances (stocks): the week's change against the past weekly changes, robust z-score
      (median and scaled median absolute deviation), ``|z| >= kpi_z_score``, and the change at
      least ``kpi_min_change_share`` of last week's balance (noise on a large book is not news);
    - counts (new customers, sign-ups, conversions): the week's count against a Poisson law with
      the past weeks' mean, each tail at ``kpi_count_p_value / 2``, and at least
      ``kpi_count_min_change`` away from that mean; z is the matching normal score;
    - outflows (heavy-tailed amounts): at least three times (or at most a third of) the past
      weeks' median amount, and away from it by at least 1% of the branch's deposits; z (shown)
      is the robust z-score of the log amount;
    - monthly measures (effective customers) are never flagged: their weekly figure only moves
      when the month changes.
    A move is flagged only when the week's change (value minus last week's) points the same way
    as the test's deviation, and the reason and ``adverse`` come from that change: a figure that
    rose is never an "unusual drop". Needs at least 4 past weeks.
    In: weekly (branch_id, week_start, kpi, value).
    Out: branch_id, kpi, value, change, typical_change (median of the past changes), z,
    reason ("<stem>_drop" / "<stem>_spike"), adverse (the move hurts), sorted by |z| descending.
    """
    _check(weekly, WEEKLY_COLUMNS, "weekly")
    _check_monday(week)
    history_weeks, z_threshold = alerts.kpi_history_weeks, alerts.kpi_z_score
    if history_weeks < 2:
        raise ValueError(f"history_weeks must be at least 2, got {history_weeks}")
    if z_threshold <= 0:
        raise ValueError(f"z_threshold must be positive, got {z_threshold}")
    first = week - timedelta(weeks=history_weeks + 1)
    keys = ["branch_id", "kpi"]
    rows = (
        weekly.filter(
            pl.col("week_start").is_between(first, week), ~pl.col("kpi").is_in(MONTHLY_KPIS)
        )
        .sort(*keys, "week_start")
        .with_columns(
            # A change only counts between consecutive weeks (a gap is not a one-week move).
            pl.when(pl.col("week_start").diff().over(keys) == timedelta(weeks=1))
            .then(pl.col("value").diff().over(keys))
            .alias("change")
        )
    )
    now = rows.filter(pl.col("week_start") == week, pl.col("change").is_not_null())
    past = rows.filter(pl.col("week_start") < week, pl.col("week_start") > first)
    history = past.group_by(keys).agg(
        pl.col("change").drop_nulls().alias("history"),
        pl.col("value").alias("levels"),
        pl.col("value").mean().alias("usual_count"),
    )
    joined = (
        now.join(history, on=keys, how="inner")
        .filter(pl.col("history").list.len() >= MIN_HISTORY)
        .with_columns(
            pl.col("history").list.median().alias("typical_change"),
            pl.when(pl.col("kpi").is_in(FLOW_MONEY_KPIS))
            .then(
                _robust_z(
                    pl.col("value").clip(lower_bound=0).log1p(),
                    pl.col("levels").list.eval(pl.element().clip(lower_bound=0).log1p()),
                )
            )
            .otherwise(_robust_z(pl.col("change"), pl.col("history")))
            .alias("z"),
        )
    )
    counts = joined.filter(pl.col("kpi").is_in(COUNT_KPIS))
    if counts.height:
        z = _count_z(
            counts["value"].to_numpy().astype(float),
            counts["usual_count"].to_numpy().astype(float),
            alerts.kpi_count_p_value,
            alerts.kpi_count_min_change,
        )
        counts = counts.with_columns(pl.Series("z", z, dtype=pl.Float64))
    joined = pl.concat([joined.filter(~pl.col("kpi").is_in(COUNT_KPIS)), counts])
    stems = pl.DataFrame(
        {"kpi": list(REASON_STEMS), "stem": list(REASON_STEMS.values())},
        schema={"kpi": pl.String, "stem": pl.String},
    )
    usual_level = pl.col("levels").list.median()
    deposits = weekly.filter(pl.col("week_start") == week, pl.col("kpi") == "deposit_balance")
    joined = joined.join(
        deposits.select("branch_id", pl.col("value").alias("_deposits")), on="branch_id", how="left"
    )
    big_enough = (
        pl.when(pl.col("kpi").is_in(FLOW_MONEY_KPIS))
        .then(
            (
                (pl.col("value") >= OUTFLOW_RATIO * usual_level)
                | (pl.col("value") * OUTFLOW_RATIO <= usual_level)
            )
            # and large for the branch: a share of its deposits (when the ledger is known)
            & (
                (pl.col("value") - usual_level).abs()
                >= OUTFLOW_DEPOSIT_SHARE * pl.col("_deposits").fill_null(0.0)
            )
        )
        .otherwise(
            pl.col("change").abs()
            >= alerts.kpi_min_change_share * (pl.col("value") - pl.col("change")).abs()
        )
    )
    unusual = (
        pl.when(pl.col("kpi").is_in(COUNT_KPIS))
        .then(pl.col("z") != 0)
        # an outflow's log amounts vary too much for the z alone: its size rules decide
        .when(pl.col("kpi").is_in(FLOW_MONEY_KPIS))
        .then(big_enough)
        .otherwise((pl.col("z").abs() >= z_threshold) & big_enough)
    )
    return (
        joined.filter(unusual.fill_null(False), pl.col("change").sign() == pl.col("z").sign())
        .join(stems, on="kpi", how="left")
        .with_columns(
            (
                pl.coalesce("stem", "kpi")
                + pl.when(pl.col("change") < 0).then(pl.lit("_drop")).otherwise(pl.lit("_spike"))
            ).alias("reason"),
            pl.when(pl.col("kpi").is_in(LOWER_IS_BETTER))
            .then(pl.col("change") > 0)
            .otherwise(pl.col("change") < 0)
            .alias("adverse"),
        )
        .sort(pl.col("z").abs(), "branch_id", "kpi", descending=[True, False, False])
        .select(*keys, "value", "change", "typical_change", "z", "reason", "adverse")
    )


def branch_ranking(kpis: pl.DataFrame, *, cap: float = 1.5) -> pl.DataFrame:
    """Rank branches by their target attainment in one week.

    Score = mean over KPIs with a target of attainment capped at ``cap`` (one runaway KPI cannot
    hide the others); for lower-is-better KPIs (outflows) the attainment used is target / value.
    In: the output of ``branch_kpis``.
    Out: rank (1 = best; ties share the rank), branch_id, score, on_target (KPIs at or better
    than target), with_target (KPIs that have a target); branches without any target last.
    """
    _check(kpis, ("branch_id", "kpi", "value", "target", "attainment"), "kpis")
    good = (
        pl.when(pl.col("kpi").is_in(LOWER_IS_BETTER))
        .then(
            pl.when(pl.col("value") > 0)
            .then(pl.col("target") / pl.col("value"))
            .when(pl.col("target") > 0)
            .then(pl.lit(cap))
        )
        .otherwise(pl.col("attainment"))
        .clip(upper_bound=cap)
    )
    return (
        kpis.with_columns(good.alias("good"))
        .group_by("branch_id")
        .agg(
            pl.col("good").mean().alias("score"),
            (pl.col("good") >= 1).sum().cast(pl.Int64).alias("on_target"),
            pl.col("good").is_not_null().sum().cast(pl.Int64).alias("with_target"),
        )
        .with_columns(
            pl.col("score").rank(method="min", descending=True).cast(pl.Int64).alias("rank")
        )
        .sort("rank", "branch_id", nulls_last=True)
        .select("rank", "branch_id", "score", "on_target", "with_target")
    )


def officer_league(
    officer_weekly: pl.DataFrame, *, week: date, officers: pl.DataFrame | None = None
) -> pl.DataFrame:
    """League table of officers for ``week`` from weekly aggregates.

    In: officer_weekly (officer_id, branch_id, week_start, measure, value) with measures
    conversions, new_customers, activities (missing = 0); optionally ``officers``
    (officer_id, branch_id) so that officers who did nothing are listed with zeros.
    Out: rank, officer_id, branch_id, conversions, new_customers, activities,
    conversions_prev (the week before), lagging — ranked by conversions, then new customers,
    then activities; an officer lags when they made under half the median officer's activities.
    """
    _check(officer_weekly, OFFICER_COLUMNS, "officer_weekly")
    _check_monday(week)
    unknown = set(officer_weekly["measure"].unique().to_list()) - set(LEAGUE_MEASURES)
    if unknown:
        raise ValueError(f"unknown measures {sorted(unknown)}; expected {list(LEAGUE_MEASURES)}")
    prev_week = week - timedelta(weeks=1)
    rows = officer_weekly.filter(pl.col("week_start").is_in([week, prev_week]))
    keys = ["officer_id", "branch_id"]
    wide = rows.group_by(keys).agg(
        *(
            pl.col("value")
            .filter((pl.col("measure") == m) & (pl.col("week_start") == week))
            .sum()
            .cast(pl.Int64)
            .alias(m)
            for m in LEAGUE_MEASURES
        ),
        pl.col("value")
        .filter((pl.col("measure") == "conversions") & (pl.col("week_start") == prev_week))
        .sum()
        .cast(pl.Int64)
        .alias("conversions_prev"),
    )
    if officers is not None:
        _check(officers, ("officer_id", "branch_id"), "officers")
        base = officers.select(pl.col(k).cast(wide.schema[k]) for k in keys).unique()
        wide = base.join(wide, on=keys, how="full", coalesce=True).with_columns(
            pl.col(*LEAGUE_MEASURES, "conversions_prev").fill_null(0)
        )
    order = pl.struct(pl.col("conversions"), pl.col("new_customers"), pl.col("activities"))
    return (
        wide.with_columns(
            order.rank(method="min", descending=True).cast(pl.Int64).alias("rank"),
            (pl.col("activities") < 0.5 * pl.col("activities").median()).alias("lagging"),
        )
        .sort("rank", "officer_id")
        .select("rank", *keys, *LEAGUE_MEASURES, "conversions_prev", "lagging")
    )
