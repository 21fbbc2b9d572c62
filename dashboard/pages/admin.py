"""Admin: users and their roles and scopes, pending export approvals, the audit log."""

import polars as pl
import streamlit as st

from dashboard.access import current_user
from dashboard.db import get_engine
from dashboard.errors import friendly_errors
from dashboard.i18n import t
from dashboard.nav import PAGE_TABLE
from dashboard.state import page_context
from data_access import audit, auth
from data_access.roles import ROLES

page_context()
admin = current_user()
engine = get_engine()
st.title(t("admin.title"))

users_tab, approvals_tab, roles_tab = st.tabs(
    [t("admin.users"), t("admin.approvals"), t("admin.roles")]
)
role_names = {r: t(f"access.role_{r}") for r in ROLES}
with users_tab:
    with engine.connect() as conn:
        listed = auth.list_users(conn)
    st.dataframe(  # headers and roles in the user's language, an empty cell as "—"
        listed.with_columns(
            pl.col("role").replace_strict(
                role_names, default=pl.col("role"), return_dtype=pl.String
            )
        ).rename({c: t(f"admin.col_{c}") for c in listed.columns}),
        hide_index=True,
        width="stretch",
        placeholder="—",
    )
    with st.form("admin_create", clear_on_submit=True):
        st.subheader(t("admin.create"))
        c1, c2, c3 = st.columns(3)
        username = c1.text_input(t("access.username"))
        name = c2.text_input(t("admin.display_name"))
        password = c3.text_input(t("access.password"), type="password")
        c4, c5, c6, c7 = st.columns(4)
        role_labels = {
            r: t(f"access.role_{r}") for r in ROLES
        }  # resolved now: AppTest formats later
        role_code = c4.selectbox(
            t("admin.role"), list(ROLES), format_func=role_labels.get, key="admin_role"
        )
        branch = c5.number_input(t("admin.branch"), min_value=0, step=1, value=0)
        officer = c6.number_input(t("admin.officer"), min_value=0, step=1, value=0)
        branches = c7.text_input(t("admin.branches"))
        if st.form_submit_button(t("admin.save"), type="primary"):
            with friendly_errors(), engine.begin() as conn:
                auth.create_user(
                    conn,
                    username,
                    password,
                    role_code,
                    display_name=name or None,
                    branch_id=int(branch) or None,
                    officer_id=int(officer) or None,
                    branch_ids=tuple(int(b) for b in branches.split(",") if b.strip().isdigit()),
                    by=admin.username,
                )
            st.success(t("admin.created", name=username))
    with engine.connect() as conn:
        names = auth.list_users(conn)["username"].to_list()
    pick = st.selectbox(t("admin.pick_user"), names, key="admin_pick")
    b1, b2, _ = st.columns([1, 1, 4])
    for button, active, label in ((b1, False, "admin.disable"), (b2, True, "admin.enable")):
        if pick and button.button(t(label), key=f"admin_{label}") and pick != admin.username:
            with friendly_errors(), engine.begin() as conn:
                auth.set_active(conn, pick, active, by=admin.username)
            st.rerun()

with approvals_tab:
    with engine.connect() as conn:
        pending = audit.fetch_approvals(conn)
    if pending.is_empty():
        st.info(t("admin.no_approvals"))
    for row in pending.iter_rows(named=True):
        c1, c2, c3 = st.columns([6, 1, 1])
        c1.write(
            f"#{row['approval_id']} · {row['requested_by']} · {row['target']} · "
            f"{row['row_count']:,} · {row['filters']}"
        )
        for box, approve, label in ((c2, True, "admin.approve"), (c3, False, "admin.reject")):
            if box.button(t(label), key=f"approval_{row['approval_id']}_{approve}"):
                with friendly_errors(), engine.begin() as conn:
                    audit.decide(conn, row["approval_id"], admin.username, approve)
                st.rerun()

with roles_tab:
    page_titles = {url: t(title) for _, _, url, _, title in PAGE_TABLE}
    st.dataframe(
        pl.DataFrame(
            {
                t("admin.col_role_code"): list(ROLES),
                t("admin.col_role"): list(role_names.values()),
                # the pages by their titles, as in the navigation
                t("admin.col_pages"): [
                    "、".join(page_titles.get(p, p) for p in r.pages) for r in ROLES.values()
                ],
                t("admin.col_actions"): [", ".join(r.actions) for r in ROLES.values()],
                t("admin.col_scope"): [t(f"admin.scope_{r.scope}") for r in ROLES.values()],
            }
        ),
        hide_index=True,
        width="stretch",
    )
    st.page_link("pages/audit.py", label=t("admin.audit"), icon="📜")
