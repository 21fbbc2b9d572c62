"""Loaders every page uses: organisation lists, the data-as-of stamp, the standard; and
``cached_fetch``, the one way a page caches a query that needs nothing but a connection."""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable
from datetime import date
from typing import Concatenate, ParamSpec, TypeVar

import polars as pl
import sqlalchemy as sa
import streamlit as st

from dashboard.db import get_engine
from data_access.engine import connect, require_schema
from data_access.filters import Scope
from data_access.queries import org
from data_access.refresh import configured_standards
from metrics.standards import Standards

TTL = 600

P = ParamSpec("P")
R = TypeVar("R")


def cached_fetch(
    fetch: Callable[Concatenate[sa.Connection, P], R],
    *,
    module: str,
    max_entries: int = 32,
    ttl: int = TTL,
) -> Callable[P, R]:
    """``fetch`` on a connection of the app's engine, cached (``st.cache_data``: ``ttl`` seconds,
    at most ``max_entries`` argument sets); the loader takes ``fetch``'s arguments after ``conn``.

    ``module`` is the loader module that makes it (its ``__name__``): the loader's ``__module__``,
    which with ``fetch``'s name makes Streamlit's cache key and the bench's loader name."""

    @functools.wraps(fetch)
    def load(*args: P.args, **kwargs: P.kwargs) -> R:
        with connect(get_engine()) as conn:
            return fetch(conn, *args, **kwargs)

    load.__module__ = module
    # Streamlit names positional arguments from the signature (an argument named _x is not hashed).
    params = list(inspect.signature(fetch).parameters.values())[1:]
    load.__signature__ = inspect.signature(fetch).replace(parameters=params)  # type: ignore[attr-defined]
    return st.cache_data(ttl=ttl, max_entries=max_entries, show_spinner=False)(load)


@st.cache_data(ttl=TTL, max_entries=32, show_spinner=False)
def load_branches(scope: Scope) -> pl.DataFrame:
    """Branches the scope may see."""
    with connect(get_engine()) as conn:
        require_schema(conn)
        return org.fetch_branches(conn, scope)


def branch_names(branches: pl.DataFrame, lang: str) -> dict[int, str]:
    """branch_id -> the branch's name in ``lang``: the one lookup of branch names."""
    col = "name" if lang == "zh" else "name_en"
    return dict(zip(branches["branch_id"].to_list(), branches[col].to_list(), strict=True))


load_officers = cached_fetch(org.fetch_officers, module=__name__, max_entries=64)


@st.cache_data(ttl=TTL, show_spinner=False)
def load_data_as_of() -> date | None:
    """Last day the data covers."""
    with connect(get_engine()) as conn:
        require_schema(conn)
        return org.fetch_data_as_of(conn)


@st.cache_resource(show_spinner=False)
def load_standard() -> Standards:
    """The bank's standard (FOOTPRINT_STANDARDS or the default edition)."""
    return configured_standards()
