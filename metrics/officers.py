"""Officer engagement: activity, soft footprints, conversions, an engagement score, and what training changed.

Inputs are the weekly counts of ``data_access.queries.officers`` (officer_id, week_start, n, and
kind for activities). Weeks are Mondays. The clock is a parameter (``as_of``).

The change after a training is a difference in differences. For each officer: mean weekly value
in the N weeks after the training week minus the mean in the N weeks before it (the training week
itself is left out). Attendees are compared with officers who attended no training within N weeks
either side. The estimate and its uncertainty come from OLS of the per-officer change on an
attendee indicator (with one fixed effect per training when pooled), standard errors clustered by
officer (CR1: G/(G-1)·(n-1)/(n-k)), and a t interval with G-1 degrees of freedom, G the number of
officers. Collapsing each officer to one before/after change is what makes weekly serial
correlation harmless (Bertrand, Duflo & Mullainathan, 2004).
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import NamedTuple

import numpy as np
import polars as pl
from scipy import stats

from metrics.calendar import last_full_week, week_start, week_start_expr
from metrics.standards import Composite

VISIT_KINDS = ("visit",)
CONTACT_KINDS = ("call", "follow_up")
RATE_COLUMNS = ("visits", "contacts", "soft_footprints", "conversions")


def _require(df: pl.DataFrame, columns: tuple[str, ...] | list[str], what: str) -> None:
    missing = [c for c in columns if c not in df.columns]
    if missing:
        raise ValueError(f"{what} lacks columns {missing}")


def weekly_panel(
    counts: pl.DataFrame,
    officer_ids: list[int],
    weeks: list[date],
    kinds: tuple[str, ...] | None = None,
) -> pl.DataFrame:
    """Officer × week grid of counts, zero where nothing happened.

    In: officer_id, week_start, n (and kind when ``kinds`` is given: only those kinds count).
    Out: officer_id, week_start, value (Float64), every officer and week present.
    """
    _require(counts, ("officer_id", "week_start", "n"), "weekly counts")
    if kinds is not None:
        _require(counts, ("kind",), "weekly counts")
        counts = counts.filter(pl.col("kind").is_in(kinds))
    summed = counts.group_by("officer_id", "week_start").agg(pl.col("n").sum().alias("value"))
    grid = pl.DataFrame({"officer_id": officer_ids}, schema={"officer_id": pl.Int64}).join(
        pl.DataFrame({"week_start": weeks}, schema={"week_start": pl.Date}), how="cross"
    )
    return (
        grid.join(summed, on=["officer_id", "week_start"], how="left")
        .with_columns(pl.col("value").fill_null(0).cast(pl.Float64))
        .sort("officer_id", "week_start")
    )


def officer_rates(
    officers: pl.DataFrame,
    activity: pl.DataFrame,
    soft: pl.DataFrame,
    conversions: pl.DataFrame,
    completeness: pl.DataFrame,
    n_weeks: int,
) -> pl.DataFrame:
    """Weekly rates of each officer over a period of ``n_weeks`` weeks.

    In: officers (officer_id, branch_id, name); activity (officer_id, kind, n); soft and
    conversions (officer_id, n); completeness (officer_id, completeness).
    Out: officer_id, branch_id, name, visits, contacts, soft_footprints, conversions (per week),
    profile_completeness (0..1; 0 for an officer with no book).
    """
    if n_weeks < 1:
        raise ValueError(f"n_weeks must be at least 1, got {n_weeks}")
    _require(officers, ("officer_id", "branch_id", "name"), "officers")
    _require(activity, ("officer_id", "kind", "n"), "activity")
    _require(completeness, ("officer_id", "completeness"), "completeness")

    def per_week(df: pl.DataFrame, name: str, kinds: tuple[str, ...] | None = None) -> pl.DataFrame:
        _require(df, ("officer_id", "n"), name)
        if kinds is not None:
            df = df.filter(pl.col("kind").is_in(kinds))
        return df.group_by("officer_id").agg((pl.col("n").sum() / n_weeks).alias(name))

    out = officers.select("officer_id", "branch_id", "name")
    for part in (
        per_week(activity, "visits", VISIT_KINDS),
        per_week(activity, "contacts", CONTACT_KINDS),
        per_week(soft, "soft_footprints"),
        per_week(conversions, "conversions"),
        completeness.select("officer_id", pl.col("completeness").alias("profile_completeness")),
    ):
        out = out.join(part, on="officer_id", how="left")
    return out.with_columns(
        pl.col(*RATE_COLUMNS, "profile_completeness").fill_null(0.0).cast(pl.Float64)
    ).sort("officer_id")


def engagement_benchmark(rates: pl.DataFrame, standard: Composite) -> dict[str, float | None]:
    """The 90th percentile (linear interpolation) of each component's rate over ``rates``.

    In: rates with one column per component code (one row per officer of the bank).
    Out: component code -> 90th percentile (None when ``rates`` is empty).
    """
    codes = standard.codes
    _require(rates, codes, "rates")
    return {code: rates.get_column(code).quantile(0.9, interpolation="linear") for code in codes}


def engagement_scores(
    rates: pl.DataFrame, standard: Composite, benchmark: dict[str, float | None] | None = None
) -> pl.DataFrame:
    """The 0-100 engagement score with its visible components.

    Each component = the officer's rate ÷ the benchmark (``engagement_benchmark``: the bank's
    90th percentile; by default computed from ``rates`` itself), capped at 1.
    score = 100 × Σ weight × component.
    In: rates with one column per component code of the standard. Out: rates plus
    ``c_<code>`` (0..1; null when the benchmark is 0, counted as 0 in the score) for each
    component and ``score`` (0..100), best first.
    """
    codes = standard.codes
    _require(rates, codes, "rates")
    p90 = engagement_benchmark(rates, standard) if benchmark is None else benchmark
    missing = [c for c in codes if c not in p90]
    if missing:
        raise ValueError(f"benchmark lacks components {missing}")
    comps = [
        (
            (pl.col(code) / p90[code]).clip(0.0, 1.0)
            if p90[code] is not None and p90[code] > 0
            else pl.lit(None, pl.Float64)  # nobody did it: not measurable this period
        ).alias(f"c_{code}")
        for code in codes
    ]
    # a component nobody achieved counts 0 for everyone: the standard's weights stay as published
    score = (
        pl.sum_horizontal(
            [pl.col(f"c_{c.code}").fill_null(0.0) * c.weight for c in standard.components]
        )
        * 100.0
    )
    return (
        rates.with_columns(comps)
        .with_columns(score.clip(0.0, 100.0).alias("score"))
        .sort(["score", "officer_id"], descending=[True, False])
    )


def attendance_summary(attendance: pl.DataFrame, trainings: pl.DataFrame) -> pl.DataFrame:
    """Per training: invited, attended and the attendance rate.

    In: attendance (training_id, officer_id, attended); trainings (training_id, title, title_en,
    held_on). Out: training_id, title, title_en, held_on, invited, attended, attendance_rate.
    """
    _require(attendance, ("training_id", "officer_id", "attended"), "attendance")
    per = attendance.group_by("training_id").agg(
        pl.len().alias("invited"), pl.col("attended").sum().alias("attended")
    )
    return (
        trainings.select("training_id", "title", "title_en", "held_on")
        .join(per, on="training_id", how="left")
        .with_columns(pl.col("invited", "attended").fill_null(0).cast(pl.Int64))
        .with_columns(
            pl.when(pl.col("invited") > 0)
            .then(pl.col("attended") / pl.col("invited"))
            .otherwise(None)
            .alias("attendance_rate")
        )
        .sort("held_on", "training_id")
    )


def officer_trainings(
    attendance: pl.DataFrame, trainings: pl.DataFrame, as_of: date
) -> pl.DataFrame:
    """Per officer: trainings attended by ``as_of`` and the last one's date.

    Out: officer_id, trainings_attended, last_training_on (null when never trained).
    """
    _require(attendance, ("training_id", "officer_id", "attended"), "attendance")
    return (
        attendance.filter(pl.col("attended"))
        .join(trainings.select("training_id", "held_on"), on="training_id")
        .filter(pl.col("held_on") <= as_of)
        .group_by("officer_id")
        .agg(
            pl.len().cast(pl.Int64).alias("trainings_attended"),
            pl.col("held_on").max().alias("last_training_on"),
        )
        .sort("officer_id")
    )


def _changes(
    panel: pl.DataFrame,
    attendance: pl.DataFrame,
    trainings: pl.DataFrame,
    window_weeks: int,
    as_of: date,
) -> pl.DataFrame:
    """One row per (training, officer in the comparison): training_id, officer_id, treated, the
    weekly means before and after, and change (after − before)."""
    weeks_present = set(panel.get_column("week_start").unique().to_list())
    done_by = last_full_week(as_of)
    attended = attendance.filter(pl.col("attended")).join(
        trainings.select("training_id", "held_on"), on="training_id"
    )
    attended = attended.with_columns(week_start_expr(pl.col("held_on")).alias("t_week"))
    rows = []
    for training_id, held_on in trainings.select("training_id", "held_on").iter_rows():
        w0 = week_start(held_on)
        before = [w0 - timedelta(weeks=k) for k in range(window_weeks, 0, -1)]
        after = [w0 + timedelta(weeks=k) for k in range(1, window_weeks + 1)]
        if after[-1] > done_by or not set(before + after) <= weeks_present:
            continue  # the window is not over yet, or not covered by the data
        lo, hi = w0 - timedelta(weeks=window_weeks), w0 + timedelta(weeks=window_weeks)
        treated = set(
            attended.filter(pl.col("training_id") == training_id).get_column("officer_id")
        )
        nearby = set(attended.filter(pl.col("t_week").is_between(lo, hi)).get_column("officer_id"))
        change = (
            panel.filter(pl.col("week_start").is_in(before + after))
            .with_columns(pl.col("week_start").is_in(after).alias("post"))
            .group_by("officer_id")
            .agg(
                pl.col("value").filter(~pl.col("post")).mean().alias("before"),
                pl.col("value").filter(pl.col("post")).mean().alias("after"),
            )
            .with_columns((pl.col("after") - pl.col("before")).alias("change"))
            .with_columns(
                pl.lit(training_id, pl.Int64).alias("training_id"),
                pl.col("officer_id").is_in(list(treated)).alias("treated"),
                pl.col("officer_id").is_in(list(nearby)).alias("_nearby"),
            )
            .filter(pl.col("treated") | ~pl.col("_nearby"))
            .drop("_nearby")
        )
        rows.append(change)
    schema = {
        "training_id": pl.Int64,
        "officer_id": pl.Int64,
        "treated": pl.Boolean,
        "before": pl.Float64,
        "after": pl.Float64,
        "change": pl.Float64,
    }
    if not rows:
        return pl.DataFrame(schema=schema)
    return pl.concat(rows).select(list(schema)).cast(schema).sort("training_id", "officer_id")


def _cluster_ols(
    y: np.ndarray, x: np.ndarray, clusters: np.ndarray
) -> tuple[float, float | None, int]:
    """Coefficient of the last column of ``x``, its CR1 cluster-robust SE, and the cluster count."""
    xtx_inv = np.linalg.pinv(x.T @ x)
    beta = xtx_inv @ x.T @ y
    resid = y - x @ beta
    n, k = x.shape
    groups = np.unique(clusters)
    g = len(groups)
    if g < 2 or n <= k:
        return float(beta[-1]), None, g
    meat = np.zeros((k, k))
    for grp in groups:
        score = x[clusters == grp].T @ resid[clusters == grp]
        meat += np.outer(score, score)
    factor = g / (g - 1) * (n - 1) / (n - k)
    var = factor * xtx_inv @ meat @ xtx_inv
    return float(beta[-1]), float(np.sqrt(max(var[-1, -1], 0.0))), g


def _estimate(changes: pl.DataFrame, level: float) -> dict[str, float | int | None]:
    """DiD estimate, SE and CI from per-officer changes (fixed effect per training)."""
    n_treated = int(changes.get_column("treated").sum())
    n_control = changes.height - n_treated
    treated_change = changes.filter(pl.col("treated")).get_column("change").mean()
    control_change = changes.filter(~pl.col("treated")).get_column("change").mean()
    out: dict[str, float | int | None] = {
        "n_treated": n_treated,
        "n_control": n_control,
        "treated_change": treated_change,
        "control_change": control_change,
        "did": None,
        "se": None,
        "ci_low": None,
        "ci_high": None,
        "df": None,
    }
    if n_treated == 0 or n_control == 0:
        return out
    ids = changes.get_column("training_id").to_numpy()
    dummies = (ids[:, None] == np.unique(ids)[None, :]).astype(float)
    x = np.column_stack([dummies, changes.get_column("treated").cast(pl.Float64).to_numpy()])
    y = changes.get_column("change").to_numpy().astype(float)
    beta, se, g = _cluster_ols(y, x, changes.get_column("officer_id").to_numpy())
    out["did"] = beta
    if se is not None:
        t = float(stats.t.ppf(0.5 + level / 2, g - 1))
        out.update(se=se, ci_low=beta - t * se, ci_high=beta + t * se, df=g - 1)
    return out


DID_SCHEMA = {
    "n_treated": pl.Int64,
    "n_control": pl.Int64,
    "treated_change": pl.Float64,
    "control_change": pl.Float64,
    "did": pl.Float64,
    "se": pl.Float64,
    "ci_low": pl.Float64,
    "ci_high": pl.Float64,
    "df": pl.Int64,
}


class TrainingEffect(NamedTuple):
    """What training changed in one weekly measure (``training_effect``)."""

    per_training: pl.DataFrame  # a difference in differences per training
    pooled: dict[str, float | int | None]  # one over all trainings with both groups
    levels: pl.DataFrame  # what the pooled one compares: each group's mean before and after


def training_effect(
    panel: pl.DataFrame,
    attendance: pl.DataFrame,
    trainings: pl.DataFrame,
    *,
    window_weeks: int,
    as_of: date,
    level: float = 0.95,
) -> TrainingEffect:
    """Difference in differences of a weekly measure around each training and over all trainings
    together, with its uncertainty, and the group levels it compares.

    In: panel (officer_id, week_start, value; zero-filled, see ``weekly_panel``); attendance
    (training_id, officer_id, attended); trainings (training_id, held_on). Trainings whose
    after-window has not ended by ``as_of`` or lies outside the panel are left out.
    Out (``level`` sets the intervals):
    - per_training: training_id, held_on, n_treated, n_control, treated_change, control_change
      (mean after − before), did, se, ci_low, ci_high, df;
    - pooled: one DiD with a fixed effect per training, SE clustered by officer, over the
      trainings with both groups: n_treated, n_control (officer-training pairs), treated_change,
      control_change, did, se, ci_low, ci_high, df, n_trainings;
    - levels: group ("trained" / "untrained"), period ("before" / "after"), mean, ci_low,
      ci_high, n over the same officer-training pairs, with a t interval; four rows when there
      is a comparison, none otherwise.
    """
    _require(panel, ("officer_id", "week_start", "value"), "panel")
    _require(trainings, ("training_id", "held_on"), "trainings")
    if window_weeks < 1:
        raise ValueError(f"window_weeks must be at least 1, got {window_weeks}")
    if not 0 < level < 1:
        raise ValueError(f"level must be between 0 and 1, got {level}")
    changes = _changes(panel, attendance, trainings, window_weeks, as_of)
    # only trainings with both groups identify the pooled effect
    both = (
        changes.group_by("training_id")
        .agg(pl.col("treated").any().alias("t"), (~pl.col("treated")).any().alias("c"))
        .filter(pl.col("t") & pl.col("c"))
        .get_column("training_id")
    )
    comparable = changes.filter(pl.col("training_id").is_in(both.to_list()))
    return TrainingEffect(
        _per_training(changes, trainings, level),
        _pooled(comparable, both.len(), level),
        _levels(comparable, level),
    )


def _per_training(changes: pl.DataFrame, trainings: pl.DataFrame, level: float) -> pl.DataFrame:
    """``TrainingEffect.per_training``: ``_estimate`` of each training's changes."""
    rows = [
        {"training_id": tid, **_estimate(part, level)}
        for (tid,), part in changes.group_by("training_id", maintain_order=True)
    ]
    schema = {"training_id": pl.Int64} | DID_SCHEMA
    out = pl.DataFrame(rows, schema=schema) if rows else pl.DataFrame(schema=schema)
    return (
        out.join(trainings.select("training_id", "held_on"), on="training_id", how="left")
        .select("training_id", "held_on", *DID_SCHEMA)
        .sort("held_on", "training_id")
    )


