"""Who is signed in: the sign-in form, the session cookie, sign-out, page gating and the watermark.

A session is a random token (``data_access.auth``); the browser keeps it in a cookie written by a
small script (Streamlit's ``st.context.cookies`` only reads), so a reload within the session's
life finds the user again. Every run re-checks the token against the server's session table, so
sign-out, a disabled user, or an idle / absolute expiry take effect on the next click.
"""

from __future__ import annotations

import html
import json
from dataclasses import replace
from datetime import datetime

import streamlit as st

from dashboard.db import get_engine
from dashboard.i18n import t
from dashboard.state import PageContext
from data_access import audit, auth
from data_access.auth import User
from data_access.filters import Scope

COOKIE = "footprint_session"
# SVG's namespace is a name, never fetched (split so that the no-internet meta-test reads it so)
SVG_NAMESPACE = "://".join(("http", "www.w3.org/2000/svg"))
_TOKEN = "_session_token"


def _token() -> str | None:
    """This browser session's token: kept in session state, else the cookie (after a reload)."""
    token = st.session_state.get(_TOKEN)
    if token is None:
        token = st.context.cookies.get(COOKIE)
    return token if isinstance(token, str) else None


@st.cache_resource(show_spinner=False)
def ensure_roles() -> bool:
    """Once per server: the roles table holds every role users may be given."""
    auth.ensure_roles(get_engine())
    return True


def signed_in_user() -> User | None:
    """The user of a live session, or None (expired sessions are ended and audited)."""
    token = _token()
    if not token:
        return None
    user = auth.resume_session(get_engine(), token)
    if user is None:
        st.session_state.pop(_TOKEN, None)
        st.session_state["_clear_cookie"] = True
        return None
    st.session_state[_TOKEN] = token
    return user


def sync_cookie() -> None:
    """Write or clear the session cookie in the browser when sign-in or sign-out asked for it."""
    script = None
    token = st.session_state.pop("_set_cookie", None)
    if token:
        _, absolute = auth.session_limits()
        age = int(absolute.total_seconds())
        script = (
            f"document.cookie = {json.dumps(COOKIE)} + '=' + {json.dumps(token)} + "
            f"'; path=/; max-age={age}; SameSite=Strict' + "
            "(location.protocol === 'https:' ? '; Secure' : '');"
        )
    elif st.session_state.pop("_clear_cookie", False):
        script = (
            f"document.cookie = {json.dumps(COOKIE)} + '=; path=/; max-age=0; SameSite=Strict';"
        )
    if script:
        st.html(f"<script>{script}</script>", unsafe_allow_javascript=True)


def sign_in_form() -> None:
    """The sign-in page: user name and password (and the bank's single sign-on when configured)."""
    st.title(t("access.sign_in_title"))
    from dashboard.oidc import oidc_button

    oidc_button()
    with get_engine().connect() as conn:
        if not auth.has_users(conn):
            st.info(t("access.no_users"))
    with st.form("sign_in", enter_to_submit=True):
        username = st.text_input(t("access.username"), key="w_username")
        password = st.text_input(t("access.password"), type="password", key="w_password")
        submitted = st.form_submit_button(t("access.sign_in"), type="primary")
    if not submitted:
        return
    try:
        user = auth.authenticate(get_engine(), username, password)
    except auth.SignInRefused as exc:
        st.error(t(f"access.refused_{exc.reason}", minutes=int(auth.THROTTLE_WINDOW.seconds / 60)))
        return
    start_session(user)


def start_session(user: User, via: str = "password") -> None:
    """Open a server session for ``user``, remember it in this browser, and show the app."""
    token = auth.open_session(get_engine(), user, via=via)
    forget_views()  # whoever signs in next in this browser has a first view of their own
    st.session_state[_TOKEN] = token
    st.session_state["_set_cookie"] = token
    st.rerun()


def sign_out(user: User) -> None:
    """End the session on the server and in the browser."""
    auth.end_session(get_engine(), st.session_state.pop(_TOKEN, None), user.username)
    for key in list(st.session_state.keys()):
        if key.startswith(("f_", "w_", "sg_", "fn_", "tab_")):
            del st.session_state[key]
    forget_views()
    st.session_state["_clear_cookie"] = True
    if getattr(st, "user", None) is not None and _oidc_signed_in():
        st.logout()
    st.rerun()


def _oidc_signed_in() -> bool:
    try:
        return bool(st.user.is_logged_in)
    except (AttributeError, KeyError):
        return False


def user_box(user: User) -> None:
    """Who is signed in, in which role, and the sign-out button (sidebar)."""
    role_label = t(f"access.role_{user.role}")
    st.sidebar.caption(t("access.signed_in_as", name=user.display_name, role=role_label))
    if st.sidebar.button(t("access.sign_out"), key="sign_out"):
        sign_out(user)


def refuse_page(url_path: str, user: User) -> None:
    """A polite refusal for a page the role does not grant (audited once per visit)."""
    if _new_view(user, url_path, "refused"):
        audit.log(get_engine(), user.username, "page_refused", target=url_path)
    st.title(t("access.refused_title"))
    st.info(t("access.refused_page", role=t(f"access.role_{user.role}")))


