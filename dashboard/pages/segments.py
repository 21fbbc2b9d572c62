"""Value segments: build a target segment, see its size and value, its tier × RFM treemap, the
masked customer list, export it for Excel, and keep named segments."""

from __future__ import annotations

import json
import zlib
from typing import Any

import polars as pl
import streamlit as st
from streamlit.delta_generator import DeltaGenerator

from dashboard.access import current_user
from dashboard.charts import segments as charts
from dashboard.errors import friendly_errors, no_data
from dashboard.export import export_button
from dashboard.format import count, money, pct, place
from dashboard.i18n import catalog, t
from dashboard.loaders import segments as loaders
from dashboard.loaders.common import branch_names as names_of_branches
from dashboard.loaders.common import load_branches, load_officers, load_standard
from dashboard.state import page_context, url_view
from dashboard.tables import show_customer_list
from data_access.errors import FootprintError, InvalidFilter, SegmentExists
from data_access.filters import TIERS
from data_access.queries.value import SIGNAL_CODES, SegmentDefinition
from data_access.schema import PRODUCTS

LIST_ROWS = 200
EXPORT_CAP = 100_000
BUILDER_KEYS = {
    "tiers": "sg_tiers",
    "rfm_segments": "sg_rfm",
    "towns": "sg_towns",
    "occupations": "sg_occupations",
    "products_held": "sg_held",
    "products_not_held": "sg_not_held",
    "signals": "sg_signals",
    "clv_min": "sg_clv_min",
    "clv_max": "sg_clv_max",
}
AGE_RANGE = (0, 100)

ctx = page_context()
lang = ctx.lang
st.title(t("segments.title"))
st.caption(t("segments.intro"))

with friendly_errors():
    standard = load_standard()
    value_rows, signal_rows = loaders.load_mart_sizes()
if value_rows == 0:
    no_data("segments.no_mart")
st.caption(t("segments.as_of_note", day=f"{ctx.as_of:%Y-%m-%d}", days=standard.rfm.lookback_days))

# --- labels (computed here: a format_func must not call t()) ------------------------------------
tier_labels = {c: t(f"common.tier_{c}") for c in TIERS}
segment_labels = {s.code: s.info.label(lang) for s in standard.rfm.segments}
signal_labels = {s.code: s.label(lang) for s in standard.signals if s.code in SIGNAL_CODES}
product_labels = {p: t(f"codes.product_{p}") for p in PRODUCTS}
known = catalog()
occupation_labels_all = {
    key.removeprefix("codes.occ_"): texts[lang]
    for key, texts in known.items()
    if key.startswith("codes.occ_")
}


def _apply(defn: SegmentDefinition, name: str) -> None:
    """Put a saved definition into the builder's widgets (runs before the script: a callback)."""
    for field, key in BUILDER_KEYS.items():
        value = getattr(defn, field)
        st.session_state[key] = list(value) if isinstance(value, tuple) else value
    st.session_state.sg_age = (
        defn.age_min if defn.age_min is not None else AGE_RANGE[0],
        defn.age_max if defn.age_max is not None else AGE_RANGE[1],
    )
    st.session_state.sg_flash = t("segments.loaded_ok", name=name)


def _load_saved(name: str, definition: str) -> None:
    """Load a saved segment; one written by an older version may not parse."""
    try:
        _apply(SegmentDefinition.from_json(definition), name)
    except InvalidFilter as exc:
        st.session_state.sg_flash_warning = t("common.err_filter", detail=str(exc))


