"""Information-quality queue: the book's customers with profile fields missing or a declared
income the footprints contradict, most valuable first; a validated, audited correction form; the
book's completeness; corrections per officer for training leads."""

from __future__ import annotations

import polars as pl
import streamlit as st

from dashboard.access import current_user
from dashboard.errors import friendly_errors
from dashboard.format import count, money, pct
from dashboard.i18n import t, tn
from dashboard.links import link_customers
from dashboard.loaders.common import load_officers, load_standard
from dashboard.loaders.quality_queue import load_queue, save_fix
from dashboard.problems import problem_text
from dashboard.state import page_context
from data_access.masking import mask_name
from data_access.queries.quality_queue import CHOICES, FIXABLE, InvalidProfileFix
from metrics.quality import income_contradictions, officer_completeness, overall_completeness

ctx = page_context()
st.title(t("quality.title"))
st.caption(t("quality.intro"))

with friendly_errors():
    standard = load_standard()
    fields = tuple(f for f in standard.profile_fields if f in FIXABLE)
    ratio = standard.alerts.income_contradiction_ratio
    data = load_queue(ctx.period, ctx.selection, fields, ratio)
    officers = load_officers(ctx.scope, ctx.selection.branch_ids)
queue: pl.DataFrame = data["queue"]
contradicted = income_contradictions(
    data["income"],
    standard.alerts.income_contradiction_ratio,
    standard.alerts.contradiction_min_inflows,
)
field_label = {f: t(f"officers.field_{f}") for f in FIXABLE}
choice_label = {
    "gender": {v: t(f"customer.gender_{v}") for v in CHOICES["gender"]},
    "occupation": {v: t(f"codes.occ_{v}") for v in CHOICES["occupation"]},
    "education": {v: t(f"customer.edu_{v}") for v in CHOICES["education"]},
    "marital_status": {v: t(f"customer.marital_{v}") for v in CHOICES["marital_status"]},
}

k1, k2, k3 = st.columns(3)
k1.metric(t("quality.kpi_missing"), count(data["gaps"]))  # all of them, not the rows listed
k2.metric(t("quality.kpi_contradicted"), count(contradicted.height))
k3.metric(t("quality.kpi_completeness"), pct(overall_completeness(data["fill"])))

# one row per customer: missing fields and / or a contradicted income, most valuable first
flags = queue.select(
    "customer_id",
    "name",
    "aum",
    pl.concat_list([pl.when(pl.col(f"missing__{f}") == 1).then(pl.lit(f)) for f in fields])
    .list.drop_nulls()
    .alias("fields"),
)
extra = contradicted.select("customer_id", "name").join(flags, on="customer_id", how="anti")
rows = pl.concat(
    [
        flags.with_columns(pl.lit(False).alias("income_contradicted")),
        extra.with_columns(
            pl.lit(None, pl.Float64).alias("aum"),
            pl.lit([], pl.List(pl.String)).alias("fields"),
            pl.lit(True).alias("income_contradicted"),
        ).select("customer_id", "name", "aum", "fields", "income_contradicted"),
    ]
).with_columns(
    pl.col("income_contradicted")
    | pl.col("customer_id").is_in(contradicted["customer_id"].to_list())
)
if rows.is_empty():
    st.success(t("quality.empty"))
    st.stop()

view = rows.select(
    pl.col("customer_id").alias(t("quality.col_customer_id")),
    pl.col("name").map_elements(mask_name, return_dtype=pl.String).alias(t("quality.col_name")),
    pl.col("aum").alias(t("quality.col_aum")),
    pl.col("fields")
    .map_elements(lambda fs: "、".join(field_label[f] for f in fs), return_dtype=pl.String)
    .alias(t("quality.col_missing")),
    pl.col("income_contradicted").alias(t("quality.col_contradicted")),
)
linked, links = link_customers(view, t("quality.col_customer_id"), ctx.lang)
if data["gaps"] > queue.height:
    st.caption(t("quality.shown", shown=count(queue.height), total=count(data["gaps"])))
st.dataframe(
    linked,
    hide_index=True,
    width="stretch",
    column_config=links | {t("quality.col_aum"): st.column_config.NumberColumn(format="%,.0f")},
)

# --- the correction form ----------------------------------------------------------------------------
st.markdown(f"#### {t('quality.fix_header')}")
by_id = {r["customer_id"]: r for r in rows.iter_rows(named=True)}
labels = {
    cid: t(
        "quality.fix_option",
        id=cid,
        name=mask_name(r["name"]) or "—",
        aum=money(r["aum"], lang_code=ctx.lang),
    )
    for cid, r in by_id.items()
}
cid = st.selectbox(t("quality.fix_pick"), list(labels), format_func=labels.get, key="qq_pick")
row = by_id[cid]
to_fix = list(row["fields"]) + (
    ["declared_income"]
    if row["income_contradicted"] and "declared_income" not in row["fields"]
    else []
)
if row["income_contradicted"]:
    st.caption(t("quality.income_note"))
with st.form(f"qq_form_{cid}", clear_on_submit=False):
    values: dict[str, object] = {}
    for field in to_fix:
        key = f"qq_{cid}_{field}"
        if field in choice_label:
            values[field] = st.selectbox(
                field_label[field],
                [None, *choice_label[field]],
                format_func=lambda v, f=field: "—" if v is None else choice_label[f][v],
                key=key,
            )
        elif field in ("birth_year", "household_size"):
            values[field] = st.number_input(field_label[field], value=None, step=1, key=key)
        elif field == "declared_income":
            values[field] = st.number_input(field_label[field], value=None, step=1000.0, key=key)
        else:
            values[field] = st.text_input(field_label[field], key=key)
    submitted = st.form_submit_button(t("quality.fix_submit"))
if submitted:
    changes = {f: v for f, v in values.items() if v not in (None, "")}
    for f in ("birth_year", "household_size"):
        if isinstance(changes.get(f), float):
            changes[f] = int(changes[f])
    try:
        save_fix(ctx.scope, cid, changes, current_user().username)
    except InvalidProfileFix as exc:
        for p in exc.problems:
            st.error(problem_text(p, field_label.get(p.field, t("quality.col_customer_id"))))
    else:
        st.success(tn("quality.fix_saved", len(changes), count=len(changes)))

# --- progress per officer (training leads) ----------------------------------------------------------
st.markdown(f"#### {t('quality.progress_header')}")
progress = (
    officer_completeness(data["fill"])
    .join(data["fixes"], on="officer_id", how="left")
    .with_columns(pl.col("fixes").fill_null(0))
    .sort(["completeness", "officer_id"])
)
officer_names = dict(zip(officers["officer_id"], officers["name"], strict=True))
st.dataframe(
    progress.select(
        pl.col("officer_id")  # the name, as on every other page (an id only if none is known)
        .replace_strict(officer_names, default=pl.col("officer_id").cast(pl.String))
        .alias(t("quality.col_officer")),
        pl.col("customers").alias(t("quality.col_customers")),
        (pl.col("completeness") * 100).round(1).alias(t("quality.col_completeness")),
        pl.col("weakest_field")
        .replace_strict(field_label, default=pl.col("weakest_field"), return_dtype=pl.String)
        .alias(t("quality.col_weakest")),
        pl.col("fixes").alias(t("quality.col_fixes")),
    ),
    hide_index=True,
    width="stretch",
)