# --- watermark -------------------------------------------------------------------------------


def watermark_text(user: User, at: datetime | None = None) -> str:
    """What the watermark says: who looks, and when."""
    return f"{user.display_name} {user.username} {(at or datetime.now()):%Y-%m-%d %H:%M}"


def watermark_svg(text: str) -> str:
    """A tile of faint, rotated text: repeated over the page as a background image."""
    safe = html.escape(text)
    return (
        f"<svg xmlns='{SVG_NAMESPACE}' width='360' height='200'>"
        "<text x='20' y='120' transform='rotate(-22 180 100)' fill='rgba(60,60,60,0.10)' "
        f"font-size='15' font-family='sans-serif'>{safe}</text></svg>"
    )


def watermark_style(text: str) -> str:
    """A <style> that lays the watermark over a whole page (the app, an HTML report, a print)."""
    import base64

    tile = base64.b64encode(watermark_svg(text).encode()).decode()
    return (
        "<style>body::after{content:'';position:fixed;inset:0;"
        "pointer-events:none;z-index:999990;"
        f"background-image:url('data:image/svg+xml;base64,{tile}');background-repeat:repeat;}}"
        "@media print{body::after{position:fixed;}}</style>"
    )


def watermark(user: User) -> None:
    """Overlay the whole page with the viewer's name and the time (does not catch clicks)."""
    text = watermark_text(user)
    st.sidebar.html(
        watermark_style(text)
        + f"<div data-testid='footprint-watermark' data-text='{html.escape(text)}' "
        "style='display:none'></div>"
    )


def audit_page_view(user: User, url_path: str, context: PageContext) -> None:
    """One 'page_view' entry per page, filter choice and open tab (not per rerun of a view)."""
    picks = context.selection
    view = {
        "week": str(context.week),
        "branches": list(picks.branch_ids),
        "officers": list(picks.officer_ids),
        "tiers": list(picks.tiers),
    }
    if (tab := _open_tab(url_path)) is not None:
        view["tab"] = tab
    if _new_view(user, url_path, json.dumps(view, sort_keys=True)):
        audit.log(get_engine(), user.username, "page_view", target=url_path, detail=view)


def _open_tab(url_path: str) -> str | None:
    """The page's open lazy tab (dashboard.tabs), None for its first tab or a page without tabs."""
    from dashboard.params import parse_params

    tab = st.session_state.get(f"tab_{url_path}")
    if tab is None:  # the page has not run yet in this session: the tab its URL names
        tab = parse_params(st.query_params.to_dict()).tab
    return None if tab == st.session_state.get(f"tab_first_{url_path}") else tab


def _new_view(user: User, url_path: str, what: str) -> bool:
    """Whether this run shows a new view (another user, page or filters), not a rerun of the
    last one; a new page also re-arms the customer page's 'customer_open' entry."""
    key = (user.username, url_path, what)
    last = st.session_state.get("_last_view")
    if last == key:
        return False
    if last is None or last[:2] != key[:2]:
        st.session_state.pop("_customer_opened", None)  # left the page: the next open is new
    st.session_state["_last_view"] = key
    return True


def forget_views() -> None:
    """Forget this browser's last view and customer opened (sign-in, sign-out)."""
    st.session_state.pop("_last_view", None)
    st.session_state.pop("_customer_opened", None)
    st.session_state.pop("_last_search", None)


def audit_search(user: User, view: dict[str, object], found: int) -> None:
    """One 'customer_search' entry per search, page and filter choice (an ID number masked)."""
    key = (user.username, json.dumps(view, sort_keys=True, ensure_ascii=False))
    if st.session_state.get("_last_search") == key:
        return
    st.session_state["_last_search"] = key
    audit.log(get_engine(), user.username, "customer_search", detail=view, row_count=found)


def current_user() -> User:
    """The signed-in user of this run (set by the router before the page runs)."""
    user = st.session_state.get("_user")
    if user is None:
        st.stop()
    return user


def unmask_panel(scope: Scope, customer_id: int, user: User) -> None:
    """Ask to see one customer unmasked, with a reason; the reason and the look are audited."""
    from data_access.masking import KINDS
    from data_access.queries.customer import fetch_profile

    with st.expander(t("access.unmask_ask")), st.form(f"unmask_{customer_id}"):
        reason = st.text_input(t("access.unmask_reason"), max_chars=200, key="w_unmask_reason")
        asked = st.form_submit_button(t("access.unmask_ask"))
        if not asked:
            return
        if len(reason.strip()) < 4:
            st.warning(t("access.unmask_reason_short"))
            return
        with get_engine().begin() as conn:
            clear = fetch_profile(conn, replace(scope, reveal=KINDS), customer_id)
            if clear.is_empty():
                return
            audit.record(
                conn,
                user.username,
                "unmask",
                target=str(customer_id),
                detail={"reason": reason.strip()},
                row_count=1,
            )
        row = clear.row(0, named=True)
        st.success(t("access.unmask_shown"))
        st.write(f"{row['name']} · {row['phone'] or '—'} · {row['id_number'] or '—'}")
