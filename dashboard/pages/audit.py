"""Audit log (auditor, admin): filter by dates, user and action; export through the exporter."""

from datetime import timedelta

import polars as pl
import streamlit as st

from dashboard.access import current_user
from dashboard.db import get_engine
from dashboard.errors import friendly_errors
from dashboard.export import export_button
from dashboard.i18n import t
from dashboard.loaders.common import load_standard
from dashboard.state import page_context
from data_access import audit
from data_access.selection import Period

ctx = page_context()
user = current_user()
st.title(t("audit.title"))
st.caption(t("audit.intro", days=load_standard().alerts.audit_retention_days))

today = ctx.as_of if ctx.as_of > audit.now().date() else audit.now().date()
c1, c2, c3 = st.columns([2, 1, 2])
picked = c1.date_input(
    t("audit.period"), (today - timedelta(days=7), today), max_value=today, key="au_period"
)
who = c2.text_input(t("audit.user"), key="au_user").strip() or None
actions = c3.multiselect(
    t("audit.actions"),
    list(audit.ACTIONS),
    format_func=lambda code: t(f"audit.action_{code}"),
    key="au_actions",
)
# mid-pick the widget holds the first day alone, cleared nothing: then today
days = picked if isinstance(picked, tuple) and picked else (today,)
period = Period(days[0], days[-1])
with friendly_errors(), get_engine().connect() as conn:
    entries = audit.fetch_audit(conn, period, who, tuple(actions))
st.caption(t("audit.entries", n=f"{entries.height:,}"))
# headers and actions in the user's language on screen; the exported file keeps the log's own
# codes, which do not change with the reader's language
shown = entries.with_columns(
    pl.col("action").replace_strict(
        {code: t(f"audit.action_{code}") for code in audit.ACTIONS}, default=pl.col("action")
    )
)
st.dataframe(
    shown.rename({c: t(f"audit.col_{c}") for c in entries.columns}),
    hide_index=True,
    width="stretch",
    placeholder="—",
)
export_button(
    t("access.export_csv"),
    entries,
    "csv",
    "audit_log",
    {"start": period.start, "end": period.end, "user": who, "actions": actions},
    key="au_export",
)
