"""Cached loaders of the value-segments page: the segment's count and value, its tier × segment
breakdown, its customers, the builder's option lists, and saved segments.

Segments are read from the value mart as of the data's end, not per week: the loaders take the
sidebar's Selection (scope, branches, officers, tiers) but no Period, so changing the week
reloads nothing.
"""

from __future__ import annotations

from datetime import datetime

import polars as pl
import streamlit as st

from dashboard.db import get_engine
from dashboard.loaders.common import cached_fetch
from data_access.engine import connect
from data_access.errors import InvalidFilter
from data_access.filters import Scope
from data_access.queries import value as vq
from data_access.queries.value import SegmentDefinition

TTL = 600


load_summary = cached_fetch(vq.fetch_segment_summary, module=__name__, max_entries=128)
load_breakdown = cached_fetch(vq.fetch_segment_breakdown, module=__name__, max_entries=64)
load_customers = cached_fetch(
    vq.fetch_segment_customers, module=__name__
)  # unmasked: mask before showing


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


load_saved = cached_fetch(vq.fetch_saved_segments, module=__name__, max_entries=8)


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