def _definition_from_state() -> SegmentDefinition:
    """The definition the builder's widgets hold (the callbacks and the script agree on it)."""
    ss = st.session_state
    age = ss.get("sg_age", AGE_RANGE)
    return SegmentDefinition(
        tiers=tuple(ss.get("sg_tiers", ())),
        rfm_segments=tuple(ss.get("sg_rfm", ())),
        towns=tuple(ss.get("sg_towns", ())),
        age_min=age[0] if age[0] > AGE_RANGE[0] else None,
        age_max=age[1] if age[1] < AGE_RANGE[1] else None,
        occupations=tuple(ss.get("sg_occupations", ())),
        products_held=tuple(ss.get("sg_held", ())),
        products_not_held=tuple(ss.get("sg_not_held", ())),
        signals=tuple(ss.get("sg_signals", ())) if signals_ready else (),
        clv_min=ss.get("sg_clv_min"),
        clv_max=ss.get("sg_clv_max"),
    )


# Buttons act through callbacks: they run before the script, so a click is never lost to a rerun.
def _save_current() -> None:
    name = st.session_state.get("sg_name", "").strip()
    if not name:
        st.session_state.sg_flash_warning = t("segments.name_needed")
        return
    try:
        loaders.save(name, _definition_from_state(), current_user().username)
    except SegmentExists:  # someone's segment of that name: ask before replacing it
        st.session_state.sg_confirm = ("replace", name)
        return
    except FootprintError as exc:
        st.session_state.sg_flash_warning = str(exc)
        return
    st.session_state.sg_flash = t("segments.saved_ok", name=name)


def _delete_saved(name: str) -> None:
    st.session_state.sg_confirm = ("delete", name)  # asked first, done by _confirmed


def _confirmed(action: str, name: str) -> None:
    st.session_state.sg_confirm = None
    try:
        if action == "replace":
            loaders.save(name, _definition_from_state(), current_user().username, replace=True)
        else:
            loaders.delete(name, current_user().username)
    except FootprintError as exc:
        st.session_state.sg_flash_warning = str(exc)
        return
    done = "segments.saved_ok" if action == "replace" else "segments.deleted_ok"
    st.session_state.sg_flash = t(done, name=name)


def _cancelled() -> None:
    st.session_state.sg_confirm = None


def _sanitise_builder(options: dict[str, list[object]]) -> None:
    """Drop from the builder's state what its widgets cannot show (a saved segment naming a town
    no longer in scope, an age outside the slider): Streamlit would raise on every later run."""
    ss = st.session_state
    for key, allowed in options.items():
        value = ss.get(key)
        if value is not None and (
            not isinstance(value, list) or any(v not in allowed for v in value)
        ):
            ss[key] = [v for v in value if v in allowed] if isinstance(value, list) else []
    age = ss.get("sg_age")
    lo, hi = AGE_RANGE
    if not (
        isinstance(age, tuple | list)
        and len(age) == 2
        and all(isinstance(a, int) and not isinstance(a, bool) and lo <= a <= hi for a in age)
        and age[0] <= age[1]
    ):
        ss.sg_age = AGE_RANGE
    for key in ("sg_clv_min", "sg_clv_max"):
        value = ss.get(key)
        if value is not None and (
            isinstance(value, bool) or not isinstance(value, int | float) or not 0 <= value <= 1e12
        ):
            ss[key] = None


def _reset() -> None:
    _apply(SegmentDefinition(), "")
    st.session_state.sg_flash = None


# --- shared links -------------------------------------------------------------------------------
# The builder's conditions live in the address (?seg=…, compact JSON of the non-empty fields), so
# a shared link opens the same segment. A link naming other conditions than those this session
# last wrote (a new link, Back, Forward) is applied; an unusable one is ignored with a note.
URL_SEG, SEG_WRITTEN = "seg", "sg_url_written"


def _url_text(defn: SegmentDefinition) -> str:
    """The definition as the address carries it: only the conditions set, compact."""
    data = {k: v for k, v in json.loads(defn.to_json()).items() if v not in (None, [], ())}
    return (
        json.dumps(data, ensure_ascii=False, sort_keys=True, separators=(",", ":")) if data else ""
    )


