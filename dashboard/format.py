"""Numbers as the reader expects them: 万元 in Chinese, thousands separators, signed percentages."""

from __future__ import annotations

import math

from dashboard.i18n import lang


def money(value: float | None, *, lang_code: str | None = None) -> str:
    """An amount in CNY: '1,234.5万元' in Chinese, 'CNY 12.35M' / '12,345' in English."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "—"
    code = lang_code or lang()
    if code == "zh":
        if abs(value) >= 10_000:
            return f"{value / 10_000:,.1f}万元"
        return f"{value:,.0f}元"
    if abs(value) >= 1_000_000:
        return f"CNY {value / 1_000_000:,.2f}M"
    return f"CNY {value:,.0f}"


def count(value: float | None) -> str:
    """A count with thousands separators."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "—"
    return f"{value:,.0f}"


def pct(value: float | None, *, signed: bool = False, digits: int = 1) -> str:
    """A ratio as a percentage ('12.3%', '+4.0%')."""
    if value is None or (isinstance(value, float) and (math.isnan(value) or math.isinf(value))):
        return "—"
    sign = "+" if signed and value > 0 else ""
    return f"{sign}{value * 100:.{digits}f}%"


def wan(value: float | None) -> float | None:
    """CNY to 万元 (for chart axes in Chinese)."""
    return None if value is None else value / 10_000
