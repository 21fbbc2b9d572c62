"""Customer footprint (officers, credit staff): one customer's profile, footprints, value, signals,
next best products with talking points, and a form to record a new soft footprint."""

from __future__ import annotations

import zlib
from dataclasses import replace
from datetime import date
from typing import Any

import polars as pl
import streamlit as st

from dashboard import search
from dashboard.access import audit_search, current_user, unmask_panel
from dashboard.charts import customer as charts
from dashboard.db import get_engine
from dashboard.errors import friendly_errors, no_data
from dashboard.format import place
from dashboard.i18n import t, t_map, tn
from dashboard.loaders.common import load_standard
from dashboard.loaders.customer import (
    load_features,
    load_record,
    load_search,
    load_signal_counts,
    load_signal_leads,
    load_soft,
)
from dashboard.state import page_context, url_view
from dashboard.tables import show_coded_table
from dashboard.views.customer_tabs import (
    CodeLabels,
    CustomerView,
    credit_tab,
    footprints_tab,
    overview_tab,
    soft_tab,
)
from data_access import audit
from data_access.filters import TIERS
from data_access.identifiers import parse_id
from data_access.masking import mask_frame, mask_name
from data_access.queries.customer import (
    MATCH_CONTAINS,
    MATCH_EXACT,
    MATCH_PREFIX,
    SEARCH_PAGE_SIZES,
    looks_like_id_number,
)
from metrics.profile import tier_for_aum

ctx = page_context()
lang = ctx.lang
zh = lang == "zh"
unit = 10_000.0 if zh else 1.0
st.title(t("customer.title"))
st.caption(t("customer.intro"))

with friendly_errors():
    standard = load_standard()


# --- customer and search: kept in the session and in the URL (?customer=…&q=…&page=…) -------------
view = search.read_state()
if view.masked_link:
    st.info(t("customer.search_masked_link"))
if "customer" in url_view().ignored and not view.customer:
    st.info(t("customer.bad_id"))
search.write_state(view)
user = current_user()
finds_by = set(ctx.scope.find_by)


def _open_picked(key: str) -> None:
    """The customer chosen in the picker ``key`` opens."""
    picked = st.session_state.get(key)
    if picked is not None:
        st.session_state.f_customer = str(picked)


def _customer_picker(label: str, labels: dict[int, str], key: str, where: Any = st) -> None:
    """A choice among ``labels``' customers (their texts resolved now: a format_func runs later,
    perhaps in another language); choosing one opens it."""
    where.selectbox(
        label, list(labels), index=None, placeholder=t("customer.choose"),
        format_func=labels.get, key=key, on_change=lambda: _open_picked(key),
    )  # fmt: skip


def _pick_row(key: str, ids: list[int]) -> None:
    """A click on a result row opens that customer (Back returns to the list)."""
    event = st.session_state.get(key)
    rows = list(getattr(getattr(event, "selection", None), "rows", None) or [])
    if rows and 0 <= rows[0] < len(ids):
        st.session_state.f_customer = str(ids[rows[0]])
        # the list shown again (Back, "Back to my book") is a new table: no row left ticked
        st.session_state.cu_rows_opened = st.session_state.get("cu_rows_opened", 0) + 1


def _customer_table(
    frame: pl.DataFrame,
    ids: list[int],
    key: str,
    codes: dict[str, dict[str, str]],
    more_headers: dict[str, str],
    where: Any = st,
    **options: Any,
) -> None:
    """Customers one a row (``ids`` in row order) headed by number, name, phone, town and
    ``more_headers``; a click on a row opens that customer."""
    headers = t_map(
        "customer.", ("customer_id", "name", "phone", "town"), name="f_name", phone="f_phone",
        town="f_town",
    )  # fmt: skip
    show_coded_table(
        frame, codes, headers | more_headers, where, key=key,
        on_select=lambda: _pick_row(key, ids), selection_mode="single-row", **options,
    )  # fmt: skip


MATCH = {
    q_match: t(f"customer.match_{q_match}")
    for q_match in (MATCH_EXACT, MATCH_PREFIX, MATCH_CONTAINS)
}