url_seg = st.query_params.get(URL_SEG)
if url_seg is not None and url_seg != st.session_state.get(SEG_WRITTEN):
    linked = url_view().segment  # None when unusable: the sidebar's note names the parameter
    if linked is not None:
        _apply(linked, "")
        st.session_state.sg_flash = t("segments.loaded_from_link")
    st.session_state[SEG_WRITTEN] = url_seg
elif (
    url_seg is None
    and st.session_state.get(SEG_WRITTEN)
    and st.session_state.get("_came_from") == "segments"
):  # Back to before the first condition (arriving from another page drops the address instead)
    _apply(SegmentDefinition(), "")
    st.session_state.sg_flash = None
    st.session_state[SEG_WRITTEN] = None


def _drill_cell(key: str) -> None:
    """A click on a tier × RFM cell: the builder narrows to that cell (its customers listed
    below); the address then carries it, so Back returns to the view before the click."""
    event = st.session_state.get(key)
    for point in getattr(getattr(event, "selection", None), "points", None) or []:
        data = point.get("customdata")
        if isinstance(data, list | tuple) and len(data) >= 2:
            tier, segment = data[0], data[1]
            if tier in TIERS and segment in segment_labels:
                st.session_state.sg_tiers = [tier]
                st.session_state.sg_rfm = [segment]
                st.session_state.sg_cell_clicks = st.session_state.get("sg_cell_clicks", 0) + 1
                st.session_state.sg_flash = t(
                    "segments.cell_drilled", tier=tier_labels[tier], segment=segment_labels[segment]
                )
                return


# --- saved segments ------------------------------------------------------------------------------
with friendly_errors():
    saved = loaders.load_saved(current_user().username)
    towns, occupations = loaders.load_options(ctx.scope)
saved_defs = dict(zip(saved["name"].to_list(), saved["definition"].to_list(), strict=True))
saved_by = {row["name"]: (row["owner"], row["created_at"]) for row in saved.iter_rows(named=True)}

with st.expander(t("segments.saved_header"), expanded=bool(saved_defs)):
    if not saved_defs:
        st.caption(t("segments.saved_none"))
    else:
        s1, s2, s3 = st.columns([3, 1, 1], vertical_alignment="bottom")
        pick = s1.selectbox(t("segments.saved_pick"), list(saved_defs), key="sg_pick")
        owner, created = saved_by[pick]
        s1.caption(t("segments.saved_by", owner=owner, when=f"{created:%Y-%m-%d %H:%M}"))
        s2.button(
            t("segments.load"),
            key="sg_load",
            on_click=_load_saved,
            args=(pick, saved_defs[pick]),
            width="stretch",
        )
        s3.button(
            t("segments.delete"),
            key="sg_delete",
            on_click=_delete_saved,
            args=(pick,),
            width="stretch",
        )
if confirm := st.session_state.get("sg_confirm"):
    action, name = confirm
    with st.container(border=True):
        st.warning(t(f"segments.confirm_{action}", name=name))
        y, n, _ = st.columns([1, 1, 3])
        y.button(
            t(f"segments.confirm_{action}_yes"),
            key="sg_confirm_yes",
            on_click=_confirmed,
            args=(action, name),
            type="primary",
        )
        n.button(t("segments.confirm_no"), key="sg_confirm_no", on_click=_cancelled)
if st.session_state.get("sg_flash_warning"):
    st.warning(st.session_state.sg_flash_warning)
    st.session_state.sg_flash_warning = None
if st.session_state.get("sg_flash"):
    st.success(st.session_state.sg_flash)
    st.session_state.sg_flash = None

# --- the builder ---------------------------------------------------------------------------------
# defaults live in session state (not in the widgets) so that loading a saved segment can set them
for key, default in (("sg_age", AGE_RANGE), ("sg_clv_min", None), ("sg_clv_max", None)):
    st.session_state.setdefault(key, default)
