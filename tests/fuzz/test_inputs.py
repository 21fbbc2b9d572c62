"""Fuzz: text fields and forms, the standards loader and the database setting.

No exception escapes except the domain error that names the problem, and no row is written by a
rejected input. Every distinct input is counted (printed at the end of the run)."""

from __future__ import annotations

import copy
import math
import tomllib
from dataclasses import replace
from datetime import date, datetime

import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as hs

from data_access.engine import make_engine
from data_access.errors import BadDatabaseUrl, InvalidFilter
from data_access.filters import FINDABLE, Scope
from data_access.queries.customer import SoftFootprintEntry, insert_soft_footprint, search_customers
from data_access.queries.value import SegmentDefinition
from data_access.schema import SOFT_KINDS, soft_footprints
from data_access.selection import Selection
from data_access.soft_entry import InvalidSoftFootprint, soft_footprint_problems
from metrics.standards import DEFAULT_STANDARDS, StandardsError, parse_standards
from tests.fuzz.hostile import HOSTILE_TEXT, tried

FUZZ = settings(
    max_examples=120, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True
)
text = hs.one_of(hs.sampled_from(HOSTILE_TEXT), hs.text(max_size=80))
numbers = hs.one_of(
    hs.none(),
    hs.floats(allow_nan=True, allow_infinity=True),
    hs.sampled_from([1e300, -1.0, 10_000.0, 0.0, 45.0, 2**63]),
)
days = hs.one_of(
    hs.datetimes(min_value=datetime(1, 1, 1), max_value=datetime(9999, 12, 31)),
    hs.sampled_from([datetime(2035, 1, 1), datetime(2099, 12, 31), datetime(1999, 12, 31)]),
)


@pytest.fixture(scope="module")
def bank(demo_engine: sa.Engine) -> sa.Engine:
    return demo_engine


def _soft_rows(engine: sa.Engine) -> int:
    with engine.connect() as conn:
        return conn.execute(sa.select(sa.func.count()).select_from(soft_footprints)).scalar_one()


@FUZZ
@given(
    kind=hs.one_of(hs.sampled_from(SOFT_KINDS), text),
    source=hs.one_of(hs.sampled_from(["visit", "call"]), text),
    when=days,
    litres=numbers,
    amount=numbers,
    grade=hs.one_of(hs.none(), hs.integers(min_value=-(10**20), max_value=10**20)),
    place=hs.one_of(hs.none(), text),
    detail=hs.one_of(hs.none(), text, hs.just("长" * 100_000)),
    confidence=hs.one_of(hs.floats(allow_nan=True), hs.just(0.8)),
)
def test_the_soft_footprint_validator_never_raises_anything_else(
    kind, source, when, litres, amount, grade, place, detail, confidence
) -> None:
    entry = SoftFootprintEntry(
        customer_id=1,
        kind=kind,
        captured_at=when,
        source=source,
        confidence=confidence,
        fuel_grade=grade,
        litres=litres,
        amount=amount,
        place=place,
        detail=detail,
    )
    tried("soft-footprint form", entry)
    problems = soft_footprint_problems(entry, date(2026, 12, 7))
    if not problems:  # what passes is storable
        assert kind in SOFT_KINDS and when.date() <= date(2026, 12, 7)
        assert litres is None or 0 < litres <= 300
        assert amount is None or (math.isfinite(amount) and 0 <= amount <= 1e8)
        assert "\x00" not in (detail or "") + (place or "")


@settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True)
@given(
    detail=hs.one_of(
        hs.sampled_from(["\x00", "a\x00b", "x" * 5000]),
        hs.text(min_size=1).map(lambda s: s + "\x00"),
    ),
    litres=hs.sampled_from([-1.0, 10_000.0, math.inf, math.nan]),
)
def test_rejected_entries_write_no_row(bank: sa.Engine, detail: str, litres: float) -> None:
    entry = SoftFootprintEntry(
        customer_id=1,
        kind="fuel_receipt",
        captured_at=datetime(2026, 11, 1, 9),
        fuel_grade=95,
        litres=litres,
        detail=detail,
    )
    tried("soft-footprint writes", entry)
    before = _soft_rows(bank)
    with pytest.raises(InvalidSoftFootprint):
        insert_soft_footprint(bank, Scope.bank(), entry)
    assert _soft_rows(bank) == before


