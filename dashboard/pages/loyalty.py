"""Loyalty and retention: the score and its components, the churn-risk list, cohort retention,
the weekly lifecycle and tier migration, for the sidebar's scope as of the selected week."""

from __future__ import annotations

from datetime import date, timedelta

import streamlit as st

from dashboard.charts import loyalty as charts
from dashboard.errors import friendly_errors, no_data
from dashboard.format import count, money
from dashboard.i18n import t
from dashboard.loaders.common import branch_names, load_branches, load_standard
from dashboard.loaders.loyalty import (
    load_cohorts,
    load_overview,
    load_tier_migration,
    load_weekly_activity,
)
from dashboard.state import page_context
from dashboard.tables import show_customer_list
from metrics.calendar import week_start
from metrics.loyalty import CHURN_REASONS, contributions_from_means
from metrics.retention import LIFECYCLE_STATES, cohort_retention, lifecycle

CHURN_ROWS = 200
COHORT_MONTHS = 12
LIFECYCLE_WEEKS = 26

ctx = page_context()
lang = ctx.lang
as_of = min(ctx.week_end, ctx.as_of)
selection = ctx.selection
with friendly_errors():  # a refused standards file: a message naming the entry, not a crash
    std = load_standard()
below = float(std.loyalty.params.get("churn_risk_below", 40))
comp_labels = {c.code: c.info.label(lang) for c in std.loyalty.components}

st.title(t("loyalty.title"))
with friendly_errors():
    ov = load_overview(selection, as_of, CHURN_ROWS)
if not ov.customers:
    no_data()
st.caption(
    t(
        "loyalty.caption",
        day=f"{as_of:%Y-%m-%d}",
        version=std.version,
        source=t(f"loyalty.source_{ov.source}"),
    )
)

k1, k2, k3, k4 = st.columns(4)
k1.metric(t("loyalty.kpi_customers"), count(ov.customers))
k2.metric(t("loyalty.kpi_average"), f"{ov.average:.1f}")
k3.metric(
    t("loyalty.kpi_at_risk"),
    count(ov.at_risk),
    help=t(
        "loyalty.kpi_at_risk_help",
        below=f"{below:.0f}",
        min_aum=money(float(std.loyalty.params.get("churn_min_aum", 0)), lang_code=lang),
    ),
)
k4.metric(t("loyalty.kpi_value_at_stake"), money(ov.value_at_stake, lang_code=lang))

left, right = st.columns(2)
with left:
    st.subheader(t("loyalty.dist_title"))
    st.plotly_chart(
        charts.distribution_chart(
            ov.bands,
            threshold=below,
            x_title=t("loyalty.dist_x"),
            y_title=t("loyalty.dist_y"),
            risk_label=t("loyalty.risk_line"),
        ),
        width="stretch",
    )
with right:
    st.subheader(t("loyalty.comp_title"), help=t("loyalty.comp_help"))
    st.plotly_chart(
        charts.components_chart(
            contributions_from_means(ov.means, std.loyalty),
            comp_labels,
            earned=t("loyalty.comp_earned"),
            missed=t("loyalty.comp_missed"),
            x_title=t("loyalty.comp_x"),
        ),
        width="stretch",
    )

st.subheader(t("loyalty.churn_title"))
if not ov.at_risk:
    st.info(t("loyalty.churn_none"))
else:
    with friendly_errors():
        branches = load_branches(ctx.scope)
    names = branch_names(branches, lang)
    headers = {
        "customer_id": t("loyalty.col_customer_id"),
        "name": t("loyalty.col_name"),
        "phone": t("loyalty.col_phone"),
        "branch": t("loyalty.col_branch"),
        "reason": t("loyalty.col_reason"),
        "loyalty": t("loyalty.col_loyalty"),
        "value_at_stake": t("loyalty.col_value"),
        "weakest": t("loyalty.col_weakest"),
    }
    reasons = {r: t(f"loyalty.reason_{r}") for r in CHURN_REASONS}
    table = charts.churn_rows(
        ov.churn,
        comp_labels,
        names,
        headers,
        value_scale=10_000 if lang == "zh" else 1,
        reasons=reasons,
    )
    st.caption(
        t(
            "loyalty.churn_caption",
            shown=count(ov.churn.height),
            total=count(ov.at_risk),
            min_aum=money(float(std.loyalty.params.get("churn_min_aum", 0)), lang_code=lang),
            below=f"{below:.0f}",
        )
    )
    show_customer_list(
        table,
        headers["customer_id"],
        lang,
        column_config={
            headers["value_at_stake"]: st.column_config.NumberColumn(
                format="%.1f" if lang == "zh" else "%,.0f"
            ),
            headers["loyalty"]: st.column_config.ProgressColumn(
                min_value=0, max_value=100, format="%.1f"
            ),
        },
    )

st.subheader(t("loyalty.cohort_title"), help=t("loyalty.cohort_help"))
year, month0 = divmod(as_of.year * 12 + as_of.month - 1 - (COHORT_MONTHS - 1), 12)
since = date(year, month0 + 1, 1)
with friendly_errors():
    sizes, cohort_activity = load_cohorts(selection, since, as_of)
retention = cohort_retention(sizes, cohort_activity, as_of=as_of)
if retention.is_empty():
    st.info(t("loyalty.no_cohorts"))
else:
    mode = st.segmented_control(
        t("loyalty.cohort_mode"),
        ["retention_on", "retention_on_or_after"],
        format_func=lambda m: t(f"loyalty.cohort_{m.removeprefix('retention_')}"),
        default="retention_on",
        key="loyalty_cohort_mode",
    )
    st.plotly_chart(
        charts.cohort_heatmap(
            retention,
            value_col=mode or "retention_on",
            x_title=t("loyalty.cohort_x"),
            y_title=t("loyalty.cohort_y"),
            hover_size=t("loyalty.cohort_size"),
        ),
        width="stretch",
    )

left, right = st.columns(2)
with left:
    st.subheader(t("loyalty.lifecycle_title"), help=t("loyalty.lifecycle_help"))
    end_week = week_start(as_of)
    start_week = end_week - timedelta(weeks=LIFECYCLE_WEEKS - 1)
    with friendly_errors():
        weekly = load_weekly_activity(selection, start_week, as_of)
    if weekly.is_empty():
        st.info(t("loyalty.no_activity"))
    else:
        st.plotly_chart(
            charts.lifecycle_chart(
                lifecycle(weekly, start_week=start_week, end_week=end_week),
                {s: t(f"loyalty.lc_{s}") for s in LIFECYCLE_STATES},
                y_title=t("loyalty.lifecycle_y"),
            ),
            width="stretch",
        )
with right:
    with friendly_errors():
        migration = load_tier_migration(selection, as_of, std.tiers.codes)
    if migration is None:
        st.subheader(t("loyalty.migration_title", start="…", end="…"))
        st.info(t("loyalty.no_migration"))
    else:
        start_month, end_month, matrix = migration
        st.subheader(
            t("loyalty.migration_title", start=f"{start_month:%Y-%m}", end=f"{end_month:%Y-%m}"),
            help=t("loyalty.migration_help"),
        )
        order = std.tiers.codes
        st.plotly_chart(
            charts.migration_heatmap(
                matrix,
                order,
                {c.code: c.info.label(lang) for c in std.tiers.levels},
                from_title=t("loyalty.migration_from"),
                to_title=t("loyalty.migration_to"),
            ),
            width="stretch",
        )