def search_results(state: search.SearchState) -> None:
    """The count, one page of matches (a row opens the customer) and the pager."""
    text = state.text.strip()
    selection = ctx.selection
    with friendly_errors():
        found, total = load_search(selection, text, state.page, state.size)
        last = search.pages(total, state.size)
        if total and state.page > last:  # a link's page past the end: the last page, said so
            st.info(t("customer.search_past_end", page=state.page, last=last))
            state = replace(state, page=last)
            search.turn_to(last)
            search.write_state(state)
            found, total = load_search(selection, text, last, state.size)
    audit_search(
        user,
        {"q": search.link_text(text), "page": state.page, "size": state.size,
         "branches": list(selection.branch_ids), "officers": list(selection.officer_ids),
         "tiers": list(selection.tiers)},
        total,
    )  # fmt: skip
    # digits the role may not search by phone or ID number: said, also when they matched a
    # customer number (the last four digits of a phone are one), so no one reads those as found
    refused = [k for k in ("phone", "id_number") if k not in finds_by] and (
        text.strip().isdigit() or looks_like_id_number(text)
    )
    if total == 0:
        st.info(t("customer.search_none"))
        if refused:
            st.caption(t("customer.search_no_right"))
        return
    if refused:
        st.caption(t("customer.search_no_right"))
    first = (state.page - 1) * state.size + 1
    st.markdown(
        tn(
            "customer.search_count",
            total,
            count=f"{total:,}",
            first=first,
            last=first + found.height - 1,
        )
    )
    ids = found["customer_id"].to_list()
    # one table per search and page: a row picked on one page is not picked on the next
    shown = f"{text}|{state.page}|{state.size}|{st.session_state.get('cu_rows_opened', 0)}"
    table_key = f"cu_results_{zlib.crc32(shown.encode())}"
    tiers = {c: t(f"common.tier_{c}") for c in TIERS}
    _customer_table(
        found.with_columns(
            pl.col("aum") / unit,
            pl.col("town").map_elements(lambda v: place(v, lang_code=lang), pl.String),
        ).drop("branch_id", "officer_id"),
        ids,
        table_key,
        {"tier": tiers, "match": MATCH},
        t_map("customer.", ("tier", "aum", "match"), aum="search_aum", match="search_match"),
        column_config={
            t("customer.search_aum"): st.column_config.NumberColumn(
                format="%.1f" if zh else "%,.0f"
            ),
            t("customer.customer_id"): st.column_config.NumberColumn(format="%d"),
        },
    )
    prev_col, at_col, next_col, size_col = st.columns([1, 2, 1, 1.2], vertical_alignment="center")
    prev_col.button(
        t("customer.search_prev"), key="cu_prev", disabled=state.page <= 1,
        on_click=search.turn_to, args=(state.page - 1,),
    )  # fmt: skip
    at_col.caption(t("customer.search_page", page=state.page, pages=last))
    next_col.button(
        t("customer.search_next"), key="cu_next", disabled=state.page >= last,
        on_click=search.turn_to, args=(state.page + 1,),
    )  # fmt: skip
    st.session_state.w_search_size = state.size
    size_labels = {n: t("customer.search_size_n", n=n) for n in SEARCH_PAGE_SIZES}
    size_col.selectbox(
        t("customer.search_size"), SEARCH_PAGE_SIZES, key="w_search_size", on_change=search.resize,
        label_visibility="collapsed", format_func=size_labels.get,
    )  # fmt: skip
    labels = {
        row["customer_id"]: t(
            "customer.search_option",
            id=row["customer_id"],
            name=row["name"] or "—",
            phone=row["phone"] or "—",
            town=place(row["town"]),
        )
        for row in found.iter_rows(named=True)
    }
    _customer_picker(t("customer.search_results"), labels, "w_customer_pick")


help_key = "customer.search_help_" + ("all" if finds_by >= {"phone", "id_number"} else "plain")
st.session_state.w_customer_search = view.text  # the box shows what is searched
st.text_input(
    t("customer.search"),
    key="w_customer_search",
    help=t(help_key),
    placeholder=t(help_key),
    on_change=lambda: search.searched(st.session_state.w_customer_search),
)
chosen = view.customer
if view.text.strip():
    if chosen:  # the list stays one click away, folded, above the customer
        with st.expander(t("customer.search_again")):
            search_results(view)
    else:
        search_results(view)
if chosen:
    st.button(
        t("customer.clear"),
        key="cu_clear",
        on_click=lambda: st.session_state.update(f_customer=""),
    )