town_labels = {town: place(town, lang_code=lang) for town in towns}  # a reading in English
# the builder's multiple choices: session key (sg_<field>, labelled segments.f_<field>) → the
# codes offered, in order, with their labels
choices = {
    "sg_tiers": tier_labels,
    "sg_rfm": segment_labels,
    "sg_towns": town_labels,
    "sg_occupations": {o: occupation_labels_all.get(o, o) for o in occupations},
    "sg_signals": signal_labels,
    "sg_held": product_labels,
    "sg_not_held": product_labels,
}
_sanitise_builder({key: list(labels) for key, labels in choices.items()})


def _any_of(where: DeltaGenerator, key: str, **options: Any) -> None:
    """The multiple choice ``key`` of the builder, where choosing none means any."""
    labels = choices[key]
    where.multiselect(
        t(f"segments.f_{key.removeprefix('sg_')}"), list(labels), format_func=labels.get, key=key,
        placeholder=t("segments.any"), **options,
    )  # fmt: skip


st.subheader(t("segments.builder_header"))
b1, b2, b3 = st.columns(3)
_any_of(b1, "sg_tiers")
_any_of(b2, "sg_rfm")
b3.slider(t("segments.f_age"), *AGE_RANGE, key="sg_age")
b4, b5, b6 = st.columns(3)
_any_of(b4, "sg_towns")
_any_of(b5, "sg_occupations")
signals_ready = signal_rows > 0
_any_of(b6, "sg_signals", disabled=not signals_ready)
if not signals_ready:
    b6.caption(t("segments.signals_empty"))
b7, b8, b9, b10 = st.columns([2, 2, 1, 1])
_any_of(b7, "sg_held")
_any_of(b8, "sg_not_held")
b9.number_input(t("segments.f_clv_min"), min_value=0.0, key="sg_clv_min")
b10.number_input(t("segments.f_clv_max"), min_value=0.0, key="sg_clv_max")

with friendly_errors():  # an impossible range (e.g. CLV max < min) becomes a warning
    defn = _definition_from_state()
seg_text = _url_text(defn)
if seg_text != (url_seg or ""):
    if seg_text:
        st.query_params[URL_SEG] = seg_text
    else:
        st.query_params.pop(URL_SEG, None)
st.session_state[SEG_WRITTEN] = seg_text or None

n1, n2, _ = st.columns([2, 1, 3], vertical_alignment="bottom")
n1.text_input(t("segments.save_name"), key="sg_name", max_chars=80)
n2.button(t("segments.save"), key="sg_save", on_click=_save_current, width="stretch")
st.button(t("segments.reset"), key="sg_reset", on_click=_reset)

# --- size and value ------------------------------------------------------------------------------
with friendly_errors():
    summary = loaders.load_summary(ctx.selection, defn, ctx.as_of).row(0, named=True)
    everyone = loaders.load_summary(ctx.selection, SegmentDefinition(), ctx.as_of)
total_in_view = everyone["customers"][0]
k1, k2, k3, k4 = st.columns(4)
k1.metric(t("segments.kpi_customers"), count(summary["customers"]))
k1.caption(
    t("segments.kpi_share", share=pct(summary["customers"] / total_in_view if total_in_view else None))
)  # fmt: skip
k2.metric(t("segments.kpi_aum"), money(summary["aum"], lang_code=lang))
k3.metric(t("segments.kpi_clv"), money(summary["clv"], lang_code=lang))
avg = summary["clv"] / summary["customers"] if summary["customers"] else None
k4.metric(t("segments.kpi_clv_avg"), money(avg, lang_code=lang))
if summary["customers"] == 0:
    no_data("segments.empty")

# --- tier × RFM segment --------------------------------------------------------------------------
st.subheader(t("segments.chart_header"))
sizes = {"customers": t("segments.size_customers"), "aum": t("segments.size_aum")}
size_by = st.segmented_control(
    t("segments.size_by"), list(sizes), format_func=sizes.get, default="customers", key="sg_size"
) or "customers"  # fmt: skip
cell_labels = charts.CellLabels(tier_labels, segment_labels, sizes["customers"], sizes["aum"])
with friendly_errors():
    breakdown = loaders.load_breakdown(ctx.selection, defn, ctx.as_of)