@FUZZ
@given(query=hs.one_of(text, hs.text(alphabet="0123456789²*%_\\", max_size=40)))
def test_customer_search_answers_or_finds_nobody(bank: sa.Engine, query: str) -> None:
    tried("customer search", query)
    with bank.connect() as conn:
        found = search_customers(conn, Selection(replace(Scope.bank(), find_by=FINDABLE)), query)
    assert found.height <= 20


@FUZZ
@given(
    name=text,
    age=hs.one_of(hs.none(), hs.integers(min_value=-(10**6), max_value=10**6), hs.booleans()),
    clv=numbers,
)
def test_segment_definitions_are_valid_or_refused(name: str, age, clv) -> None:
    tried("segment definition", (name, age, clv))
    try:
        defn = SegmentDefinition(towns=(name,), age_min=age, clv_min=clv)
    except InvalidFilter:
        return
    assert SegmentDefinition.from_json(defn.to_json()) == defn


with DEFAULT_STANDARDS.open("rb") as _fh:
    _RAW = tomllib.load(_fh)


def _paths(data: object, prefix: tuple = ()) -> list[tuple]:
    out = [prefix] if prefix else []
    if isinstance(data, dict):
        for k, v in data.items():
            out += _paths(v, (*prefix, k))
    elif isinstance(data, list):
        for i, v in enumerate(data):
            out += _paths(v, (*prefix, i))
    return out


PATHS = _paths(_RAW)
VALUES = hs.one_of(
    hs.sampled_from(["high", "", None, 1_000_000, -1, 0, 1e308, math.inf, True, [], {}, "\x00"]),
    hs.integers(),
    hs.floats(),
    text,
)


@FUZZ
@given(path=hs.sampled_from(PATHS), value=VALUES)
def test_the_standards_loader_refuses_or_accepts_never_crashes(path: tuple, value: object) -> None:
    data = copy.deepcopy(_RAW)
    node = data
    for key in path[:-1]:
        node = node[key]
    if value is None:
        node.pop(path[-1])
    else:
        node[path[-1]] = value
    tried("standards file", (path, repr(value)[:80]))
    try:
        std = parse_standards(data)
    except StandardsError as exc:
        assert str(exc)  # names the entry
        return
    # accepted: the values a page reads later are usable
    assert 2 <= std.alerts.kpi_history_weeks <= 104
    assert 0 <= float(std.loyalty.params.get("churn_risk_below", 40)) <= 100


@FUZZ
@given(
    url=hs.one_of(
        text,
        hs.sampled_from(["mysql://a@b/c", "sqlite+pysqlcipher://", "duckdb", "postgresql://[::1"]),
        hs.builds(
            lambda s, rest: f"{s}://{rest}",
            hs.sampled_from(["postgresql", "duckdb", "hive", "foo+bar"]),
            text,
        ),
    )
)
def test_the_database_setting_is_usable_or_named(url: str) -> None:
    tried("database setting", url)
    try:
        engine = make_engine(url)
    except BadDatabaseUrl as exc:
        assert "FOOTPRINT_DATABASE_URL" in str(exc)
        return
    engine.dispose()  # made lazily: connecting is what the page's error handler covers


SEARCHES = [
    "9" * 25,
    "1\x00",
    "\x00",
    "²",
    "%",
    "_",
    "\\",
    "*",
    "张*",
    "a" * 5000,
    "0000",
    "' OR 1=1 --",
]


def test_the_search_box_answers_every_hostile_text(
    demo_app_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    import streamlit as st
    from streamlit.testing.v1 import AppTest

    from tests.dashboard.conftest import APP, sign_in_as

    monkeypatch.setenv("FOOTPRINT_DATABASE_URL", demo_app_url)
    st.cache_data.clear()
    at = AppTest.from_file(APP, default_timeout=120)
    sign_in_as(at, demo_app_url)
    at.query_params["lang"] = "en"
    at.switch_page("pages/customer.py")
    at.run()
    for query in SEARCHES:
        tried("search box (app)", query)
        at.text_input(key="w_customer_search").input(query).run()
        assert not at.exception, (query, [e.value for e in at.exception])
        assert not at.error, (query, [e.value for e in at.error])  # never "call IT"
