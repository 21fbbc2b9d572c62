"""Marketing funnels: a campaign's steps to conversion, breakdowns, time to convert, trend, call list."""

from __future__ import annotations

from datetime import timedelta

import polars as pl
import streamlit as st

from dashboard.charts import funnels as charts
from dashboard.errors import friendly_errors, no_data
from dashboard.export import export_button
from dashboard.format import count, pct
from dashboard.i18n import catalog, t, t_map
from dashboard.loaders.common import branch_names, load_branches, load_officers, load_standard
from dashboard.loaders.funnels import load_campaigns, load_drop_list, load_funnel_report
from dashboard.state import page_context, url_view
from dashboard.tables import show_customer_list, show_table

MAX_ROWS = 1_000  # rows drawn on screen; the CSV holds the whole list

ctx = page_context()
lang = ctx.lang
st.title(t("funnels.title"))
st.caption(t("funnels.intro"))

with friendly_errors():
    standard = load_standard().funnel
    stages = standard.codes
    stage_labels = {s.code: s.label(lang) for s in standard.stages}
    view = ctx.selection
    campaigns = load_campaigns(view)
if campaigns.is_empty():
    no_data("funnels.no_campaigns")

# --- campaign and window -----------------------------------------------------------------------
ALL_CAMPAIGNS = 0  # campaign ids start at 1
by_id = {row["campaign_id"]: row for row in campaigns.iter_rows(named=True)}
name_col = "name" if lang == "zh" else "name_en"
product_keys = {key for key in catalog() if key.startswith("codes.product_")}


def product_label(code: str) -> str:
    """The product's name, or its code when the locale does not know it."""
    key = f"codes.product_{code}"
    return t(key) if key in product_keys else code


left, right = st.columns([3, 1])
# labels computed here: a format_func must not call t() (widgets format outside the script run)
campaign_labels = {
    ALL_CAMPAIGNS: t(
        "funnels.all_campaigns", n=len(by_id), targeted=count(campaigns["targeted"].sum())
    )
} | {
    c: t(
        "funnels.campaign_option",
        name=row[name_col],
        start=f"{row['start_date']:%Y-%m-%d}",
        end=f"{row['end_date']:%Y-%m-%d}",
        targeted=count(row["targeted"]),
    )
    for c, row in by_id.items()
}
options = [*by_id, ALL_CAMPAIGNS]  # newest campaign first, the whole programme last
steps = list(range(1, len(stages)))

# --- the address: ?campaign=…&step=… (a shared link opens the same drop list; Back one step) ----
OWN_PARAMS, FN_WRITTEN = ("campaign", "step"), "_fn_url_written"
own_url = {k: v for k, v in st.query_params.to_dict().items() if k in OWN_PARAMS}
fn_written = st.session_state.get(FN_WRITTEN)
arrived = st.session_state.get("_came_from") != "funnels"  # a page switch drops the address
if own_url != (fn_written or {}) and not (arrived and not own_url):
    linked = url_view()
    if linked.campaign in options:
        st.session_state.fn_campaign = linked.campaign
    elif "campaign" not in own_url:
        st.session_state.pop("fn_campaign", None)  # the default: the newest campaign
    st.session_state.fn_drop_step = linked.step if linked.step in steps else None


def _drill_step(key: str) -> None:
    """A click on a funnel step: list who dropped there (the step before it reached, not this)."""
    event = st.session_state.get(key)
    for point in getattr(getattr(event, "selection", None), "points", None) or []:
        data = point.get("customdata")
        k = data[0] if isinstance(data, list | tuple) and data else None
        if isinstance(k, int) and k in steps:
            st.session_state.fn_drop_step = k
            st.session_state.fn_step_clicks = st.session_state.get("fn_step_clicks", 0) + 1
            return


campaign_id = left.selectbox(
    t("funnels.campaign"), options, format_func=campaign_labels.get, key="fn_campaign"
)
window: int | None
if campaign_id == ALL_CAMPAIGNS:
    campaign_ids = tuple(by_id)
    file_code = "ALL"
    st.caption(t("funnels.all_campaigns_note"))
    window = None  # each campaign keeps its own conversion window
    right.metric(t("funnels.window"), t("funnels.own_windows"))
else:
    campaign_ids = (campaign_id,)
    file_code = by_id[campaign_id]["code"]
    st.caption(t("funnels.product", product=product_label(by_id[campaign_id]["product"])))
    window = int(
        right.number_input(
            t("funnels.window"),
            min_value=0,
            max_value=365,
            value=int(by_id[campaign_id]["conversion_window_days"]),
            step=1,
            help=t("funnels.window_help"),
            key=f"fn_window_{campaign_id}",  # a new campaign starts from its own window
        )
    )

