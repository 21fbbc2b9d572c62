"""Weekly KPIs (branch presidents): last week against the week before, a year ago and the target."""

from __future__ import annotations

from dataclasses import replace

import polars as pl
import streamlit as st

from dashboard import drill
from dashboard.charts import kpis as charts
from dashboard.errors import friendly_errors, no_data
from dashboard.export import export_button
from dashboard.format import count, pct
from dashboard.i18n import t
from dashboard.loaders.common import branch_names as names_of_branches
from dashboard.loaders.common import load_branches, load_officers, load_standard
from dashboard.loaders.kpis import league_period, load_officer_weekly, load_week_view
from dashboard.loaders.officers import BOOK_ROLES
from dashboard.report import (
    KPI_ORDER,
    WeeklyReport,
    build_weekly_report,
    card_label,
    card_text,
    change_text,
    kpi_text,
)
from dashboard.state import page_context
from dashboard.tabs import keep_widget_state, lazy_tabs
from metrics import kpis as km
from metrics.kpis import LOWER_IS_BETTER

ctx = page_context()
lang = ctx.lang
selection = ctx.selection  # the sidebar's picks
st.title(t("kpis.title"))
st.caption(t("kpis.intro", start=f"{ctx.week:%Y-%m-%d}", end=f"{ctx.week_end:%Y-%m-%d}"))

with friendly_errors():
    alerts = load_standard().alerts
    # the KPIs read no tiers: the tier list stays out of the selection, and so of the cache key
    picks = replace(selection, tiers=())
    view = load_week_view(ctx.week, picks)
    officer_weekly = load_officer_weekly(league_period(ctx.week), picks)
    branches = load_branches(ctx.scope)
    officers = load_officers(ctx.scope, selection.branch_ids)
weekly, targets, bank, by_branch = view.weekly, view.targets, view.bank, view.by_branch
if weekly.filter(pl.col("week_start") == ctx.week).is_empty():
    no_data("kpis.no_data_week")

branch_names = names_of_branches(branches, lang)
officer_names = dict(zip(officers["officer_id"].to_list(), officers["name"].to_list(), strict=True))
kpi_labels = {k: t(f"kpis.kpi_{k}") for k in KPI_ORDER}
# nothing picked: every branch in reach; for a scope of some branches (a branch president) that
# is those branches, named, not "all branches"
in_reach = selection.branch_ids or (() if ctx.scope.level == "bank" else tuple(branch_names))
selection_text = (  # the selection in words, for the card header and the report
    "、".join(branch_names.get(b, str(b)) for b in in_reach)
    if in_reach
    else t("kpis.selection_all")
)
if selection.officer_ids:
    selection_text += " · " + "、".join(officer_names.get(o, str(o)) for o in selection.officer_ids)
    st.info(t("kpis.officer_note"))
if selection.tiers:
    st.caption(t("kpis.tiers_note"))

# --- KPI cards ---------------------------------------------------------------------------------
st.subheader(t("kpis.cards_header") + f" · {selection_text}")
rows = {row["kpi"]: row for row in bank.iter_rows(named=True)}
cards = st.container(key="fp_cards_kpis")  # two across on a phone and on paper (style.py)
for start in range(0, len(KPI_ORDER), 4):
    for col, kpi in zip(cards.columns(4), KPI_ORDER[start : start + 4], strict=False):
        row = rows.get(kpi)
        if row is None:
            col.metric(kpi_labels[kpi], "—", border=True)  # no figure for this KPI
            continue
        col.metric(
            card_label(kpi, lang),
            card_text(kpi, row["value"], lang),
            delta=None
            if row["wow_abs"] is None
            else f"{card_text(kpi, row['wow_abs'], lang, signed=True)} "
            f"({pct(row['wow_pct'], signed=True)})",
            delta_arrow="off" if not row["wow_abs"] else "auto",
            delta_color="off"
            if not row["wow_abs"]
            else "inverse"
            if kpi in LOWER_IS_BETTER
            else "normal",
            help=t(f"kpis.help_{kpi}"),
            border=True,
        )
        col.caption(
            t(
                "kpis.card_caption",
                yoy=pct(row["yoy_pct"], signed=True),
                # one decimal, as in the report: 99.6% read "100%" beside a missed target
                attainment=pct(row["attainment"]),
            )
        )
