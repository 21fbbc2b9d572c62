"""Footprint (足迹): the router — page config, sign-in, navigation by role, shared sidebar."""

from __future__ import annotations

from collections.abc import Callable

import streamlit as st

from dashboard import access, oidc
from dashboard.bootstrap import ensure_demo_database
from dashboard.db import read_only_file
from dashboard.drill import follow
from dashboard.errors import friendly_errors
from dashboard.freshness import show_data_warnings
from dashboard.frontend_text import frontend_text
from dashboard.i18n import t
from dashboard.loaders.common import load_data_as_of
from dashboard.nav import PAGE_TABLE, PAGES_DIR
from dashboard.state import init_language, sidebar
from dashboard.style import apply_style
from data_access.settings import database_url

st.set_page_config(page_title="Footprint 足迹", page_icon="👣", layout="wide")
# Streamlit's own CSV download and copy would bypass the exporter (masking, watermark, audit).
st.set_option("client.disableDataExport", True)
apply_style()
frontend_text(init_language())  # Streamlit's own words in the user's language

with friendly_errors():
    ensure_demo_database()
    load_data_as_of()  # an unreachable, busy or empty database is said before the sign-in form
    if read_only_file(database_url()):  # sign-ins and the audit log must be written
        st.error(t("access.read_only"))
        st.stop()
    access.ensure_roles()
    user = access.signed_in_user()
    if user is None and (sso := oidc.signed_in_with_oidc()) is not None:
        access.start_session(sso, via="oidc")  # reruns with the session
access.sync_cookie()


def _named(fn: Callable[[], None], name: str) -> Callable[[], None]:
    fn.__name__ = fn.__qualname__ = name  # Streamlit tells function pages apart by name
    return fn


if user is None:
    # every address shows the sign-in form and stays as typed: after sign-in, that page opens
    st.navigation(
        [
            st.Page(
                _named(access.sign_in_form, f"sign_in_{url_path}"),
                title=t("access.sign_in_title"),
                url_path=url_path,
                default=url_path == "home",
            )
            for _, _, url_path, _, _ in PAGE_TABLE
        ],
        position="hidden",
    ).run()
    st.stop()

pages: dict[str, list[st.Page]] = {}
for section, file, url_path, icon, title in PAGE_TABLE:
    if user.may_open(url_path):
        page = st.Page(
            PAGES_DIR / file,
            title=t(title),
            icon=icon,
            url_path=url_path,
            default=url_path == "home",
        )
        pages.setdefault(t(f"common.section_{section}"), []).append(page)
    else:
        refusal = _named(lambda p=url_path: access.refuse_page(p, user), f"refuse_{url_path}")
        pages.setdefault(t(f"common.section_{section}"), []).append(
            st.Page(refusal, title=t(title), url_path=url_path, visibility="hidden")
        )

navigation = st.navigation(pages)
st.session_state["scope"] = user.scope
with friendly_errors():
    show_data_warnings()
    follow()  # a click on another page's chart or table asked for this one
    context = sidebar(navigation.url_path)
st.session_state["_page_context"] = context
st.session_state["_user"] = user
access.user_box(user)
access.watermark(user)
page_path = navigation.url_path or "home"  # the default page is served at "/"
st.session_state["_came_from"] = st.session_state.get("_page_path")  # a page reads its arrival
st.session_state["_page_path"] = page_path
if user.may_open(page_path):
    access.audit_page_view(user, page_path, context)
try:
    navigation.run()
finally:
    # The context belongs to this run: a page run without the router must not find a stale one.
    st.session_state.pop("_page_context", None)
