"""The four tabs of the officer page: activity, engagement league, information quality, training.

The page script (`dashboard/pages/officers.py`) reads the officers, their work and their scores
once into an :class:`OfficerView`; each tab renders from it and reads only what it alone needs.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date

import polars as pl
import streamlit as st

from dashboard.charts import officers as charts
from dashboard.errors import friendly_errors
from dashboard.format import count
from dashboard.i18n import catalog, t, t_map
from dashboard.loaders.officers import (
    load_application_evidence,
    load_attendance,
    load_did,
    load_profile_income_evidence,
    load_staleness,
    load_trainings,
)
from dashboard.state import PageContext
from dashboard.tables import money_column, show_customer_list, show_table
from data_access.schema import ACTIVITY_KINDS
from data_access.selection import Period
from metrics import officers as om
from metrics import quality as qm
from metrics.standards import Standards

DID_WINDOWS = (2, 4, 6, 8)
# the columns of the contradiction tables, in the order shown, each headed by officers.col_<column>
EVIDENCE_COLUMNS = (
    "customer_id", "name", "officer", "declared_income", "observed_inflow", "inflow_count",
    "income_ratio",
)  # fmt: skip
APPLICATION_COLUMNS = (
    "application_id", "applied_on", "name", "officer", "declared_income", "observed_inflow",
    "income_flag", "declared_place", "places_seen", "place_flag",
)  # fmt: skip


@dataclass(frozen=True)
class OfficerView:
    """What the officer page has read and worked out, shared by its tabs."""

    ctx: PageContext
    standard: Standards
    weeks: list[date]  # the period's week starts
    history: list[date]  # two years of week starts, for the before/after comparison
    history_all: Period  # the two years (read over the whole scope)
    shown_ids: list[int]  # the officers the sidebar selects
    officer_labels: dict[int, str]
    chart_officers: dict[int, str]  # the officers a chart has room for
    branch_labels: dict[int, str]
    codes: list[str]  # engagement components
    comp_labels: dict[str, str]
    activity: pl.DataFrame  # the period's activity
    soft: pl.DataFrame  # the period's soft footprints
    completeness: pl.DataFrame  # profile completeness per officer's book
    in_view: pl.DataFrame  # profile fill of the shown officers' customers
    shown_scores: pl.DataFrame  # engagement scores of the shown officers

    @property
    def lang(self) -> str:
        """The page's language."""
        return self.ctx.lang


def activity_tab(v: OfficerView) -> None:
    """Weekly activity per officer as a heatmap, by kind of work."""
    shown_ids, weeks, activity, soft, chart_officers, officer_labels = (
        v.shown_ids,
        v.weeks,
        v.activity,
        v.soft,
        v.chart_officers,
        v.officer_labels,
    )
    kind_labels = {"all": t("officers.kind_all"), "soft": t("officers.kind_soft")}
    kind_labels |= {k: t(f"officers.kind_{k}") for k in ACTIVITY_KINDS}
    kind = st.segmented_control(
        t("officers.heatmap_measure"),
        list(kind_labels),
        format_func=kind_labels.get,
        default="all",
        key="of_kind",
    )
    kind = kind or "all"
    if kind == "soft":
        panel = om.weekly_panel(soft, shown_ids, weeks)
    else:
        panel = om.weekly_panel(activity, shown_ids, weeks, None if kind == "all" else (kind,))
    st.subheader(t("officers.heatmap_header", measure=kind_labels[kind]))
    st.plotly_chart(
        charts.activity_heatmap(panel, chart_officers, t("officers.per_week")),
        key="of_chart_heatmap",
        width="stretch",
    )
    st.caption(t("officers.heatmap_caption"))
    if len(chart_officers) < len(officer_labels):
        st.caption(t("officers.heatmap_capped", shown=len(chart_officers), total=len(shown_ids)))