st.caption(t("kpis.effective_note"))

# --- flagged moves -----------------------------------------------------------------------------
flags = view.flags.with_columns(
    pl.col("branch_id").replace_strict(branch_names, default=None).alias("branch"),
)
st.subheader(t("kpis.flags_header"))
if flags.is_empty():
    st.success(t("kpis.no_flags"))
else:
    st.caption(
        t(
            "kpis.flags_intro",
            weeks=alerts.kpi_history_weeks,
            z=alerts.kpi_z_score,
            share=f"{alerts.kpi_min_change_share:.0%}",
            min_count=alerts.kpi_count_min_change,
        )
    )
    st.dataframe(
        pl.DataFrame(
            {
                t("kpis.col_branch"): flags["branch"],
                t("kpis.col_kpi"): [kpi_labels[k] for k in flags["kpi"]],
                t("kpis.col_reason"): [
                    ("⚠️ " if a else "") + t(f"kpis.reason_{r}")
                    for r, a in zip(flags["reason"], flags["adverse"], strict=True)
                ],
                # one unit per column: '3,500元' beside '12.5万元' misreads at a glance
                t("kpis.col_change"): [
                    change_text(k, c, None, lang, one_unit=True)
                    for k, c in zip(flags["kpi"], flags["change"], strict=True)
                ],
                t("kpis.col_typical"): [
                    change_text(k, c, None, lang, one_unit=True)
                    for k, c in zip(flags["kpi"], flags["typical_change"], strict=True)
                ],
                t("kpis.col_z"): flags["z"].round(1),
            }
        ),
        hide_index=True,
        placeholder="—",
        key="kpis_flags",
    )

keep_widget_state("kpis_trend_kpi", "kpis_trend_span")  # the choices inside the tabs
# Only the open tab is drawn; the ranking and league are still computed for the weekly report.
tabs = lazy_tabs(
    "kpis",
    {
        "trend": t("kpis.trends_header"),
        "rank": t("kpis.ranking_header"),
        "league": t("kpis.league_header"),
    },
)

# --- trends ------------------------------------------------------------------------------------
trend_names = {c: t(f"kpis.line_{c}") for c in ("value", "prior_year", "target")}
if (tab := tabs["trend"]) is not None:
    with tab:
        left, right = st.columns([3, 1])
        trend_kpi = left.selectbox(
            t("kpis.trend_kpi"), list(KPI_ORDER), format_func=kpi_labels.get, key="kpis_trend_kpi"
        )
        span = right.segmented_control(
            t("kpis.trend_weeks"),
            [26, 52],
            default=52,
            format_func=lambda n: t("kpis.weeks_n", n=n),
            key="kpis_trend_span",
        )
        trend = km.kpi_trend(weekly, targets, kpi=trend_kpi, week=ctx.week, weeks=span or 52)
        axis = charts.axis_for(trend_kpi, lang, t("kpis.unit_money"), t("kpis.unit_count"))
        st.plotly_chart(
            charts.trend_figure(trend, title=kpi_labels[trend_kpi], axis=axis, names=trend_names),
            key="kpis_trend_chart",
        )
        st.plotly_chart(
            charts.attainment_figure(
                bank,
                title=t("kpis.attainment_title"),
                labels=kpi_labels,
                target_label=t("kpis.line_target"),
            ),
            key="kpis_attainment_chart",
        )

