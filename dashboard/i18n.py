"""Chinese and English labels: ``t(key)`` with key ``<area>.<name>`` looks up dashboard/locales/<area>.toml."""

from __future__ import annotations

import tomllib
from collections.abc import Iterable
from functools import cache
from pathlib import Path

import streamlit as st

LOCALES = Path(__file__).with_name("locales")
LANGS = ("zh", "en")


@cache
def catalog() -> dict[str, dict[str, str]]:
    """Every key ("area.key") -> {"zh": ..., "en": ...}, from all locale files."""
    out: dict[str, dict[str, str]] = {}
    for file in sorted(LOCALES.glob("*.toml")):
        with file.open("rb") as fh:
            data = tomllib.load(fh)
        for key, texts in data.items():
            out[f"{file.stem}.{key}"] = texts
    return out


def lang() -> str:
    """The current UI language: 'zh' or 'en'."""
    return st.session_state.get("f_lang", "zh")


def t(key: str, **kwargs: object) -> str:
    """Translate ``key`` into the current language; ``{name}`` placeholders take kwargs."""
    texts = catalog().get(key)
    if texts is None:
        raise KeyError(f"no translation for {key!r}: add it to dashboard/locales/")
    text = texts[lang()]
    return text.format(**kwargs) if kwargs else text


def t_map(prefix: str, codes: Iterable[str], **keys: str) -> dict[str, str]:
    """Each code → its text under the key ``prefix + code`` (``prefix + keys[code]`` where named)."""
    return {code: t(prefix + keys.get(code, code)) for code in codes}


def tn(key: str, n: float, **kwargs: object) -> str:
    """``t`` for a sentence about ``n`` things: Babel's plural rule of the language picks
    ``<key>_one`` when there is one (English) and ``<key>`` otherwise (Chinese has one form)."""
    from babel import Locale  # only plural sentences need it

    form = Locale.parse(lang()).plural_form(abs(n))
    one = f"{key}_one"
    return t(one if form == "one" and one in catalog() else key, **kwargs)


def browser_lang() -> str:
    """'zh' when the browser asks for Chinese, else 'en'."""
    locale = (st.context.locale or "zh").lower()
    return "zh" if locale.startswith("zh") else "en"
