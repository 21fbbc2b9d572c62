"""The shared sidebar: week, branches, officers, tiers and language, kept across pages and in the URL.

Each filter lives in a non-widget key (``f_*``) that survives page switches; the widget key
(``w_*``) is refreshed from it before drawing, and the URL is rewritten from it on every run,
so a copied link reproduces the view (see docs/streamlit.md).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

import streamlit as st
from streamlit.delta_generator import DeltaGenerator

from dashboard.i18n import browser_lang, t
from dashboard.loaders.common import branch_names, load_branches, load_data_as_of, load_officers
from dashboard.params import UrlView, parse_params
from dashboard.style import print_header
from data_access.filters import TIERS, Scope
from data_access.selection import Period, Selection
from metrics.calendar import last_full_week, week_start


@dataclass(frozen=True)
class PageContext:
    """What a page needs from the sidebar: the selected week as a Period, and a Selection (who
    asks, and the branches, officers and tiers picked)."""

    selection: Selection
    period: Period
    week: date
    as_of: date
    lang: str

    @property
    def scope(self) -> Scope:
        """Who asks (the selection's scope)."""
        return self.selection.scope

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
    scope = current_scope()
    as_of = load_data_as_of() or date.today()
    last_week = last_full_week(as_of)
    weeks = [last_week - timedelta(weeks=i) for i in range(104)]
    branches = load_branches(scope)
    branch_ids = branches["branch_id"].to_list()
    ignored = _open_view(url, weeks, branch_ids)

    sb = st.sidebar
    lang = _language_control(sb)
    _week_control(sb, weeks)
    names = branch_names(branches, lang)
    _pick_many(sb, "branches", branch_ids, names, "common.branches", "common.all_branches")
    officer_names = _officer_control(sb, scope, url, ignored)
    tier_labels = {c: t(f"common.tier_{c}") for c in TIERS}  # resolved now: AppTest formats later
    _pick_many(sb, "tiers", list(TIERS), tier_labels, "common.tiers", "common.all_tiers")
    sb.caption(t("common.data_as_of", day=f"{as_of:%Y-%m-%d}"))
    if ignored:  # a bad link opens the page with a note, never an error
        st.info(t("common.url_ignored", names=", ".join(dict.fromkeys(ignored))), icon="🔗")

    week = st.session_state.f_week
    selection = Selection(
        scope,
        branch_ids=tuple(st.session_state.f_branches),
        officer_ids=tuple(st.session_state.f_officers),
        tiers=tuple(st.session_state.f_tiers),
    )
    period = Period(week, week + timedelta(days=6))
    _write_address(_view_of(lang, week, selection), page)
    print_header(_header_lines(as_of, week, selection, names, officer_names, tier_labels))
    return PageContext(selection=selection, period=period, week=week, as_of=as_of, lang=lang)


def _open_view(url: UrlView, weeks: list[date], branch_ids: list[int]) -> list[str]:
    """Seed the week, branches and tiers from the URL when the view opens; the URL parameters
    that could not be used (to be named in a note)."""
    ignored = list(url.ignored)
    fresh = "f_branches" not in st.session_state  # the URL is read once, when the view opens
    url_week = url.week
    if fresh and url_week and week_start(url_week) not in weeks and "week" not in ignored:
        ignored.append("week")
    in_reach = url_week and week_start(url_week) in weeks
    _init("week", week_start(url_week) if in_reach else weeks[0])
    if fresh and any(b not in branch_ids for b in url.branches) and "branches" not in ignored:
        ignored.append("branches")
    _init("branches", [b for b in url.branches if b in branch_ids])
    _init("tiers", list(url.tiers))
    return ignored


def _language_control(sb: DeltaGenerator) -> str:
    """中文 / English; the language in force."""
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
    return st.session_state.f_lang


def _week_control(sb: DeltaGenerator, weeks: list[date]) -> None:
    """The week, among the last two years' full weeks (newest first)."""
    if st.session_state.f_week not in weeks:
        st.session_state.f_week = weeks[0]
    _widget_value("week")
    sb.selectbox(
        t("common.week"),
        weeks,
        key="w_week",
        on_change=_sync,
        args=("week",),
        format_func=lambda w: f"{w:%Y-%m-%d} ~ {w + timedelta(days=6):%m-%d}",
    )


def _pick_many(
    sb: DeltaGenerator,
    key: str,
    options: list,
    labels: dict,
    label_key: str,
    placeholder_key: str,
) -> None:
    """One of the sidebar's pick lists, kept in ``f_<key>`` (nothing picked: all)."""
    _widget_value(key)
    sb.multiselect(
        t(label_key),
        options,
        format_func=labels.get,
        key=f"w_{key}",
        on_change=_sync,
        args=(key,),
        # one in reach (a branch president's branch) is named: "All branches" read as the bank
        placeholder=labels[options[0]] if len(options) == 1 else t(placeholder_key),
    )


def _officer_control(
    sb: DeltaGenerator, scope: Scope, url: UrlView, ignored: list[str]
) -> dict[int, str]:
    """The officers of the picked branches (picks outside them dropped); their names."""
    officers = load_officers(scope, tuple(st.session_state.f_branches))
    officer_ids = officers["officer_id"].to_list()
    if "f_officers" not in st.session_state and any(o not in officer_ids for o in url.officers):
        ignored.append("officers")
    _init("officers", [o for o in url.officers if o in officer_ids])
    st.session_state.f_officers = [o for o in st.session_state.f_officers if o in officer_ids]
    officer_names = dict(zip(officer_ids, officers["name"].to_list(), strict=True))
    _pick_many(sb, "officers", officer_ids, officer_names, "common.officers", "common.all_officers")
    return officer_names


def _view_of(lang: str, week: date, selection: Selection) -> dict[str, str]:
    """The view as URL parameters (empty: all)."""
    return {
        "lang": lang,
        "week": week.isoformat(),
        "branches": ",".join(map(str, selection.branch_ids)),
        "officers": ",".join(map(str, selection.officer_ids)),
        "tiers": ",".join(selection.tiers),
    }


def _header_lines(
    as_of: date,
    week: date,
    selection: Selection,
    names: dict[int, str],
    officer_names: dict[int, str],
    tier_labels: dict[str, str],
) -> list[str]:
    """What a printout says it shows: data as of, week, and every pick."""

    def picked(label_key: str, chosen: list[str], all_key: str) -> str:
        return t(label_key) + ": " + ("、".join(chosen) or t(all_key))

    return [
        t("common.print_header", day=f"{as_of:%Y-%m-%d}", week=f"{week:%Y-%m-%d}"),
        picked("common.branches", [names[b] for b in selection.branch_ids], "common.all_branches"),
        picked(
            "common.officers",
            [officer_names[o] for o in selection.officer_ids],
            "common.all_officers",
        ),
        picked("common.tiers", [tier_labels[c] for c in selection.tiers], "common.all_tiers"),
    ]


def page_context() -> PageContext:
    """The context the router computed for this run."""
    if "_page_context" not in st.session_state:
        # Streamlit runs a page of a pages/ folder without the router in its legacy mode (a fresh
        # server's first deep link; every AppTest page switch). Turn that mode off, run routed.
        from dashboard.streamlit_internals import route_through_the_router

        route_through_the_router()
        st.rerun()
    return st.session_state["_page_context"]
