"""Marketing funnels: ordered stages within a conversion window, per campaign.

Every function works on the *stage pivot* the data-access layer returns: one row per customer and
campaign with the first timestamp of each stage (``<stage>_at``, null when never reached), plus
descriptive columns (``officer_id``, ``branch_id``, ``tier``, ``rfm_segment``, ``product`` ...).

The rule (from the standard): a customer counts at stage k only if it reached every earlier stage
in order (each first timestamp at or after the previous stage's) and within ``window_days`` days of
being targeted — by default each campaign's own conversion window (``window_days=None``). Stage 0 (targeted) is reached when its timestamp is present.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

import polars as pl

OWN_WINDOW = "window_days"  # the pivot column holding each campaign's own window


def stage_col(stage: str) -> str:
    """Name of the pivot column holding the first timestamp of ``stage``."""
    return f"{stage}_at"


def reached_col(stage: str) -> str:
    """Name of the boolean column saying whether ``stage`` was reached in order."""
    return f"reached_{stage}"


def _check(
    pivot: pl.DataFrame | pl.LazyFrame, stages: Sequence[str], window_days: int | None
) -> None:
    if len(stages) < 2:
        raise ValueError(f"a funnel needs at least two stages, got {list(stages)}")
    if len(set(stages)) != len(stages):
        raise ValueError(f"funnel stages repeat: {list(stages)}")
    names = pivot.collect_schema().names()
    if window_days is None:
        if OWN_WINDOW not in names:
            raise ValueError(f"each campaign's own window needs a {OWN_WINDOW!r} column")
    elif not isinstance(window_days, int) or isinstance(window_days, bool) or window_days < 0:
        raise ValueError(f"window_days must be a non-negative integer, got {window_days!r}")
    missing = [stage_col(s) for s in stages if stage_col(s) not in names]
    if missing:
        raise ValueError(f"stage pivot lacks columns {missing}")


def _window(window_days: int | None) -> pl.Expr:
    """The window in days: the given one, or each row's campaign's own (``window_days`` column)."""
    return pl.col(OWN_WINDOW) if window_days is None else pl.lit(window_days)


def mark_reached(
    pivot: pl.DataFrame, stages: Sequence[str], window_days: int | None
) -> pl.DataFrame:
    """Add ``reached_<stage>`` (bool), ``depth`` (stages reached in order, 0..n),
    ``days_to_convert`` (days from targeted to the last stage, null unless converted) and
    ``window_ends`` (targeted time + window).

    ``window_days`` None: each campaign's own window (the pivot's ``window_days`` column).
    """
    _check(pivot, stages, window_days)
    first = stage_col(stages[0])
    deadline = pl.col(first) + pl.duration(days=_window(window_days))
    exprs: list[pl.Expr] = [pl.col(first).is_not_null().alias(reached_col(stages[0]))]
    previous_ok = pl.col(first).is_not_null()
    previous_ts = pl.col(first)
    for stage in stages[1:]:
        ts = pl.col(stage_col(stage))
        ok = (previous_ok & ts.is_not_null() & (ts >= previous_ts) & (ts <= deadline)).fill_null(
            False
        )
        exprs.append(ok.alias(reached_col(stage)))
        previous_ok, previous_ts = ok, ts
    last = stages[-1]
    out = pivot.with_columns(*exprs, deadline.alias("window_ends"))
    return out.with_columns(
        pl.sum_horizontal([pl.col(reached_col(s)).cast(pl.Int32) for s in stages]).alias("depth"),
        pl.when(pl.col(reached_col(last)))
        .then(
            (pl.col(stage_col(last)) - pl.col(first)).dt.total_seconds(fractional=True) / 86_400.0
        )
        .otherwise(None)
        .cast(pl.Float64)
        .alias("days_to_convert"),
    )


def stage_counts(
    reached: pl.DataFrame, stages: Sequence[str], by: Sequence[str] = ()
) -> pl.DataFrame:
    """Customers at each stage, per group of ``by``.

    Input: the output of ``mark_reached``. Output: ``*by, step (0-based), stage, customers,
    rate_vs_first, rate_vs_previous`` — rates are null when their base is zero.
    """
    by = list(by)
    counts = (
        reached.group_by(by).agg(
            pl.col(reached_col(s)).sum().cast(pl.Int64).alias(s) for s in stages
        )
        if by
        else reached.select(pl.col(reached_col(s)).sum().cast(pl.Int64).alias(s) for s in stages)
    )
    long = counts.unpivot(index=by, on=list(stages), variable_name="stage", value_name="customers")
    order = pl.DataFrame({"stage": list(stages), "step": list(range(len(stages)))})
    long = long.join(order, on="stage").sort([*by, "step"])
    over = by or None
    first = pl.col("customers").first().over(over) if over else pl.col("customers").first()
    prev = pl.col("customers").shift(1).over(over) if over else pl.col("customers").shift(1)

    def _rate(base: pl.Expr) -> pl.Expr:
        return pl.when(base > 0).then(pl.col("customers") / base).otherwise(None)

    return long.select(
        *by,
        pl.col("step").cast(pl.Int64),
        "stage",
        "customers",
        _rate(first).cast(pl.Float64).alias("rate_vs_first"),
        pl.when(pl.col("step") == 0)
        .then(pl.when(pl.col("customers") > 0).then(1.0).otherwise(None))
        .otherwise(_rate(prev))
        .cast(pl.Float64)
        .alias("rate_vs_previous"),
    )


def breakdown(reached: pl.DataFrame, stages: Sequence[str], by: str) -> pl.DataFrame:
    """One row per value of ``by`` (null → "unknown"): ``group, targeted, converted``-style counts
    per stage (one column per stage code) and ``conversion`` (last stage / first stage).

    Sorted by the first stage's count, largest first, then by group.
    """
    first, last = stages[0], stages[-1]
    grouped = (
        reached.with_columns(pl.col(by).cast(pl.String).fill_null("unknown").alias("group"))
        .group_by("group")
        .agg(pl.col(reached_col(s)).sum().cast(pl.Int64).alias(s) for s in stages)
    )
    return grouped.with_columns(
        pl.when(pl.col(first) > 0)
        .then(pl.col(last) / pl.col(first))
        .otherwise(None)
        .cast(pl.Float64)
        .alias("conversion")
    ).sort([first, "group"], descending=[True, False])


def dropped_at(reached: pl.DataFrame, stages: Sequence[str], step: int) -> pl.DataFrame:
    """Customers who reached step ``step - 1`` but not step ``step`` (the call list).

    ``step`` is 1-based over the stages after the first (1 = dropped before ``stages[1]``).
    Output: the input rows, with ``last_stage`` and ``last_stage_at`` added, sorted by
    officer_id, customer_id and campaign_id (those present), as the SQL drop list is.
    """
    if not 1 <= step < len(stages):
        raise ValueError(f"step must be between 1 and {len(stages) - 1}, got {step}")
    before, at = stages[step - 1], stages[step]
    out = reached.filter(pl.col(reached_col(before)) & ~pl.col(reached_col(at))).with_columns(
        pl.lit(before).alias("last_stage"), pl.col(stage_col(before)).alias("last_stage_at")
    )
    keys = [c for c in ("officer_id", "customer_id", "campaign_id") if c in out.columns]
    return out.sort(keys, nulls_last=True) if keys else out


def time_to_convert(
    reached: pl.DataFrame, quantiles: Sequence[float] = (0.25, 0.5, 0.75, 0.9)
) -> pl.DataFrame:
    """Summary of ``days_to_convert`` over converted customers: ``converted, mean, median`` and one
    ``q<pp>`` column per quantile (linear interpolation); all null when nobody converted."""
    days = reached.get_column("days_to_convert").drop_nulls()
    row: dict[str, float | int | None] = {
        "converted": days.len(),
        "mean": days.mean() if days.len() else None,
        "median": days.median() if days.len() else None,
    }
    for q in quantiles:
        if not 0.0 <= q <= 1.0:
            raise ValueError(f"quantile {q} is outside [0, 1]")
        row[f"q{round(q * 100):02d}"] = (
            days.quantile(q, interpolation="linear") if days.len() else None
        )
    schema = {k: (pl.Int64 if k == "converted" else pl.Float64) for k in row}
    return pl.DataFrame([row], schema=schema)


def time_to_convert_histogram(reached: pl.DataFrame, bin_days: int = 1) -> pl.DataFrame:
    """Converted customers per bin of ``bin_days`` days: ``bin_start`` (days, inclusive),
    ``bin_end`` (exclusive), ``customers``; empty bins inside the range are kept as zero."""
    if bin_days < 1:
        raise ValueError(f"bin_days must be at least 1, got {bin_days}")
    days = reached.select(pl.col("days_to_convert")).drop_nulls()
    schema = {"bin_start": pl.Int64, "bin_end": pl.Int64, "customers": pl.Int64}
    if days.height == 0:
        return pl.DataFrame(schema=schema)
    binned = days.select(
        ((pl.col("days_to_convert") // bin_days) * bin_days).cast(pl.Int64).alias("bin_start")
    )
    counts = binned.group_by("bin_start").agg(pl.len().cast(pl.Int64).alias("customers"))
    lo, hi = counts["bin_start"].min(), counts["bin_start"].max()
    grid = pl.DataFrame(
        {"bin_start": list(range(lo, hi + 1, bin_days))}, schema={"bin_start": pl.Int64}
    )
    return (
        grid.join(counts, on="bin_start", how="left")
        .select(
            "bin_start",
            (pl.col("bin_start") + bin_days).alias("bin_end"),
            pl.col("customers").fill_null(0),
        )
        .cast(schema)
    )


def entry_week_trend(
    reached: pl.DataFrame,
    stages: Sequence[str],
    window_days: int | None,
    as_of: date | None = None,
) -> pl.DataFrame:
    """Conversion by the week customers were targeted: ``entry_week`` (Monday), ``targeted``,
    ``converted``, ``conversion`` and ``complete`` (the whole window of every customer of that week
    has passed by ``as_of``; always true without ``as_of``)."""
    first, last = stages[0], stages[-1]
    weekly = (
        reached.filter(pl.col(reached_col(first)))
        .with_columns(pl.col(stage_col(first)).dt.truncate("1w").dt.date().alias("entry_week"))
        .group_by("entry_week")
        .agg(
            pl.len().cast(pl.Int64).alias("targeted"),
            pl.col(reached_col(last)).sum().cast(pl.Int64).alias("converted"),
            pl.col("window_ends").max().alias("_ends"),
        )
        .sort("entry_week")
    )
    # complete once the window of the week's last customer has ended by the end of as_of
    complete = pl.lit(True) if as_of is None else pl.col("_ends").dt.date() <= pl.lit(as_of)
    return weekly.with_columns(
        (pl.col("converted") / pl.col("targeted")).cast(pl.Float64).alias("conversion"),
        complete.alias("complete"),
    ).drop("_ends")


BREAKDOWN_DIMENSIONS = ("branch_id", "officer_id", "tier", "rfm_segment", "product")


@dataclass(frozen=True)
class FunnelReport:
    """Everything the funnels page draws, as small frames (the pivot itself stays behind)."""

    counts: pl.DataFrame
    breakdowns: dict[str, pl.DataFrame]
    time_to_convert: dict[str, float | int | None]
    histogram: pl.DataFrame
    trend: pl.DataFrame
    maturity: dict[str, float | int | None]


def maturity(
    reached: pl.DataFrame, stages: Sequence[str], as_of: date | None
) -> dict[str, float | int | None]:
    """How many targeted customers are still inside their window on ``as_of``, and the matured
    conversion: converted ÷ targeted among those whose window has ended (null when none has).

    A running conversion (all targeted) understates a campaign whose windows are still open.
    """
    first, last = reached_col(stages[0]), reached_col(stages[-1])
    targeted = reached.filter(pl.col(first))
    if as_of is None:
        ended = targeted
    else:
        ended = targeted.filter(pl.col("window_ends").dt.date() <= pl.lit(as_of))
    n_ended = ended.height
    converted = int(ended.get_column(last).sum()) if n_ended else 0
    return {
        "targeted": targeted.height,
        "in_window": targeted.height - n_ended,
        "matured_targeted": n_ended,
        "matured_converted": converted,
        "matured_conversion": converted / n_ended if n_ended else None,
    }


def funnel_report(
    pivot: pl.DataFrame,
    stages: Sequence[str],
    window_days: int | None,
    *,
    as_of: date | None = None,
    bin_days: int = 1,
    dimensions: Sequence[str] = BREAKDOWN_DIMENSIONS,
) -> FunnelReport:
    """Counts, breakdowns (one per dimension present in the pivot), time to convert and trend."""
    reached = mark_reached(pivot, stages, window_days)
    return FunnelReport(
        counts=stage_counts(reached, stages),
        breakdowns={d: breakdown(reached, stages, d) for d in dimensions if d in pivot.columns},
        time_to_convert=time_to_convert(reached).row(0, named=True),
        histogram=time_to_convert_histogram(reached, bin_days),
        trend=entry_week_trend(reached, stages, window_days, as_of=as_of),
        maturity=maturity(reached, stages, as_of),
    )
