"""The shared sidebar: week, branches, officers, tiers and language, kept across pages and in the URL.

Each filter lives in a non-widget key (``f_*``) that survives page switches; the widget key
(``w_*``) is refreshed from it before drawing, and the URL is rewritten from it on every run,
so a copied link reproduces the view (see docs/streamlit.md).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

import streamlit as st

from dashboard.i18n import browser_lang, t
from dashboard.loaders.common import branch_names, load_branches, load_data_as_of, load_officers
from dashboard.params import UrlView, parse_params
from dashboard.style import print_header
from data_access.filters import TIERS, Filters, Scope
from metrics.calendar import last_full_week, week_start


@dataclass(frozen=True)
class PageContext:
    """What a page needs from the sidebar."""

    scope: Scope
    filters: Filters
    week: date
    as_of: date
    lang: str

    @property
    def week_end(self) -> date:
        """Sunday of the selected week."""
        return self.week + timedelta(days=6)


def _init(key: str, default: object) -> None:
    if f"f_{key}" not in st.session_state:
        st.session_state[f"f_{key}"] = default


def _sync(key: str) -> None:
    st.session_state[f"f_{key}"] = st.session_state[f"w_{key}"]


def _widget_value(key: str) -> None:
    st.session_state[f"w_{key}"] = st.session_state[f"f_{key}"]


def url_view() -> UrlView:
    """The usable part of this page's URL (``dashboard/params.py`` reads every parameter)."""
    return parse_params(st.query_params.to_dict())


FILTER_KEYS = ("lang", "week", "branches", "officers", "tiers")
VIEW_KEYS = (*FILTER_KEYS, "tab")  # what the sidebar writes to the address, in one message
_WRITTEN = "_url_written"  # the view this session last wrote to the address


def _follow_history() -> None:
    """Back, Forward or an edited address: a URL naming other filters or another tab than those
    last written wins over the session, so Back returns one step. A page switch drops the query
    string, so an empty one keeps the session's view."""
    current = {k: v for k, v in st.query_params.to_dict().items() if k in VIEW_KEYS}
    written = st.session_state.get(_WRITTEN)
    if not current or written is None:
        return
    if current != written:
        for key in [k for k in st.session_state if k.startswith(("f_", "tab_"))]:
            del st.session_state[key]


def init_language() -> str:
    """Language from the URL, else the browser; stored in f_lang."""
    _follow_history()
    _init("lang", url_view().lang or browser_lang())
    return st.session_state.f_lang


def current_scope() -> Scope:
    """Who asks: the signed-in user's scope (the router sets it); no rows without one."""
    return st.session_state.get("scope", Scope.nothing())


def _write_address(view: dict[str, str], page: str | None) -> None:
    """Put the view in the address in ONE change: the browser adds a history entry per change,
    and Back should return one step, not one parameter. An empty filter means "all" and is left
    out, so a shared link stays short; the open tab (dashboard/tabs.py) rides along, and
    parameters of the page's own (e.g. ``customer``) are kept."""
    current = st.query_params.to_dict()
    tab = st.session_state.get(f"tab_{page}", current.get("tab"))
    if tab and tab != st.session_state.get(f"tab_first_{page}"):
        view = {**view, "tab": tab}
    wanted = {k: v for k, v in view.items() if v}
    st.session_state[_WRITTEN] = dict(wanted)  # the view alone: the page's own keys are not ours
    wanted |= {k: v for k, v in current.items() if k not in VIEW_KEYS}
    if wanted != current:
        st.query_params.from_dict(wanted)


