"""One place that turns domain errors into a friendly message on the page."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import streamlit as st

from dashboard.i18n import t
from data_access.errors import (
    BadDatabaseUrl,
    DatabaseBusy,
    DataUnavailable,
    FootprintError,
    InvalidFilter,
    NotDemoData,
    SchemaMissing,
)
from data_access.settings import BadSetting
from metrics.standards import StandardsError


@contextmanager
def friendly_errors() -> Iterator[None]:
    """Show a clear message instead of a traceback, then stop the page."""
    try:
        yield
    except DatabaseBusy as exc:
        st.warning(t("common.err_busy", holder=f" ({exc.holder})" if exc.holder else ""))
        st.stop()
    except BadSetting as exc:
        st.error(t("common.err_setting", detail=str(exc)))
        st.stop()
    except BadDatabaseUrl as exc:
        st.error(t(f"common.err_db_{exc.reason}", scheme=exc.scheme))
        st.stop()
    except NotDemoData as exc:
        st.error(t("common.err_not_demo", customers=f"{exc.customers:,}"))
        st.stop()
    except SchemaMissing:
        st.error(t("common.err_schema"))
        st.stop()
    except DataUnavailable as exc:
        st.error(t("common.err_unavailable", detail=str(exc)))
        st.stop()
    except InvalidFilter as exc:
        st.warning(t("common.err_filter", detail=str(exc)))
        st.stop()
    except StandardsError as exc:
        st.error(t("common.err_standards", detail=str(exc)))
        st.stop()
    except FootprintError as exc:
        st.error(str(exc))
        st.stop()


def no_data(message_key: str = "common.no_data") -> None:
    """Say that the selection holds no data, and stop the page."""
    st.info(t(message_key))
    st.stop()
