"""Credit desk: the period's loan applications, each checked against the applicant's footprints,
with severities, evidence, a link to the customer, and the capped internet-platform adjustment."""

from __future__ import annotations

from dataclasses import replace

import polars as pl
import streamlit as st

from dashboard.charts import credit as charts
from dashboard.errors import friendly_errors, no_data
from dashboard.format import count, pct
from dashboard.i18n import t, tn
from dashboard.links import CUSTOMER_PATH
from dashboard.loaders.common import load_standard
from dashboard.loaders.credit import load_credit_evidence
from dashboard.nav import PAGES_DIR
from dashboard.periods import days_to, pick_days
from dashboard.state import page_context
from data_access.masking import mask_name
from metrics.credit import CHECKS, SEVERITIES, credit_mismatches, rate_applications

ctx = page_context()
zh = ctx.lang == "zh"
st.title(t("credit.title"))
st.caption(t("credit.intro"))

with friendly_errors():
    standard = load_standard()
    credit = standard.credit
    days = pick_days("credit", 30, "cr_days")
    # applications are not split by tier: the tiers stay out of the selection and the cache key
    picks = replace(ctx.selection, tiers=())
    evidence = load_credit_evidence(
        days_to(ctx.period.end, days), picks, credit.repayment_lookback_days
    )
    if evidence.is_empty():
        no_data("credit.none")
    mismatches = credit_mismatches(
        evidence,
        standard.alerts.income_contradiction_ratio,
        standard.alerts.contradiction_min_inflows,
        credit,
    )
    ratings = rate_applications(evidence, mismatches, credit)

cap = f"{credit.platform_adjustment_cap:g}"
severity = {s: t(f"credit.severity_{s}") for s in SEVERITIES}
check_label = {c: t(f"credit.check_{c}") for c in CHECKS}
with_platforms = st.toggle(
    t("credit.whatif", cap=cap), value=True, help=t("credit.whatif_help"), key="cr_platforms"
)
rating_col = "rating_with_platforms" if with_platforms else "rating"

table = evidence.join(ratings, on="application_id", how="left")
flagged = table.filter(pl.col("mismatches") > 0)
k1, k2, k3, k4 = st.columns(4)
k1.metric(t("credit.kpi_applications"), count(table.height))
k2.metric(
    t("credit.kpi_flagged"),
    count(flagged.height),
    pct(flagged.height / table.height),  # a share of the applications, not a change: no arrow
    "off",
    delta_arrow="off",
)
k3.metric(t("credit.kpi_high"), count(table.filter(pl.col("worst") == "high").height))
k4.metric(t("credit.kpi_rating"), f"{table[rating_col].mean():.1f}")

st.plotly_chart(
    charts.mismatch_chart(
        mismatches,
        check_label,
        severity,
        title=t("credit.chart_title"),
        count_label=t("credit.chart_count"),
    ),
    width="stretch",
    key="cr_chart",
)
only = st.toggle(t("credit.only_flagged"), value=True, key="cr_only")
shown = (flagged if only else table).sort([rating_col, "application_id"], descending=[False, False])
checks_of = (
    mismatches.group_by("application_id")
    .agg(pl.col("check").unique().sort().str.join(","))
    .rename({"check": "checks"})
)
shown = shown.join(checks_of, on="application_id", how="left")
view = shown.select(
    pl.col("application_id").alias(t("credit.col_application")),
    # a day as the reader writes it: Streamlit draws a Date column with a midnight time
    pl.col("applied_on").cast(pl.Date).dt.strftime("%Y-%m-%d").alias(t("credit.col_applied")),
    pl.col("name").map_elements(mask_name, return_dtype=pl.String).alias(t("credit.col_customer")),
    pl.col("product")
    .map_elements(lambda p: t(f"codes.product_{p}"), return_dtype=pl.String)
    .alias(t("credit.col_product")),
    pl.col("amount").alias(t("credit.col_amount")),
    pl.col("status")
    .map_elements(lambda s: t(f"credit.status_{s}"), return_dtype=pl.String)
    .alias(t("credit.col_status")),
    pl.col("checks")
    .fill_null("")
    .map_elements(
        lambda cs: "、".join(check_label[c] for c in cs.split(",") if c),
        return_dtype=pl.String,
    )
    .alias(t("credit.col_mismatches")),
    pl.col("worst")
    .replace_strict(severity, default="", return_dtype=pl.String)
    .alias(t("credit.col_worst")),
    pl.col(rating_col).round(1).alias(t("credit.col_rating")),
    pl.col("platform_points").round(1).alias(t("credit.col_platform")),
    pl.format(f"/{CUSTOMER_PATH}?customer={{}}&lang={ctx.lang}", "customer_id").alias(
        t("credit.col_link")
    ),
)
st.dataframe(
    view,
    hide_index=True,
    width="stretch",
    column_config={
        t("credit.col_link"): st.column_config.LinkColumn(display_text=t("credit.link_text")),
        t("credit.col_amount"): st.column_config.NumberColumn(format="%,.0f"),
    },
)

# --- one application: every mismatch with its footprints ---------------------------------------
st.markdown(f"#### {t('credit.detail')}")
if shown.is_empty():
    st.caption(t("credit.detail_none"))
    st.stop()
labels = {
    r["application_id"]: t(
        "credit.detail_option",
        id=r["application_id"],
        customer=mask_name(r["name"]) or "—",
        product=t(f"codes.product_{r['product']}"),
        amount=f"{r['amount']:,.0f}",
    )
    for r in shown.iter_rows(named=True)
}
chosen = st.selectbox(t("credit.detail_pick"), list(labels), format_func=labels.get, key="cr_app")
row = shown.filter(pl.col("application_id") == chosen).row(0, named=True)
st.caption(
    tn(
        "credit.detail_rating",
        row["platforms"],
        rating=f"{row['rating']:.1f}",
        with_platforms=f"{row['rating_with_platforms']:.1f}",
        platforms=row["platforms"],
        limit=f"{row['platform_limit']:,.0f}",
        points=f"{row['platform_points']:.1f}",
        cap=cap,
    )
)
mine = mismatches.filter(pl.col("application_id") == chosen)
if mine.is_empty():
    st.caption(t("credit.detail_none"))
for m in mine.iter_rows(named=True):
    st.markdown(
        f"**{severity[m['severity']]} · {check_label[m['check']]}** — "
        + (m["evidence_zh"] if zh else m["evidence_en"])
    )
st.page_link(
    str(PAGES_DIR / "customer.py"),
    label=t("credit.detail_customer"),
    icon="👣",
    query_params={"customer": str(row["customer_id"])},
)
