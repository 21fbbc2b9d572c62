"""Every ``fetch_*`` of ``data_access.queries``, found by walking the package: the scope tests
check them all, so a new fetch is checked without being listed by hand."""

from __future__ import annotations

import importlib
import inspect
import pkgutil
from collections.abc import Callable

from data_access import queries


def all_fetches() -> dict[str, Callable]:
    """Every ``fetch_*`` defined in ``data_access.queries``, by ``module.name``."""
    out = {}
    for info in pkgutil.iter_modules(queries.__path__):
        mod = importlib.import_module(f"data_access.queries.{info.name}")
        for name, fn in inspect.getmembers(mod, inspect.isfunction):
            if name.startswith("fetch_") and fn.__module__ == mod.__name__:
                out[f"{info.name}.{name}"] = fn
    return out