tree_col, grid_col = st.columns([3, 2])
# a fresh chart per segment and per click: a view shown again (Back) has no point left selected,
# so one click on the same cell drills again (a selected point's click would only unselect it)
cells_key = f"sg_cells_{zlib.crc32(seg_text.encode())}_{st.session_state.get('sg_cell_clicks', 0)}"
grid_col.plotly_chart(
    charts.cell_grid(
        breakdown,
        cell_labels,
        size_by=size_by,
    ),
    width="stretch",
    key=cells_key,
    on_select=lambda: _drill_cell(cells_key),
    selection_mode="points",
)
grid_col.caption(t("segments.cell_click"))
tree_col.plotly_chart(
    charts.treemap(
        breakdown,
        cell_labels,
        root_label=t("segments.root"),
        size_by=size_by,
    ),
    width="stretch",
)

# --- the customer list and its export ------------------------------------------------------------
st.subheader(t("segments.list_header"))
with friendly_errors():
    branches = load_branches(ctx.scope)
    officers = load_officers(ctx.scope, ())
branch_names = names_of_branches(branches, lang)
officer_names = dict(zip(officers["officer_id"].to_list(), officers["name"].to_list(), strict=True))
headers = {
    c: t(f"segments.col_{c}")
    for c in (
        "customer_id", "name", "phone", "id_number", "branch", "officer", "town", "occupation",
        "age", "tier", "rfm_segment", "aum", "p_alive", "clv",
    )
}  # fmt: skip


def _table(limit: int | None) -> pl.DataFrame:
    members = loaders.load_customers(ctx.selection, defn, ctx.as_of, limit)
    return charts.member_table(
        members,
        headers,
        tier_labels=tier_labels,
        segment_labels=segment_labels,
        branch_names=branch_names,
        officer_names=officer_names,
        as_of_year=ctx.as_of.year,
        occupation_labels=occupation_labels_all,
        town_labels=town_labels,
    )


with friendly_errors():
    shown = _table(LIST_ROWS)
st.caption(t("segments.list_note", shown=count(shown.height), total=count(summary["customers"])))
show_customer_list(
    shown,
    headers["customer_id"],
    lang,
    column_config={
        headers["aum"]: st.column_config.NumberColumn(format="localized"),
        headers["clv"]: st.column_config.NumberColumn(format="localized"),
        headers["p_alive"]: st.column_config.NumberColumn(format="%.2f"),
    },
)
text_cols = (headers["customer_id"], headers["phone"], headers["id_number"])
stamp = f"{ctx.as_of:%Y%m%d}"
# the files are built on request: a large segment must not slow every rerun of the page
export_key = (defn, ctx.selection, lang)
st.button(
    t("segments.prepare_export"),
    key="sg_prepare",
    on_click=lambda: st.session_state.update(sg_export=export_key),
)
if st.session_state.get("sg_export") == export_key:
    with friendly_errors():
        full = _table(EXPORT_CAP)
    e1, e2, _ = st.columns([1, 1, 3])
    picked = ctx.selection
    what = {"segment": defn.to_json(), "branches": list(picked.branch_ids),
            "officers": list(picked.officer_ids), "tiers": list(picked.tiers)}  # fmt: skip
    export_button(
        t("segments.download_csv"), full, "csv", f"segment_{stamp}", what,
        key="sg_csv", text_columns=text_cols, container=e1,
    )  # fmt: skip
    export_button(
        t("segments.download_xlsx"), full, "xlsx", f"segment_{stamp}", what,
        key="sg_xlsx", sheet=t("segments.sheet"), text_columns=text_cols, container=e2,
    )  # fmt: skip
    if summary["customers"] > EXPORT_CAP:
        st.caption(t("segments.export_cap", cap=count(EXPORT_CAP)))