def _pooled(
    comparable: pl.DataFrame, n_trainings: int, level: float
) -> dict[str, float | int | None]:
    """``TrainingEffect.pooled``: ``_estimate`` over the trainings with both groups."""
    if comparable.is_empty():
        return {k: None for k in DID_SCHEMA} | {"n_treated": 0, "n_control": 0, "n_trainings": 0}
    return _estimate(comparable, level) | {"n_trainings": n_trainings}


def _levels(comparable: pl.DataFrame, level: float) -> pl.DataFrame:
    """``TrainingEffect.levels``: each group's mean before and after with a t interval."""
    schema = {
        "group": pl.String,
        "period": pl.String,
        "mean": pl.Float64,
        "ci_low": pl.Float64,
        "ci_high": pl.Float64,
        "n": pl.Int64,
    }
    rows = []
    for group, treated in (("trained", True), ("untrained", False)):
        part = comparable.filter(pl.col("treated") == treated)
        for period in ("before", "after"):
            values = part.get_column(period).drop_nulls().to_numpy().astype(float)
            n = len(values)
            if n == 0:
                continue
            mean = float(values.mean())
            half = None
            if n > 1:
                half = float(stats.t.ppf(0.5 + level / 2, n - 1)) * float(
                    values.std(ddof=1) / np.sqrt(n)
                )
            rows.append(
                {
                    "group": group,
                    "period": period,
                    "mean": mean,
                    "ci_low": None if half is None else mean - half,
                    "ci_high": None if half is None else mean + half,
                    "n": n,
                }
            )
    return pl.DataFrame(rows, schema=schema) if rows else pl.DataFrame(schema=schema)