# --- branch ranking ----------------------------------------------------------------------------
ranking = view.ranking.with_columns(
    pl.col("branch_id").replace_strict(branch_names, default=None).alias("branch")
)
if (tab := tabs["rank"]) is not None:
    with tab:
        st.caption(t("kpis.ranking_intro"))
        st.plotly_chart(
            charts.ranking_figure(
                ranking,
                title=t("kpis.ranking_title"),
                names=branch_names,
                score_label=t("kpis.col_score"),
            ),
            key="kpis_ranking_chart",
            on_select=drill.branch_click("kpis_ranking_chart", tab=("kpis", "league")),
            selection_mode="points",
        )
        st.caption(t("kpis.drill_branch"))
        wide = by_branch.pivot(on="kpi", index="branch_id", values="value")
        wow = by_branch.pivot(on="kpi", index="branch_id", values="wow_pct")
        table = ranking.join(wide, on="branch_id", how="left").join(
            wow.select("branch_id", *(pl.col(k).alias(f"{k}_wow") for k in wow.columns[1:])),
            on="branch_id",
            how="left",
        )
        columns: dict[str, list] = {
            t("kpis.col_rank"): table["rank"].to_list(),
            t("kpis.col_branch"): table["branch"].to_list(),
            t("kpis.col_score"): [pct(v) for v in table["score"]],
            t("kpis.col_on_target"): [
                f"{a} / {b}" for a, b in zip(table["on_target"], table["with_target"], strict=True)
            ],
        }
        for kpi in ("deposit_balance", "loan_balance", "new_customers", "conversions"):
            if kpi in table.columns:
                columns[kpi_labels[kpi]] = [kpi_text(kpi, v, lang) for v in table[kpi]]
                columns[t("kpis.col_wow_of", kpi=kpi_labels[kpi])] = [
                    pct(v, signed=True) for v in table[f"{kpi}_wow"]
                ]
        st.dataframe(
            pl.DataFrame(columns), hide_index=True, placeholder="—", key="kpis_ranking_table"
        )

# --- officer league ----------------------------------------------------------------------------
# the officers who keep a customer book, as the officer page counts them (tellers keep none)
book_officers = officers.filter(pl.col("role").is_in(BOOK_ROLES))
league = km.officer_league(
    officer_weekly.filter(pl.col("officer_id").is_in(book_officers["officer_id"].to_list())),
    week=ctx.week,
    officers=book_officers.filter(pl.col("officer_id").is_in(selection.officer_ids))
    if selection.officer_ids
    else book_officers,
).with_columns(
    pl.col("officer_id").replace_strict(officer_names, default=None).alias("officer"),
    pl.col("branch_id").replace_strict(branch_names, default=None).alias("branch"),
)
if (tab := tabs["league"]) is not None:
    with tab:
        st.caption(t("kpis.league_intro") + " " + t("kpis.drill_officer"))
        st.dataframe(
            pl.DataFrame(
                {
                    t("kpis.col_rank"): league["rank"],
                    t("kpis.col_officer"): league["officer"],
                    t("kpis.col_branch"): league["branch"],
                    t("kpis.col_conversions"): league["conversions"],
                    t("kpis.col_conversions_prev"): league["conversions_prev"],
                    t("kpis.col_new_customers"): league["new_customers"],
                    t("kpis.col_activities"): league["activities"],
                    t("kpis.col_lagging"): [
                        t("kpis.lagging") if v else "" for v in league["lagging"]
                    ],
                }
            ),
            hide_index=True,
            placeholder="—",
            key="kpis_league_table",
            on_select=drill.officer_row(
                "kpis_league_table",
                list(zip(league["officer_id"], league["branch_id"], strict=True)),
                page="segments.py",
            ),
            selection_mode="single-row",
        )
        st.caption(t("kpis.league_count", n=count(league.height)))

# --- the weekly report -------------------------------------------------------------------------
report = WeeklyReport(
    lang=lang,
    week=ctx.week,
    as_of=ctx.as_of,
    selection=selection_text,
    bank=bank,
    ranking=ranking,
    league=league,
    flags=flags,
    weekly=weekly,
    targets=targets,
)
st.session_state["kpis_report"] = report  # the app test reads what the download would contain
export_button(
    t("kpis.download"),
    lambda: build_weekly_report(report),  # built on click, off the page's run
    "html",
    f"weekly-kpis-{ctx.week:%Y-%m-%d}",
    {"week": ctx.week, "branches": list(selection.branch_ids),
     "officers": list(selection.officer_ids), "tiers": list(selection.tiers)},
    key="kpis_download",
)  # fmt: skip
