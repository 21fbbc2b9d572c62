"""First start: create the embedded demo bank, showing progress on the page."""

from __future__ import annotations

import threading

import sqlalchemy as sa
import streamlit as st

from dashboard.db import get_engine
from dashboard.i18n import t
from data_access.engine import connect, has_schema
from data_access.queries.org import fetch_data_as_of
from data_access.settings import get_setting, setting_date, setting_int


@st.cache_resource(show_spinner=False)
def _build_lock() -> threading.Lock:
    """One lock for the server: two first visitors must not both build the bank."""
    return threading.Lock()


def _is_loaded(engine: sa.Engine) -> bool:
    with connect(engine) as conn:
        return has_schema(conn) and fetch_data_as_of(conn) is not None


def ensure_demo_database() -> None:
    """On the embedded default only: build the demo bank if it is missing or incomplete."""
    if get_setting("database_url"):
        return  # a configured database is the bank's own: never write a demo into it
    engine = get_engine()
    if _is_loaded(engine):
        return
    with _build_lock():
        if _is_loaded(engine):
            return
        from data_access.demo import build_demo
        from data_access.demo.load import check_demo_may_build

        check_demo_may_build(engine)  # raises DatabaseNotEmpty: never rebuild over other data

        customers = setting_int("demo_customers", lo=200, hi=10_000_000)
        bar = st.progress(0.0, text=t("common.building_demo", customers=f"{customers:,}"))

        def progress(stage: str, fraction: float) -> None:
            bar.progress(
                min(max(fraction, 0.0), 1.0),
                text=f"{t('common.building_demo', customers=f'{customers:,}')} — {stage}",
            )

        build_demo(
            engine,
            customers=customers,
            seed=setting_int("demo_seed"),
            end_date=setting_date("demo_end_date"),
            replace=True,
            progress=progress,
        )
        bar.empty()
        st.cache_data.clear()