def league_tab(v: OfficerView) -> None:
    """The engagement league: score bars and the table of components."""
    (
        standard,
        shown_scores,
        chart_officers,
        officer_labels,
        shown_ids,
        codes,
        comp_labels,
        branch_labels,
    ) = (
        v.standard,
        v.shown_scores,
        v.chart_officers,
        v.officer_labels,
        v.shown_ids,
        v.codes,
        v.comp_labels,
        v.branch_labels,
    )
    st.subheader(t("officers.league_header"))
    st.caption(t("officers.league_help"))
    components = [(c.code, c.weight, comp_labels[c.code]) for c in standard.engagement.components]
    st.plotly_chart(
        charts.engagement_bars(
            shown_scores.filter(pl.col("officer_id").is_in(list(chart_officers))),
            components,
            chart_officers,
            t("officers.score"),
        ),
        key="of_chart_league",
        width="stretch",
    )
    if len(chart_officers) < len(officer_labels):
        st.caption(t("officers.charts_capped", shown=len(chart_officers), total=len(shown_ids)))
    # the components are % of the bank's 90th percentile, not the raw figures the quality
    # tab shows under the same names: the column titles say so
    vs_p90 = {c: t("officers.vs_p90", component=label) for c, label in comp_labels.items()}
    headers = (
        t_map("officers.col_", ("rank", "name", "branch"), name="officer")
        | {"score": t("officers.score")}
        | vs_p90
    )
    show_table(
        charts.league_table(shown_scores, codes, branch_labels, headers),
        column_config={
            headers["score"]: st.column_config.ProgressColumn(
                format="%.0f", min_value=0, max_value=100
            ),
            **{vs_p90[c]: st.column_config.NumberColumn(format="%.0f%%") for c in codes},
        },
    )
    st.caption(t("officers.league_components_caption"))


def quality_tab(v: OfficerView) -> None:
    """Information quality: completeness, stale profiles, contradictions."""
    ctx, lang, standard, weeks, shown_ids, officer_labels, completeness, in_view = (
        v.ctx,
        v.lang,
        v.standard,
        v.weeks,
        v.shown_ids,
        v.officer_labels,
        v.completeness,
        v.in_view,
    )
    period = Period(weeks[0], ctx.week_end)
    picks = replace(ctx.selection, tiers=())  # officers' work is not split by customer tier
    alerts = standard.alerts
    cutoff = qm.stale_cutoff(ctx.week_end, alerts.stale_profile_days)
    with friendly_errors():
        stale_counts = load_staleness(period, picks, cutoff)
        income_evidence = load_profile_income_evidence(
            period, picks, alerts.income_contradiction_ratio
        )
        applications, applicant_places = load_application_evidence(period, picks)
    books = completeness.filter(pl.col("officer_id").is_in(shown_ids)).sort("completeness")
    if books.height > charts.CHART_ROWS:  # the least and the most complete, as for the heatmap
        half = charts.CHART_ROWS // 2
        charted_books = pl.concat([books.head(half), books.tail(half)])
    else:
        charted_books = books
    left, right = st.columns(2)
    left.subheader(t("officers.completeness_books"))
    left.plotly_chart(
        charts.completeness_bars(
            charted_books, "officer_id", officer_labels, t("officers.completeness")
        ),
        key="of_chart_books",
        width="stretch",
    )
    if charted_books.height < books.height:
        left.caption(t("officers.books_capped", shown=charted_books.height, total=books.height))
    right.subheader(t("officers.completeness_fields"))
    known = catalog()
    field_labels = {
        f: known[f"officers.field_{f}"][lang] if f"officers.field_{f}" in known else f
        for f in standard.profile_fields
    }
    right.plotly_chart(
        charts.completeness_bars(
            qm.field_completeness(in_view), "field", field_labels, t("officers.completeness")
        ),
        key="of_chart_fields",
        width="stretch",
    )

    st.subheader(t("officers.stale_header"))
    st.caption(
        t("officers.stale_help", days=alerts.stale_profile_days, cutoff=f"{cutoff:%Y-%m-%d}")
    )
    stale = qm.staleness_by_officer(stale_counts.filter(pl.col("officer_id").is_in(shown_ids)))
    stale_headers = t_map(
        "officers.col_", ("officer", "customers", "never_updated", "stale", "outdated_share")
    )
    _table_with_share(
        stale, stale_headers, _named("officer_id", officer_labels, "officer"), "outdated_share"
    )

    st.subheader(t("officers.contradictions_header"))
    st.caption(
        t(
            "officers.contradictions_help",
            ratio=f"{alerts.income_contradiction_ratio:g}",
            n=alerts.contradiction_min_inflows,
        )
    )
    profile_flags = qm.income_contradictions(
        income_evidence, alerts.income_contradiction_ratio, alerts.contradiction_min_inflows
    )
    profile_flags = profile_flags.with_columns(_named("officer_id", officer_labels, "officer"))
    evidence_headers = t_map("officers.col_", EVIDENCE_COLUMNS)
    money_cols = {
        evidence_headers["declared_income"]: money_column(fen=False),
        evidence_headers["observed_inflow"]: money_column(),
    }
    st.markdown(t("officers.profile_contradictions", n=count(profile_flags.height)))
    show_customer_list(  # each customer number opens that customer, as on every such list
        charts.masked_table(profile_flags.head(200), evidence_headers),
        evidence_headers["customer_id"],
        lang,
        column_config=money_cols
        | {evidence_headers["income_ratio"]: st.column_config.NumberColumn(format="%.1f×")},
    )
    app_flags = qm.application_contradictions(
        applications,
        applicant_places,
        alerts.income_contradiction_ratio,
        alerts.contradiction_min_inflows,
    ).with_columns(_named("officer_id", officer_labels, "officer"))
    app_headers = t_map("officers.col_", APPLICATION_COLUMNS)
    st.markdown(
        t("officers.application_contradictions", n=count(app_flags.height),
          total=count(applications.height))
    )  # fmt: skip
    show_table(
        charts.masked_table(app_flags, app_headers),
        column_config={
            app_headers["declared_income"]: money_column(fen=False),
            app_headers["observed_inflow"]: money_column(),
        }
        # the day of the application matters, not midnight
        | {app_headers["applied_on"]: st.column_config.DatetimeColumn(format="YYYY-MM-DD")},
    )


