"""Suggestion outcomes: how officers answer next-best-product suggestions, per rule and per officer,
and whether the products were opened within the standard's conversion window."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

import polars as pl
import streamlit as st

from dashboard.charts import credit as charts
from dashboard.errors import friendly_errors
from dashboard.format import count, pct
from dashboard.i18n import t
from dashboard.loaders.common import load_standard
from dashboard.loaders.suggestions import load_feedback_outcomes
from dashboard.periods import days_to, pick_days
from dashboard.state import page_context
from metrics.feedback import PEERS_ONLY, feedback_summary, reason_counts, rules_not_converting
from metrics.footprint_rules import rules_for

ctx = page_context()
zh = ctx.lang == "zh"
st.title(t("suggestions.title"))

with friendly_errors():
    standard = load_standard()
    window = standard.funnel.default_window_days
    st.caption(t("suggestions.intro", days=window))
    days = pick_days("suggestions", 90, "sg_days")
    # answers are given today, while the data may end earlier: the period reaches today
    end = max(ctx.period.end, date.today())
    # the answers are not split by tier: the tiers stay out of the selection and the cache key
    picks = replace(ctx.selection, tiers=())
    outcomes = load_feedback_outcomes(days_to(end, days), picks, window)
if outcomes.is_empty():
    st.info(t("suggestions.none"))
    st.stop()

rules = rules_for(standard)
offer_label = {o.code: (o.label_zh if zh else o.label_en) for o in rules.offers}
offer_label[PEERS_ONLY] = t("suggestions.peers_only")
accepted = outcomes.filter(pl.col("decision") == "accept")
k1, k2, k3 = st.columns(3)
k1.metric(t("suggestions.kpi_answers"), count(outcomes.height))
k2.metric(t("suggestions.kpi_acceptance"), pct(accepted.height / outcomes.height))
converted = accepted.filter(pl.col("opened_on").is_not_null()).height
k3.metric(
    t("suggestions.kpi_conversion", days=window),
    pct(converted / accepted.height) if accepted.height else "—",
)


def shown(summary: pl.DataFrame, first: dict[str, pl.Expr]) -> pl.DataFrame:
    """The summary with translated headers."""
    return summary.select(
        *(expr.alias(name) for name, expr in first.items()),
        pl.col("answers").alias(t("suggestions.col_answers")),
        pl.col("accepted").alias(t("suggestions.col_accepted")),
        (pl.col("acceptance") * 100).round(1).alias(t("suggestions.col_acceptance")),
        pl.col("converted").alias(t("suggestions.col_converted")),
        (pl.col("conversion") * 100).round(1).alias(t("suggestions.col_conversion")),
        pl.col("dismissed_converted").alias(t("suggestions.col_dismissed_converted")),
    )


by_rule = feedback_summary(outcomes, "rule")
st.markdown(f"#### {t('suggestions.by_rule')}")
st.dataframe(
    shown(
        by_rule,
        {
            t("suggestions.col_rule"): pl.col("rule").replace_strict(
                offer_label, default=pl.col("rule"), return_dtype=pl.String
            )
        },
    ),
    hide_index=True,
    width="stretch",
)
st.plotly_chart(
    charts.acceptance_chart(
        by_rule,
        offer_label,
        (t("suggestions.col_accepted"), t("suggestions.col_converted")),
        t("suggestions.kpi_answers"),
    ),
    width="stretch",
    key="sg_chart",
)
dead = rules_not_converting(by_rule, min_accepted=5)
if dead.height:
    st.warning(
        t(
            "suggestions.not_converting",
            rules="、".join(offer_label.get(r, r) for r in dead["rule"]),
            days=window,
        )
    )

st.markdown(f"#### {t('suggestions.by_officer')}")
st.dataframe(
    shown(
        feedback_summary(outcomes, "officer_id"),
        {t("suggestions.col_officer"): pl.col("officer_name").fill_null("—")},
    ),
    hide_index=True,
    width="stretch",
)

st.markdown(f"#### {t('suggestions.reasons')}")
reasons = reason_counts(outcomes)
st.dataframe(
    reasons.select(
        pl.format("{}:{}", "decision", "reason")
        .map_elements(
            lambda k: (
                t(f"customer.fb_{k.split(':')[0]}")
                + " · "
                + t(f"customer.fb_reason_{k.split(':')[1]}")
            ),
            return_dtype=pl.String,
        )
        .alias(t("suggestions.col_reason")),
        pl.col("answers").alias(t("suggestions.col_answers")),
    ),
    hide_index=True,
    width="stretch",
)
