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


def test_every_loader_has_its_own_cache_key() -> None:
    """Streamlit keys a cached function by its ``__module__`` and ``__qualname__`` (and source,
    which ``cached_fetch``'s loaders share): two loaders with the same pair would read each other's
    entries. Each ``cached_fetch`` loader names the module that makes it."""
    import importlib
    import pkgutil

    import dashboard.loaders

    loaders: dict[int, object] = {}
    for info in pkgutil.iter_modules(dashboard.loaders.__path__):
        module = importlib.import_module(f"dashboard.loaders.{info.name}")
        for name, obj in vars(module).items():
            if name.startswith("load_") and hasattr(obj, "clear") and hasattr(obj, "__wrapped__"):
                loaders[id(obj)] = obj.__wrapped__
    pairs = [(f.__module__, f.__qualname__) for f in loaders.values()]
    assert len(pairs) >= 40  # 46 loaders on 2026-12-07
    assert len(set(pairs)) == len(pairs)
    # a cached_fetch loader belongs to its loader module, not to the data_access module it reads
    officers = importlib.import_module("dashboard.loaders.officers")
    assert officers.load_activity.__wrapped__.__module__ == "dashboard.loaders.officers"
    assert officers.load_activity.__wrapped__.__qualname__ == "fetch_activity_weekly"