def coaching_list(
    scores: pl.DataFrame, trained: pl.DataFrame, standard: Composite, *, below: float
) -> pl.DataFrame:
    """Officers who need coaching: engagement score below ``below``, weakest component named.

    In: scores from ``engagement_scores``; trained from ``officer_trainings``.
    Out: officer_id, branch_id, name, score, weakest (component code), weakest_value,
    trainings_attended, last_training_on; lowest score first.
    """
    codes = standard.codes
    _require(scores, ["officer_id", "score", *[f"c_{c}" for c in codes]], "scores")
    # a component that nobody achieved (null) says nothing about this officer: skip it
    comp = pl.concat_list([pl.col(f"c_{c}").fill_null(float("inf")) for c in codes])
    return (
        scores.filter(pl.col("score") < below)
        .with_columns(
            comp.list.arg_min().alias("_weakest"),
            comp.list.min().replace(float("inf"), None).alias("weakest_value"),
        )
        .with_columns(
            pl.when(pl.col("weakest_value").is_not_null())
            .then(
                pl.col("_weakest").replace_strict(
                    list(range(len(codes))), codes, return_dtype=pl.String
                )
            )
            .alias("weakest")
        )
        .join(trained, on="officer_id", how="left")
        .with_columns(pl.col("trainings_attended").fill_null(0))
        .select(
            "officer_id",
            "branch_id",
            "name",
            "score",
            "weakest",
            "weakest_value",
            "trainings_attended",
            "last_training_on",
        )
        .sort(["score", "officer_id"])
    )


def officers_in_view(
    officers: pl.DataFrame,
    branch_ids: tuple[int, ...] = (),
    officer_ids: tuple[int, ...] = (),
    roles: tuple[str, ...] | None = None,
) -> pl.DataFrame:
    """The officers the sidebar selects (empty lists select all), optionally only some roles."""
    _require(officers, ("officer_id", "branch_id"), "officers")
    keep = pl.lit(True)
    if branch_ids:
        keep &= pl.col("branch_id").is_in(list(branch_ids))
    if officer_ids:
        keep &= pl.col("officer_id").is_in(list(officer_ids))
    if roles is not None:
        _require(officers, ("role",), "officers")
        keep &= pl.col("role").is_in(list(roles))
    return officers.filter(keep)