def training_tab(v: OfficerView) -> None:
    """Training: attendance, before / after against the untrained, coaching."""
    (
        ctx,
        lang,
        standard,
        history,
        history_all,
        shown_ids,
        shown_scores,
        branch_labels,
        comp_labels,
    ) = (
        v.ctx,
        v.lang,
        v.standard,
        v.history,
        v.history_all,
        v.shown_ids,
        v.shown_scores,
        v.branch_labels,
        v.comp_labels,
    )
    picks = replace(ctx.selection, tiers=())  # officers' work is not split by customer tier
    with friendly_errors():
        trainings = load_trainings()
        attendance = load_attendance(picks)
    held = trainings.filter(pl.col("held_on") <= ctx.week_end)
    title_col = "title" if lang == "zh" else "title_en"
    training_labels = {
        tid: f"{title} ({held_on:%Y-%m-%d})"
        for tid, title, held_on in held.select("training_id", title_col, "held_on").iter_rows()
    }
    attendance = attendance.filter(pl.col("officer_id").is_in(shown_ids))
    chart_labels = {  # two lines under the chart's axis
        tid: f"{held_on:%Y-%m-%d}<br>{charts.wrap_label(title)}"
        for tid, title, held_on in held.select("training_id", title_col, "held_on").iter_rows()
    }

    st.subheader(t("officers.attendance_header"))
    summary = om.attendance_summary(attendance, held).filter(pl.col("invited") > 0)
    att_headers = t_map("officers.col_", ("training", "invited", "attended", "attendance_rate"))
    _table_with_share(
        summary, att_headers, _named("training_id", training_labels, "training"), "attendance_rate"
    )

    st.subheader(t("officers.did_header"))
    window = st.select_slider(
        t("officers.did_window"),
        DID_WINDOWS,
        value=4,
        format_func={w: t("officers.n_weeks", n=w) for w in DID_WINDOWS}.get,
        key="of_window",
        help=t("officers.did_window_help"),
    )
    measures = {
        "visits": (t("officers.measure_visits"), "officers.did_sentence_visits"),
        "soft": (t("officers.measure_soft"), "officers.did_sentence_soft"),
    }
    with friendly_errors():
        did = load_did(
            picks, history_all, tuple(shown_ids), tuple(history), window,
            min(ctx.week_end, ctx.as_of), ctx.week_end,
        )  # fmt: skip
    estimates, pooled, levels = [], [], []
    for key, (label, sentence_key) in measures.items():
        per, pool, level = did[key]
        levels.append((label, level))
        estimates.append((label, per))
        pooled.append((label, pool))
        sentence = charts.did_sentence(pool, t(sentence_key))
        if sentence is None:
            st.info(t("officers.did_none", measure=label))
            continue
        verdict = (
            "officers.did_clear"
            if pool["ci_low"] is not None and (pool["ci_low"] > 0 or pool["ci_high"] < 0)
            else "officers.did_unclear"
        )
        st.markdown(
            f"**{sentence}** — "
            + t(verdict, treated=pool["n_treated"], control=pool["n_control"],
                trainings=pool["n_trainings"])
        )  # fmt: skip
    if any(not per.is_empty() for _, per in estimates):
        st.plotly_chart(
            charts.did_chart(
                estimates, chart_labels, pooled, t("officers.pooled"), t("officers.did_axis")
            ),
            key="of_chart_did",
            width="stretch",
        )
    if any(not level.is_empty() for _, level in levels):
        # what the estimate compares, so that a reader can see it: each group's level
        st.plotly_chart(
            charts.levels_chart(
                levels,
                groups={g: t(f"officers.group_{g}") for g in ("trained", "untrained")},
                periods={p: t(f"officers.period_{p}") for p in ("before", "after")},
                axis_label=t("officers.levels_axis"),
            ),
            key="of_chart_levels",
            width="stretch",
        )
        st.caption(t("officers.levels_note"))
    st.caption(t("officers.did_method"))

    st.subheader(t("officers.coaching_header"))
    below = st.slider(t("officers.coaching_below"), 10, 90, 40, step=5, key="of_below")
    trained = om.officer_trainings(attendance, held, ctx.week_end)
    coaching = om.coaching_list(shown_scores, trained, standard.engagement, below=float(below))
    coach_headers = (
        t_map("officers.col_", ("name", "branch"), name="officer")
        | {"score": t("officers.score")}
        | t_map(
            "officers.col_", ("weakest", "trainings_attended", "last_training_on"),
            last_training_on="last_training",
        )
    )  # fmt: skip
    if coaching.is_empty():
        st.success(t("officers.coaching_none", below=below))
    else:
        show_table(
            coaching.with_columns(
                _named("branch_id", branch_labels, "branch"),
                _named("weakest", comp_labels),
            )
            .select(list(coach_headers))
            .rename(coach_headers),
            column_config={
                coach_headers["score"]: st.column_config.NumberColumn(format="%.0f"),
                coach_headers["last_training_on"]: st.column_config.DateColumn(format="YYYY-MM-DD"),
            },
        )


def _named(code_col: str, labels: dict, alias: str | None = None) -> pl.Expr:
    """A code column shown as its labels (a code without one: empty)."""
    expr = pl.col(code_col).replace_strict(labels, default=None, return_dtype=pl.String)
    return expr.alias(alias) if alias else expr


def _table_with_share(
    df: pl.DataFrame, headers: dict[str, str], labelled: pl.Expr, share_col: str
) -> None:
    """A table of ``headers``' columns with one labelled code column and one share in percent."""
    show_table(
        df.with_columns(labelled, pl.col(share_col) * 100.0).select(list(headers)).rename(headers),
        column_config={headers[share_col]: st.column_config.NumberColumn(format="%.0f%%")},
    )
