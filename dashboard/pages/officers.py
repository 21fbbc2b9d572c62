"""Officer engagement (training lead): who applies footprint thinking, what training changed,
whose books need care, who needs coaching."""

from __future__ import annotations

import polars as pl
import streamlit as st

from dashboard.charts import officers as charts
from dashboard.errors import friendly_errors, no_data
from dashboard.format import count, pct
from dashboard.i18n import t
from dashboard.loaders.common import branch_names, load_branches, load_officers, load_standard
from dashboard.loaders.officers import (
    BOOK_ROLES,
    load_activity,
    load_conversions,
    load_engagement_benchmark,
    load_profile_fill,
    load_soft,
)
from dashboard.state import page_context
from dashboard.tabs import keep_widget_state, lazy_tabs
from dashboard.views.officer_tabs import (
    OfficerView,
    activity_tab,
    league_tab,
    quality_tab,
    training_tab,
)
from data_access.selection import Period, Selection
from metrics import officers as om
from metrics import quality as qm
from metrics.calendar import weeks_ending

PERIODS = (4, 8, 12, 26)
HISTORY_WEEKS = 104  # the before/after comparison looks at every training of two years

ctx = page_context()
lang = ctx.lang
st.title(t("officers.title"))
st.caption(t("officers.intro"))

n_weeks = st.segmented_control(
    t("officers.period"),
    PERIODS,
    format_func={n: t("officers.n_weeks", n=n) for n in PERIODS}.get,
    default=12,
    key="of_period",
)
n_weeks = n_weeks or 12  # the control can be cleared
weeks = weeks_ending(ctx.week, n_weeks)
period = Period(weeks[0], ctx.week_end)
history = weeks_ending(ctx.week, HISTORY_WEEKS)
history_all = Period(history[0], ctx.week_end)
whole_scope = Selection(ctx.scope)  # the whole scope: the score's benchmark
st.caption(
    t("officers.period_caption", start=f"{weeks[0]:%Y-%m-%d}", end=f"{ctx.week_end:%Y-%m-%d}")
)
if ctx.selection.tiers:
    st.caption(t("officers.tiers_ignored"))  # officers' work is not split by customer tier

with friendly_errors():
    standard = load_standard()
    everyone = load_officers(ctx.scope)
    branches = load_branches(ctx.scope)
    book_officers = om.officers_in_view(everyone, roles=BOOK_ROLES)
    shown = om.officers_in_view(book_officers, ctx.selection.branch_ids, ctx.selection.officer_ids)
if shown.is_empty():
    no_data("officers.no_officers")

shown_ids = shown.get_column("officer_id").to_list()
branch_labels = branch_names(branches, lang)
officer_labels = {
    o: f"{name} · {branch_labels.get(b, b)}"
    for o, b, name in shown.select("officer_id", "branch_id", "name").iter_rows()
}
codes = [c.code for c in standard.engagement.components]
comp_labels = {c.code: c.info.label(lang) for c in standard.engagement.components}

with friendly_errors():
    # one two-year read per measure serves the period and the before/after comparison alike
    long_activity = load_activity(history_all, whole_scope)
    long_soft = load_soft(history_all, whole_scope)
    conversions = load_conversions(period, whole_scope)
    fill = load_profile_fill(period, whole_scope, standard.profile_fields)
in_period = pl.col("week_start").is_in(weeks)
activity = long_activity.filter(in_period)
soft = long_soft.filter(in_period)
if all(
    df.filter(pl.col("officer_id").is_in(shown_ids)).is_empty()
    for df in (activity, soft, conversions)
):
    no_data()  # nothing recorded in the period: say so rather than draw empty charts
completeness = qm.officer_completeness(fill)
rates = om.officer_rates(book_officers, activity, soft, conversions, completeness, n_weeks)
with friendly_errors():
    benchmark = load_engagement_benchmark(
        tuple(weeks), standard.profile_fields, standard.engagement, standard.version
    )
scores = om.engagement_scores(rates, standard.engagement, benchmark)
shown_scores = scores.filter(pl.col("officer_id").is_in(shown_ids))
shown_rates = shown_scores.select("officer_id", *om.RATE_COLUMNS, "profile_completeness")

# At county scale (hundreds of officers) a row per officer makes charts thousands of pixels tall
# and unreadable: the charts show the strongest and the weakest by engagement; tables show all.
if len(shown_ids) > charts.CHART_ROWS:
    ranked = shown_scores.sort("score", descending=True, nulls_last=True)["officer_id"].to_list()
    charted = set(ranked[: charts.CHART_ROWS // 2] + ranked[-(charts.CHART_ROWS // 2) :])
    chart_officers = {o: label for o, label in officer_labels.items() if o in charted}
else:
    chart_officers = officer_labels

k1, k2, k3, k4, k5 = st.columns(5)
k1.metric(t("officers.kpi_officers"), count(len(shown_ids)))
k2.metric(t("officers.kpi_visits"), f"{shown_rates['visits'].mean():.1f}")
k3.metric(t("officers.kpi_soft"), f"{shown_rates['soft_footprints'].mean():.1f}")
in_view = fill.filter(pl.col("officer_id").is_in(shown_ids))
k4.metric(t("officers.kpi_completeness"), pct(qm.overall_completeness(in_view)))
k5.metric(t("officers.kpi_score"), f"{shown_scores['score'].mean():.0f}")

keep_widget_state("of_kind", "of_window", "of_below")  # the choices inside the tabs
# Only the open tab runs: the quality and training tabs hold the page's heaviest reads.
renders = {
    "activity": activity_tab,
    "league": league_tab,
    "quality": quality_tab,
    "training": training_tab,
}
tabs = lazy_tabs("officers", {name: t(f"officers.tab_{name}") for name in renders})

view = OfficerView(
    ctx=ctx,
    standard=standard,
    weeks=weeks,
    history=history,
    history_all=history_all,
    shown_ids=shown_ids,
    officer_labels=officer_labels,
    chart_officers=chart_officers,
    branch_labels=branch_labels,
    codes=codes,
    comp_labels=comp_labels,
    activity=activity,
    soft=soft,
    completeness=completeness,
    in_view=in_view,
    shown_scores=shown_scores,
)
for name, render in renders.items():
    if (tab := tabs[name]) is not None:
        with tab:
            render(view)