def book_overview() -> None:
    """Without a customer: the signals in the book (from the mart) and whom to look at first."""
    codes = tuple(s.code for s in standard.signals)
    view = (ctx.selection, codes)
    with friendly_errors():
        counts = load_signal_counts(*view)
        leads = load_signal_leads(*view)
    st.markdown(f"#### {t('customer.book_title')}")
    total = counts.filter(pl.col("code") == "")["customers"][0]
    if total == 0:
        st.info(t("customer.mart_missing"))
        return
    st.caption(t("customer.book_caption", n=f"{total:,}"))
    left, right = st.columns([1, 1])
    left.plotly_chart(
        charts.signal_counts_chart(
            counts,
            {s.code: s.label(lang) for s in standard.signals},
            title=t("customer.book_chart"),
        ),
        width="stretch",
        key="cu_book_chart",
    )
    lead_labels = {
        row["customer_id"]: t(
            "customer.lead_option",
            id=row["customer_id"],
            name=mask_name(row["name"]) or "—",
            town=place(row["town"]),
            n=row["signals"],
        )
        for row in leads.iter_rows(named=True)
    }
    _customer_picker(t("customer.book_leads"), lead_labels, "w_customer_lead", right)
    lead_ids = leads["customer_id"].to_list()
    leads_key = f"cu_leads_table_{st.session_state.get('cu_rows_opened', 0)}"
    _customer_table(
        mask_frame(leads, {"name": "name", "phone": "phone"}),
        lead_ids,
        leads_key,
        {},
        {"signals": t("customer.signals_on")},
        right,
    )


if not chosen:
    st.info(t("customer.pick"))
    if not view.text.strip():  # a search's list is what the user is looking at
        book_overview()
    st.stop()
customer_id = parse_id(chosen)
if customer_id is None:
    no_data("customer.bad_id")

with friendly_errors():
    record = load_record(ctx.scope, customer_id, ctx.as_of)
profile_df: pl.DataFrame = record["profile"]
if profile_df.is_empty():
    no_data("customer.not_found")
profile = profile_df.row(0, named=True)
marts = record["marts"]

# --- header ---------------------------------------------------------------------------------------
st.subheader(t("customer.header", name=mask_name(profile["name"]), id=customer_id))
st.caption(
    t(
        "customer.header_caption",
        branch=profile["branch_name" if zh else "branch_name_en"],
        officer=profile["officer_name"] or t("customer.no_officer"),
        opened=f"{profile['opened_on']:%Y-%m-%d}",
    )
)
if profile["closed_on"] is not None:
    st.warning(t("customer.closed", day=f"{profile['closed_on']:%Y-%m-%d}"))
user = current_user()
if st.session_state.get("_customer_opened") != customer_id:  # once per customer opened
    st.session_state["_customer_opened"] = customer_id
    audit.log(get_engine(), user.username, "customer_open", target=str(customer_id), row_count=1)
if user.may("unmask"):
    unmask_panel(ctx.scope, customer_id, user)

# Live features (not the mart) so that a soft footprint recorded today shows at once.
signal_day = max(ctx.as_of, date.today())
with friendly_errors():
    features = load_features(ctx.scope, customer_id, signal_day)
    soft = load_soft(ctx.scope, customer_id)

value = marts["value"]
balances: pl.DataFrame = record["balances"]
last_aum = balances["aum"][-1] if balances.height else None
tier = value["tier"] if value else tier_for_aum(last_aum, standard.tiers)
tier_label = {lvl.code: lvl.info.label(lang) for lvl in standard.tiers.levels}

tab_overview, tab_footprints, tab_soft, tab_credit = st.tabs(
    [
        t("customer.tab_overview"),
        t("customer.tab_footprints"),
        t("customer.tab_soft"),
        t("customer.tab_credit"),
    ]
)

view = CustomerView(
    ctx=ctx,
    standard=standard,
    user=user,
    labels=CodeLabels.now(),
    customer_id=customer_id,
    record=record,
    profile_df=profile_df,
    profile=profile,
    marts=marts,
    value=value,
    balances=balances,
    last_aum=last_aum,
    tier=tier,
    tier_label=tier_label,
    features=features,
    soft=soft,
    signal_day=signal_day,
)
for tab, render in (
    (tab_overview, overview_tab),
    (tab_footprints, footprints_tab),
    (tab_soft, soft_tab),
    (tab_credit, credit_tab),
):
    with tab:
        render(view)