def sidebar(page: str | None = None) -> PageContext:
    """Draw the shared filters and return the page context."""
    url = url_view()
    ignored = list(url.ignored)
    fresh = "f_branches" not in st.session_state  # the URL is read once, when the view opens
    scope = current_scope()
    as_of = load_data_as_of() or date.today()
    last_week = last_full_week(as_of)
    weeks = [last_week - timedelta(weeks=i) for i in range(104)]

    url_week = url.week
    if fresh and url_week and week_start(url_week) not in weeks and "week" not in ignored:
        ignored.append("week")
    _init("week", week_start(url_week) if url_week and week_start(url_week) in weeks else last_week)
    branches = load_branches(scope)
    branch_ids = branches["branch_id"].to_list()
    if fresh and any(b not in branch_ids for b in url.branches) and "branches" not in ignored:
        ignored.append("branches")
    _init("branches", [b for b in url.branches if b in branch_ids])
    _init("tiers", list(url.tiers))

    sb = st.sidebar
    lang_labels = {"zh": "中文", "en": "English"}
    _widget_value("lang")
    sb.segmented_control(
        t("common.language"),
        list(lang_labels),
        format_func=lang_labels.get,
        key="w_lang",
        on_change=_sync,
        args=("lang",),
    )
    if st.session_state.f_lang not in lang_labels:  # segmented control can be cleared
        st.session_state.f_lang = "zh"
    lang = st.session_state.f_lang

    if st.session_state.f_week not in weeks:
        st.session_state.f_week = last_week
    _widget_value("week")
    sb.selectbox(
        t("common.week"),
        weeks,
        key="w_week",
        on_change=_sync,
        args=("week",),
        format_func=lambda w: f"{w:%Y-%m-%d} ~ {w + timedelta(days=6):%m-%d}",
    )
    names = branch_names(branches, lang)
    _widget_value("branches")
    sb.multiselect(
        t("common.branches"),
        branch_ids,
        format_func=names.get,
        key="w_branches",
        on_change=_sync,
        args=("branches",),
        placeholder=t("common.all_branches"),
    )
    officers = load_officers(scope, tuple(st.session_state.f_branches))
    officer_ids = officers["officer_id"].to_list()
    if "f_officers" not in st.session_state and any(o not in officer_ids for o in url.officers):
        ignored.append("officers")
    _init("officers", [o for o in url.officers if o in officer_ids])
    st.session_state.f_officers = [o for o in st.session_state.f_officers if o in officer_ids]
    officer_names = dict(zip(officer_ids, officers["name"].to_list(), strict=True))
    _widget_value("officers")
    sb.multiselect(
        t("common.officers"),
        officer_ids,
        format_func=officer_names.get,
        key="w_officers",
        on_change=_sync,
        args=("officers",),
        placeholder=t("common.all_officers"),
    )
    _widget_value("tiers")
    tier_labels = {c: t(f"common.tier_{c}") for c in TIERS}  # resolved now: AppTest formats later
    sb.multiselect(
        t("common.tiers"),
        list(TIERS),
        format_func=tier_labels.get,
        key="w_tiers",
        on_change=_sync,
        args=("tiers",),
        placeholder=t("common.all_tiers"),
    )
    sb.caption(t("common.data_as_of", day=f"{as_of:%Y-%m-%d}"))
    if ignored:  # a bad link opens the page with a note, never an error
        st.info(t("common.url_ignored", names=", ".join(dict.fromkeys(ignored))), icon="🔗")

    week = st.session_state.f_week
    view = {
        "lang": lang,
        "week": week.isoformat(),
        "branches": ",".join(map(str, st.session_state.f_branches)),
        "officers": ",".join(map(str, st.session_state.f_officers)),
        "tiers": ",".join(st.session_state.f_tiers),
    }
    _write_address(view, page)
    filters = Filters(
        start=week,
        end=week + timedelta(days=6),
        branch_ids=tuple(st.session_state.f_branches),
        officer_ids=tuple(st.session_state.f_officers),
        tiers=tuple(st.session_state.f_tiers),
    )
    print_header(
        [
            t("common.print_header", day=f"{as_of:%Y-%m-%d}", week=f"{week:%Y-%m-%d}"),
            t("common.branches")
            + ": "
            + ("、".join(names[b] for b in filters.branch_ids) or t("common.all_branches")),
            t("common.officers")
            + ": "
            + (
                "、".join(officer_names[o] for o in filters.officer_ids) or t("common.all_officers")
            ),
            t("common.tiers")
            + ": "
            + ("、".join(tier_labels[c] for c in filters.tiers) or t("common.all_tiers")),
        ]
    )
    return PageContext(scope=scope, filters=filters, week=week, as_of=as_of, lang=lang)


def page_context() -> PageContext:
    """The context the router computed for this run."""
    if "_page_context" not in st.session_state:
        # Streamlit runs a page of a pages/ folder without the router in its legacy mode (a fresh
        # server's first deep link; every AppTest page switch). Turn that mode off, run routed.
        from dashboard.streamlit_internals import route_through_the_router

        route_through_the_router()
        st.rerun()
    return st.session_state["_page_context"]
