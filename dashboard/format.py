"""Numbers as the reader expects them: 万元 in Chinese, thousands separators, signed percentages.

Digits, grouping and percent signs come from Babel's locale data (zh_CN, en); the units are the
banks' convention (amounts in 万元 in Chinese, whatever their size — never 亿 — and CNY / M in
English).
"""

from __future__ import annotations

import math

from babel import Locale
from babel.numbers import format_decimal, format_percent
from pypinyin import lazy_pinyin

from dashboard.i18n import lang

LOCALES = {"zh": Locale.parse("zh_CN"), "en": Locale.parse("en")}  # parsed once


def money(value: float | None, *, lang_code: str | None = None) -> str:
    """An amount in CNY: '1,234.5万元' in Chinese, 'CNY 12.35M' / '12,345' in English."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "—"
    code = lang_code or lang()
    loc = LOCALES[code]
    if code == "zh":
        if abs(value) >= 10_000:
            return f"{format_decimal(value / 10_000, '#,##0.0', locale=loc)}万元"
        return f"{format_decimal(value, '#,##0', locale=loc)}元"
    if abs(value) >= 1_000_000:
        return f"CNY {format_decimal(value / 1_000_000, '#,##0.00', locale=loc)}M"
    return f"CNY {format_decimal(value, '#,##0', locale=loc)}"


def money_in_one_unit(value: float | None, *, lang_code: str | None = None) -> str:
    """An amount always in the same unit ('0.35万元', '12.50万元'; 'CNY 3,500'): for a table
    column, where '3,500元' next to '12.5万元' would mislead."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "—"
    if (lang_code or lang()) == "zh":
        return f"{value / 10_000:,.2f}万元"
    return f"CNY {value:,.0f}"


def count(value: float | None) -> str:
    """A count with thousands separators."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "—"
    return format_decimal(value, "#,##0", locale=LOCALES["en"])  # the same grouping in zh_CN


def pct(value: float | None, *, signed: bool = False, digits: int = 1) -> str:
    """A ratio as a percentage ('12.3%', '+4.0%')."""
    if value is None or (isinstance(value, float) and (math.isnan(value) or math.isinf(value))):
        return "—"
    if round(value * 100, digits) == 0:
        value = 0.0  # a change that rounds to nothing reads 0.0%, not -0.0% or +0.0%
    sign = "+" if signed and value > 0 else ""
    pattern = "#,##0" + ("." + "0" * digits if digits else "") + "%"
    return sign + format_percent(value, pattern, locale=LOCALES["en"])


def wan(value: float | None) -> float | None:
    """CNY to 万元 (for chart axes in Chinese)."""
    return None if value is None else value / 10_000


# Administrative suffixes read as words of their own, as on road signs: 城关镇 → Chengguan Zhen.
PLACE_SUFFIXES = (
    ("街道", "Jiedao"),
    ("社区", "Shequ"),
    ("镇", "Zhen"),
    ("乡", "Xiang"),
    ("村", "Cun"),
)


def place(name: str | None, *, lang_code: str | None = None) -> str:
    """A town or village name with its pinyin reading in the English UI (城关镇 (Chengguan Zhen))."""
    if not name:
        return "—"
    if (lang_code or lang()) == "zh" or name.isascii():
        return name
    base, suffix = name, ""
    for zh, reading in PLACE_SUFFIXES:
        if name.endswith(zh) and len(name) > len(zh):
            base, suffix = name[: -len(zh)], f" {reading}"
            break
    reading = "".join(lazy_pinyin(base)).capitalize()
    return f"{name} ({reading}{suffix})"