with friendly_errors():
    report = load_funnel_report(
        view, campaign_ids, stages, window, ctx.as_of, max(1, (window or 30) // 15)
    )
counts = report.counts
targeted = counts["customers"][0]
if targeted == 0:
    no_data("funnels.no_events")
converted = counts["customers"][-1]
summary = report.time_to_convert

matured = report.maturity
k1, k2, k3, k5, k4 = st.columns(5)
k1.metric(t("funnels.kpi_targeted"), count(targeted))
k2.metric(t("funnels.kpi_converted"), count(converted))
k3.metric(
    t("funnels.kpi_conversion"), pct(converted / targeted), help=t("funnels.kpi_conversion_help")
)
k5.metric(
    t("funnels.kpi_matured"),
    "—" if matured["matured_conversion"] is None else pct(matured["matured_conversion"]),
    help=t("funnels.kpi_matured_help"),
)
if matured["in_window"]:
    st.info(
        t(
            "funnels.still_in_window",
            n=count(matured["in_window"]),
            targeted=count(targeted),
            matured=count(matured["matured_targeted"]),
        )
    )
median = summary["median"]
k4.metric(
    t("funnels.kpi_median_days"),
    "—" if median is None else t("funnels.days_value", days=f"{median:.1f}"),
)

# --- funnel and rates --------------------------------------------------------------------------
c1, c2 = st.columns([3, 2])
c1.subheader(t("funnels.funnel_header"))
# a fresh chart per view and per click: shown again (Back), no step is left selected
clicks = st.session_state.get("fn_step_clicks", 0)
funnel_key = f"fn_funnel_{campaign_id}_{st.session_state.get('fn_drop_step')}_{clicks}"
c1.plotly_chart(
    charts.funnel_chart(counts, stage_labels, (t("funnels.of_first"), t("funnels.of_previous"))),
    width="stretch",
    key=funnel_key,
    on_select=lambda: _drill_step(funnel_key),
    selection_mode="points",
)
c1.caption(t("funnels.step_click"))
c2.subheader(t("funnels.rates_header"))
headers = t_map(
    "funnels.col_", ("stage", "customers", "rate_vs_first", "rate_vs_previous"),
    rate_vs_first="vs_first", rate_vs_previous="vs_previous",
)  # fmt: skip
show_table(
    charts.rates_table(counts, stage_labels, headers),
    c2,
    column_config={
        headers["customers"]: st.column_config.NumberColumn(format="localized"),
        headers["rate_vs_first"]: st.column_config.NumberColumn(format="%.1f%%"),
        headers["rate_vs_previous"]: st.column_config.NumberColumn(format="%.1f%%"),
    },
)

# --- breakdown ---------------------------------------------------------------------------------
st.subheader(t("funnels.breakdown_header"))
dims = t_map(
    "funnels.dim_", ("branch_id", "officer_id", "tier", "rfm_segment", "product"),
    branch_id="branch", officer_id="officer",
)  # fmt: skip
dim = st.segmented_control(
    t("funnels.breakdown_by"), list(dims), format_func=dims.get, default="branch_id", key="fn_dim"
)
dim = dim or "branch_id"  # the control can be cleared
with friendly_errors():
    if dim == "branch_id":
        branches = load_branches(ctx.scope)
        group_labels = {str(b): n for b, n in branch_names(branches, lang).items()}
    elif dim == "officer_id":
        officers = load_officers(ctx.scope, ())
        group_labels = dict(
            zip(map(str, officers["officer_id"].to_list()), officers["name"].to_list(), strict=True)
        )
    elif dim == "tier":
        group_labels = {c: t(f"common.tier_{c}") for c in ("mass", "affluent", "vip", "private")}
    elif dim == "rfm_segment":
        group_labels = {s.code: s.info.label(lang) for s in load_standard().rfm.segments}
    else:
        group_labels = {c: product_label(c) for c in campaigns["product"].unique().to_list()}
group_labels["unknown"] = t("funnels.unknown")
table = report.breakdowns[dim]
b1, b2 = st.columns([3, 2])
if summary["converted"] == 0:
    # every bar would be zero: an empty chart with only group names says nothing
    b1.info(t("funnels.breakdown_none"))
else:
    b1.plotly_chart(
        charts.breakdown_chart(
            table,
            group_labels,
            first=stages[0],
            conversion_title=t("funnels.conversion_pct"),
            count_title=stage_labels[stages[0]],
        ),
        width="stretch",
    )
show_table(
    charts.breakdown_table(table, group_labels, stages, stage_labels, t("funnels.col_group"),
                           t("funnels.conversion_pct")),
    b2,
    # counts with thousands separators, like the step table beside the funnel
    column_config={stage_labels[s]: st.column_config.NumberColumn(format="localized") for s in stages}
    | {t("funnels.conversion_pct"): st.column_config.NumberColumn(format="%.1f%%")},
)  # fmt: skip

# --- time to convert and trend -----------------------------------------------------------------
t1, t2 = st.columns(2)
t1.subheader(t("funnels.ttc_header"))
if summary["converted"] == 0:
    t1.info(t("funnels.ttc_none"))
else:
    t1.plotly_chart(
        charts.time_to_convert_chart(
            report.histogram,
            median,
            days_title=t("funnels.ttc_days"),
            count_title=t("funnels.ttc_customers"),
            median_label=t("funnels.ttc_median"),
        ),
        width="stretch",
    )
    t1.caption(
        t("funnels.ttc_quantiles", **{q: f"{summary[q]:.1f}" for q in ("q25", "q50", "q75", "q90")})
    )
t2.subheader(t("funnels.trend_header"))
t2.plotly_chart(
    charts.trend_chart(
        report.trend,
        targeted_title=stage_labels[stages[0]],
        conversion_title=t("funnels.conversion_pct"),
        incomplete_label=t("funnels.trend_incomplete"),
    ),
    width="stretch",
)
t2.caption(t("funnels.trend_note"))

# --- who dropped: next week's call list --------------------------------------------------------
st.subheader(t("funnels.drop_header"))
dropped_counts = {k: counts["customers"][k - 1] - counts["customers"][k] for k in steps}
step_labels = {
    k: t(
        "funnels.drop_option",
        before=stage_labels[stages[k - 1]],
        at=stage_labels[stages[k]],
        count=count(dropped_counts[k]),
    )
    for k in steps
}
# no step until the user picks one: the call list is the page's largest read
step = st.selectbox(
    t("funnels.drop_step"),
    steps,
    index=None,
    format_func=step_labels.get,
    placeholder=t("funnels.drop_pick"),
    key="fn_drop_step",
)
fn_own = {"campaign": "all" if campaign_id == ALL_CAMPAIGNS else str(campaign_id)}
if step is not None:
    fn_own["step"] = str(step)
elif campaign_id == options[0]:
    fn_own = {}  # the page as it opens: nothing to say in the address
st.session_state[FN_WRITTEN] = fn_own
current_url = st.query_params.to_dict()
wanted_url = {k: v for k, v in current_url.items() if k not in OWN_PARAMS} | fn_own
if wanted_url != current_url:
    st.query_params.from_dict(wanted_url)
if step is not None and dropped_counts[step] == 0:
    st.info(t("funnels.drop_none"))
elif step is not None:
    with friendly_errors():
        dropped = load_drop_list(view, campaign_ids, step, window, stages)
    call_columns = ("officer_name", "customer_id", "name", "phone", "last_stage", "last_stage_at")
    call_headers = t_map("funnels.col_", call_columns, officer_name="officer")
    next_monday = ctx.as_of + timedelta(days=7 - ctx.as_of.weekday())
    st.caption(t("funnels.drop_week", week=f"{next_monday:%Y-%m-%d}"))
    officers_calls = charts.per_officer(dropped)
    d1, d2 = st.columns([1, 3])
    show_table(
        officers_calls.select(
            pl.col("officer_name").fill_null("—").alias(call_headers["officer_name"]),
            pl.col("calls").alias(t("funnels.col_calls")),
        ),
        d1,
    )
    everyone = t("funnels.all_officers", count=count(dropped.height))
    officer_labels = {-1: everyone} | {
        row["officer_id"]: f"{row['officer_name'] or '—'} ({count(row['calls'])})"
        for row in officers_calls.iter_rows(named=True)
        if row["officer_id"] is not None
    }
    pick = d2.selectbox(
        t("funnels.call_officer"), list(officer_labels), format_func=officer_labels.get,
        key=f"fn_call_officer_{campaign_id}_{step}",
    )  # fmt: skip
    mine = dropped if pick == -1 else dropped.filter(pl.col("officer_id") == pick)
    spans = None
    if campaign_id == ALL_CAMPAIGNS:
        call_headers["campaign"] = t("funnels.col_campaign")
        spans = {c: row[name_col] for c, row in by_id.items()}
    # mask only the rows drawn; the whole list is masked when the CSV is asked for
    shown = charts.call_list(mine.head(MAX_ROWS), call_headers, stage_labels, spans)
    show_customer_list(shown, call_headers["customer_id"], lang, d2)
    if mine.height > MAX_ROWS:
        d2.caption(t("funnels.rows_shown", shown=count(MAX_ROWS), total=count(mine.height)))
    who = "all" if pick == -1 else str(pick)
    export_button(
        t("funnels.download"),
        charts.call_list(mine, call_headers, stage_labels, spans),
        "csv",
        f"call_list_{file_code}_{stages[step]}_{who}_{next_monday:%Y%m%d}",
        {"campaign": file_code, "step": stages[step], "officer": who,
         "branches": list(ctx.selection.branch_ids), "officers": list(ctx.selection.officer_ids)},
        key="fn_download",
    )  # fmt: skip
