"""The loaders' cache keys: st.cache_data keys a Period and a Selection by their values, so equal
values built apart share one entry and a changed pick or day is another."""

from __future__ import annotations

from datetime import date

import streamlit as st

from data_access.filters import Scope
from data_access.selection import Period, Selection


def test_equal_periods_and_selections_share_an_entry_and_others_do_not() -> None:
    calls: list[tuple[Period, Selection]] = []

    @st.cache_data(show_spinner=False)
    def load(period: Period, selection: Selection) -> int:
        calls.append((period, selection))
        return len(calls)

    load.clear()
    week = Period(date(2026, 11, 16), date(2026, 11, 22))
    mine = Selection(Scope.branch(3), branch_ids=(3,), tiers=("vip",))
    first = load(week, mine)
    # the same values built again: one cache entry, no second read
    again = load(
        Period(date(2026, 11, 16), date(2026, 11, 22)),
        Selection(Scope.branch(3), branch_ids=(3,), tiers=("vip",)),
    )
    assert (first, again, len(calls)) == (1, 1, 1)
    # another day, another pick, another scope: each is its own entry
    load(Period(date(2026, 11, 9), date(2026, 11, 15)), mine)
    load(week, Selection(Scope.branch(3), branch_ids=(3,), tiers=("mass",)))
    load(week, Selection(Scope.officer(3, 7), branch_ids=(3,), tiers=("vip",)))
    assert len(calls) == 4
    load.clear()
