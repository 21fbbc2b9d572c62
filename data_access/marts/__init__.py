"""Mart refreshers, imported in dependency order: value, then signals, then loyalty (needs P(alive))."""

from data_access.marts import value  # noqa: F401, I001
from data_access.marts import signals  # noqa: F401
from data_access.marts import loyalty  # noqa: F401
from data_access.marts import kpis  # noqa: F401
from data_access.marts import activity  # noqa: F401  (reads customer_value: after value)
