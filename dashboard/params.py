"""Every URL parameter is read here, once: what cannot be used is ignored and named, never raised.

A link is forwarded to thirty branch presidents; a poisoned one (``?branches=²``, a 5,000-digit
id, a NUL) must open the page with a note, not an error.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date

from data_access.errors import InvalidFilter
from data_access.filters import TIERS
from data_access.identifiers import clean_text, parse_id
from data_access.queries.customer import SEARCH_PAGE_SIZES
from data_access.queries.value import SegmentDefinition

MAX_VALUE_CHARS = 2_000  # longer than any honest list of ids
MAX_IDS = 500
MAX_PAGE = 100_000  # more pages than any search has
MAX_STEPS = 20  # more steps than any funnel standard has
LANGS = ("zh", "en")
TAB_CODE = re.compile(r"[a-z][a-z0-9_]{0,31}")
EARLIEST, LATEST = date(2000, 1, 1), date(2100, 12, 31)
# the parameters that are one whole number, and which numbers each may be
WHOLE_NUMBERS: dict[str, Callable[[int], bool]] = {
    "customer": lambda _: True,
    "page": lambda n: n <= MAX_PAGE,
    "size": lambda n: n in SEARCH_PAGE_SIZES,
    "step": lambda n: n <= MAX_STEPS,
}


@dataclass(frozen=True)
class UrlView:
    """The usable part of a page's URL, and the names of the parameters that were not usable."""

    lang: str | None = None
    week: date | None = None
    branches: tuple[int, ...] = ()
    officers: tuple[int, ...] = ()
    tiers: tuple[str, ...] = ()
    tab: str | None = None
    customer: int | None = None
    segment: SegmentDefinition | None = None  # ?seg=…: the segment builder's conditions
    q: str | None = None  # the customer search's text (an ID number only masked: never in a link)
    page: int | None = None  # which page of the search's results (1 when absent)
    size: int | None = None  # results per page, one of SEARCH_PAGE_SIZES
    campaign: int | None = None  # the funnels page's campaign (0: all campaigns)
    step: int | None = None  # the funnel step whose drop-outs are listed (1 = after the first)
    ignored: tuple[str, ...] = ()


def _ids(text: str) -> tuple[tuple[int, ...], bool]:
    parts = [p for p in text.split(",") if p.strip()]
    ids = [parse_id(p) for p in parts[:MAX_IDS]]
    good = tuple(dict.fromkeys(i for i in ids if i is not None))
    return good, len(good) == len(parts)


def _week(text: str) -> date | None:
    try:
        day = date.fromisoformat(text.strip())
    except ValueError:
        return None
    return day if EARLIEST <= day <= LATEST else None


def parse_params(raw: Mapping[str, object]) -> UrlView:
    """Read the known parameters from ``raw`` (st.query_params.to_dict()); never raises."""
    values: dict[str, object] = {}
    ignored: list[str] = []
    for name, value in raw.items():
        text = value[-1] if isinstance(value, list) and value else value
        if not isinstance(text, str) or not text.strip():
            continue
        if len(text) > MAX_VALUE_CHARS or "\x00" in text:
            ignored.append(name)
            continue
        ok = True
        if name == "lang":
            ok = text in LANGS
            values[name] = text if ok else None
        elif name == "week":
            values[name] = _week(text)
            ok = values[name] is not None
        elif name in ("branches", "officers"):
            values[name], ok = _ids(text)
        elif name == "tiers":
            parts = [p.strip() for p in text.split(",") if p.strip()]
            values[name] = tuple(dict.fromkeys(p for p in parts if p in TIERS))
            ok = len(values[name]) == len(parts)
        elif name == "tab":
            ok = TAB_CODE.fullmatch(text) is not None
            values[name] = text if ok else None
        elif name in WHOLE_NUMBERS:
            number = parse_id(text)
            ok = number is not None and WHOLE_NUMBERS[name](number)
            values[name] = number if ok else None
        elif name == "q":
            values[name] = clean_text(text) or None
            ok = values[name] is not None
        elif name == "campaign":
            values[name] = 0 if text == "all" else parse_id(text)
            ok = values[name] is not None
        elif name == "seg":
            try:
                values["segment"] = SegmentDefinition.from_json(text)
            except InvalidFilter:
                ok = False
        else:
            continue  # not ours (Streamlit's own, or an old link's): left alone
        if not ok:
            ignored.append(name)
    return UrlView(**values, ignored=tuple(dict.fromkeys(ignored)))  # type: ignore[arg-type]
