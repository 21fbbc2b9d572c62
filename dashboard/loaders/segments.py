"""Cached loaders of the value-segments page: the segment's count and value, its tier × segment
breakdown, its customers, the builder's option lists, and saved segments.

Segments are read from the value mart as of the data's end, not per week: the loaders take the
sidebar's branches, officers and tiers but not its week, so changing the week reloads nothing.
"""

from __future__ import annotations

from datetime import date, datetime

import polars as pl
import streamlit as st

from dashboard.db import get_engine
from data_access.engine import connect
from data_access.errors import InvalidFilter
from data_access.filters import Filters, Scope
from data_access.queries import value as vq
from data_access.queries.value import SegmentDefinition

TTL = 600


def view(
    as_of: date, branch_ids: tuple[int, ...], officer_ids: tuple[int, ...], tiers: tuple[str, ...]
) -> Filters:
    """Filters holding only what the segment queries read (branches, officers, tiers)."""
    return Filters(as_of, as_of, branch_ids, officer_ids, tiers)


@st.cache_data(ttl=TTL, max_entries=128, show_spinner=False)
def load_summary(defn: SegmentDefinition, scope: Scope, flt: Filters, as_of: date) -> pl.DataFrame:
    """customers, aum, clv of the segment (one row)."""
    with connect(get_engine()) as conn:
        return vq.fetch_segment_summary(conn, defn, scope, flt, as_of)


@st.cache_data(ttl=TTL, max_entries=64, show_spinner=False)
def load_breakdown(
    defn: SegmentDefinition, scope: Scope, flt: Filters, as_of: date
) -> pl.DataFrame:
    """tier, rfm_segment, customers, aum, clv of the segment."""
    with connect(get_engine()) as conn:
        return vq.fetch_segment_breakdown(conn, defn, scope, flt, as_of)


@st.cache_data(ttl=TTL, max_entries=32, show_spinner=False)
def load_customers(
    defn: SegmentDefinition, scope: Scope, flt: Filters, as_of: date, limit: int | None
) -> pl.DataFrame:
    """The segment's customers, highest CLV first (unmasked: mask before showing)."""
    with connect(get_engine()) as conn:
        return vq.fetch_segment_customers(conn, defn, scope, flt, as_of, limit)


@st.cache_data(ttl=TTL, max_entries=16, show_spinner=False)
def load_options(scope: Scope) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """Towns and occupations of the customers in scope."""
    with connect(get_engine()) as conn:
        towns = vq.fetch_town_options(conn, scope)["value"].to_list()
        occupations = vq.fetch_occupation_options(conn, scope)["value"].to_list()
    return tuple(towns), tuple(occupations)


@st.cache_data(ttl=TTL, show_spinner=False)
def load_mart_sizes() -> tuple[int, int]:
    """Rows in the value mart and in the signals mart."""
    with connect(get_engine()) as conn:
        return vq.count_value_rows(conn), vq.count_signal_rows(conn)


@st.cache_data(ttl=TTL, max_entries=8, show_spinner=False)
def load_saved(owner: str) -> pl.DataFrame:
    """The owner's saved segments."""
    with connect(get_engine()) as conn:
        return vq.fetch_saved_segments(conn, owner)


def save(name: str, defn: SegmentDefinition, owner: str, *, replace: bool = False) -> None:
    """Save a named segment, audit it, and refresh the saved list; an existing name raises
    SegmentExists unless ``replace`` (the user said yes)."""
    now = datetime.now()
    action = "replace_segment" if replace else "save_segment"
    with connect(get_engine()) as conn, conn.begin():
        vq.save_segment(conn, owner, name, defn, now, replace=replace)
        vq.record_segment_action(conn, owner, action, name, defn, now)
    load_saved.clear()


def delete(name: str, owner: str) -> None:
    """Delete a named segment (audited, with the definition it held) and refresh the saved list."""
    with connect(get_engine()) as conn, conn.begin():
        saved = vq.fetch_saved_segments(conn, owner).filter(pl.col("name") == name)
        if vq.delete_segment(conn, owner, name) and saved.height:
            try:
                defn = vq.SegmentDefinition.from_json(saved["definition"][0])
            except InvalidFilter:  # a malformed one: the audit keeps that it was deleted
                defn = vq.SegmentDefinition()
            vq.record_segment_action(conn, owner, "delete_segment", name, defn, datetime.now())
    load_saved.clear()
