"""The rules compiled to SQL (DuckDB and PostgreSQL) give the same measures and signals as the polars
path on the same rows: the default rules, and one measure of every kind, window and decay."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime
from typing import Any

import polars as pl
import pytest
import sqlalchemy as sa
from polars.testing import assert_frame_equal

from data_access.filters import Scope
from data_access.queries._frames import frame
from data_access.queries.signals import (
    SignalQuery,
    check_rule_codes,
    feature_schema,
    fetch_customer_measures,
    fetch_rule_rows,
    fetch_signal_features,
    fetch_signal_flags,
    select_signal_flags,
)
from data_access.schema import customer_signals, customers, soft_footprints
from data_access.selection import Selection
from metrics.footprint_rules import (
    RulesError,
    compute_measures,
    evaluate_signals,
    load_rules,
    parse_rules,
)
from metrics.standards import load_standards
from tests.data_access.customer_seed import AS_OF, seeded_banks

STD = load_standards()

# One measure of every source, aggregate, filter kind, window and decay.
KINDS: list[dict[str, Any]] = [
    {"source": "hard", "aggregate": "count"},
    {"source": "hard", "aggregate": "count", "where": {"kind": ["remittance_in", "pension"]}},
    {"source": "hard", "aggregate": "count", "where": {"channel": ["mobile"], "direction": ["out"]}},
    {"source": "hard", "aggregate": "sum", "field": "amount", "where": {"counterparty_type": ["other_bank"]}, "window_days": 90},
    {"source": "hard", "aggregate": "sum", "field": "amount", "where": {"amount": {"min": 100, "max": 5000}}, "window_months": 12},
    {"source": "hard", "aggregate": "max", "field": "amount", "window_months": 3},
    {"source": "hard", "aggregate": "count_distinct", "field": "place"},
    {"source": "hard", "aggregate": "count", "where": {"self_initiated": [True]}, "half_life_days": 30},
    {"source": "hard", "aggregate": "sum", "field": "amount", "half_life_days": 60, "window_months": 12},
    {"source": "soft", "aggregate": "max", "field": "fuel_grade", "where": {"kind": ["fuel_receipt"]}},
    {"source": "soft", "aggregate": "count", "where": {"fuel_grade": {"min": 95}, "litres": {"min": 50}}},
    {"source": "soft", "aggregate": "count", "half_life_days": 180},
    {"source": "soft", "aggregate": "sum", "field": "amount", "where": {"confidence": {"min": 0.5}}},
    {"source": "holding", "aggregate": "count", "where": {"product": ["pos_merchant", "loan_business"]}},
    {"source": "holding", "aggregate": "count_distinct", "field": "product"},
    {"source": "external", "aggregate": "count_distinct", "field": "platform"},
    {"source": "external", "aggregate": "max", "field": "credit_limit"},
]  # fmt: skip


def _kind_rules():
    measures = [{"code": f"m{i}", "description": "m"} | k for i, k in enumerate(KINDS)]
    evidence = {"evidence_zh": "证据", "evidence_en": "evidence"}
    signals = [
        {"code": "s_any", "label_zh": "甲", "label_en": "A", "description": "d", "match": "any",
         "when": [{"measure": "m9", "op": ">=", "value": 95} | evidence, {"measure": "m15", "op": ">", "value": 0} | evidence]},
        {"code": "s_all", "label_zh": "乙", "label_en": "B", "description": "d", "match": "all",
         "when": [{"measure": "m0", "op": ">", "value": 2} | evidence, {"measure": "m7", "op": ">=", "value": 0.5} | evidence]},
        {"code": "s_share", "label_zh": "丙", "label_en": "C", "description": "d",
         "when": [{"measure": "m3", "per": "m4", "op": ">", "value_from": "alerts.outflow_share"} | evidence]},
    ]  # fmt: skip
    return parse_rules(
        {
            "rules": {"version": "t", "label_zh": "规则", "label_en": "Rules", "description": "d"},
            "tier_boost": {"mass": 1.0},
            "measures": measures,
            "signals": signals,
            "offers": [],
        }
    )


RULE_SETS = {"default": load_rules(), "every-kind": _kind_rules()}


@pytest.fixture(scope="module", params=["duckdb", "postgresql"])
def bank(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[sa.Engine]:
    """The tiny bank plus a 97# / 100 L receipt, a week-old vehicle note and a year-old receipt."""
    for engine in seeded_banks(request.param, tmp_path_factory):
        with engine.begin() as conn:
            base = {"officer_id": 11, "branch_id": 1, "source": "counter", "confidence": 0.9,
                    "fuel_grade": None, "litres": None, "amount": None, "place": None, "detail": None}  # fmt: skip
            conn.execute(
                soft_footprints.insert(),
                [
                    base | {"customer_id": 4, "branch_id": 2, "officer_id": 21, "kind": "fuel_receipt",
                            "captured_at": datetime(2026, 11, 21, 9), "fuel_grade": 97, "litres": 100.0, "amount": 850.0},
                    base | {"customer_id": 2, "kind": "vehicle", "captured_at": datetime(2026, 11, 14, 9), "confidence": 0.4},
                    base | {"customer_id": 2, "kind": "fuel_receipt", "captured_at": datetime(2025, 11, 30, 9),
                            "fuel_grade": 92, "litres": 20.0, "amount": 150.0},
                ],
            )  # fmt: skip
        yield engine


def _customers(conn: sa.Connection) -> pl.DataFrame:
    c = customers.c
    stmt = (
        sa.select(c.customer_id, c.branch_id, c.officer_id)
        .where(c.opened_on <= AS_OF, sa.or_(c.closed_on.is_(None), c.closed_on > AS_OF))
        .order_by(c.customer_id)
    )
    return frame(
        conn, stmt, {"customer_id": pl.Int64, "branch_id": pl.Int64, "officer_id": pl.Int64}
    )


@pytest.mark.parametrize("name", list(RULE_SETS))
def test_sql_measures_and_signals_equal_the_polars_path(bank: sa.Engine, name: str) -> None:
    rules = RULE_SETS[name]
    with bank.connect() as conn:
        sql_measures = fetch_signal_features(conn, SignalQuery(Selection(), AS_OF, rules=rules))
        sql_flags = fetch_signal_flags(conn, STD, SignalQuery(Selection(), AS_OF, rules=rules))
        rows = fetch_rule_rows(conn, Scope.bank(), AS_OF, rules=rules)
        ids = _customers(conn)
    pl_measures = compute_measures(rules, ids, rows, AS_OF)
    assert sql_measures.height == 4
    assert_frame_equal(sql_measures, pl_measures.select(sql_measures.columns), check_exact=False)
    assert_frame_equal(sql_flags, evaluate_signals(pl_measures, rules, STD))
    # the rules are not vacuous on this bank: every signal is on for someone, off for someone
    for s in rules.signals:
        assert 0 < sql_flags[s.code].sum() < 4, s.code


def test_every_kind_on_literal_rows(bank: sa.Engine) -> None:
    """A few of the every-kind measures checked by hand against the seeded rows."""
    rules = RULE_SETS["every-kind"]
    with bank.connect() as conn:
        m = fetch_signal_features(conn, SignalQuery(Selection(), AS_OF, rules=rules))
    by = {r["customer_id"]: r for r in m.iter_rows(named=True)}
    assert [by[c]["m9"] for c in (1, 2, 3, 4)] == [98.0, 92.0, None, 97.0]  # highest grade
    assert [by[c]["m10"] for c in (1, 2, 3, 4)] == [1, 0, 0, 1]  # 95#+ and 50 L+
    # the vehicle note is 8 days old (1 week: 0.5 ** (7/180)); the receipt 357 days (51 weeks)
    assert by[2]["m11"] == pytest.approx(0.5 ** (7 / 180) + 0.5 ** (357 / 180))


def test_the_mart_stores_the_sql_signals(bank: sa.Engine) -> None:
    from data_access.marts.signals import refresh_signals

    refresh_signals(bank, STD, AS_OF, lambda *_: None)
    with bank.connect() as conn:
        mart = frame(
            conn,
            sa.select(customer_signals).order_by(customer_signals.c.customer_id),
            {"customer_id": pl.Int64, "car_owner": pl.Boolean},
        )
    # customer 4's 97#, 100 L receipt makes a car owner
    assert mart["car_owner"].to_list() == [True, True, False, True]  # 2: a vehicle note


def test_one_customer_by_the_polars_path(bank: sa.Engine) -> None:
    rules = load_rules()
    with bank.connect() as conn:
        one = fetch_customer_measures(conn, Scope.bank(), AS_OF, 4, rules)
        other_branch = fetch_customer_measures(conn, Scope.branch(1), AS_OF, 4, rules)
    assert (one["fuel_max_grade"][0], one["fuel_max_litres"][0]) == (97.0, 100.0)
    assert other_branch.is_empty()  # out of scope: nothing, not even zeros


def test_compiled_sql_is_plain_core() -> None:
    """No engine-specific functions: the statement compiles on the default dialect too."""
    stmt = select_signal_flags(STD, SignalQuery(Selection(), AS_OF, rules=RULE_SETS["every-kind"]))
    sql = str(stmt.compile(compile_kwargs={"literal_binds": True}))
    for word in ("date_trunc", "datediff", "date_diff", "::", "epoch", "power("):
        assert word not in sql.lower()
    assert set(feature_schema(RULE_SETS["every-kind"])) >= {"m0", "m16"}


@pytest.mark.parametrize(
    ("measure", "message"),
    [
        pytest.param({"source": "hard", "aggregate": "count", "where": {"kind": ["bribe"]}}, "where.kind: unknown codes", id="kind"),
        pytest.param({"source": "hard", "aggregate": "count", "where": {"channel": ["telegraph"]}}, "where.channel", id="channel"),
        pytest.param({"source": "soft", "aggregate": "count", "where": {"kind": ["horoscope"]}}, "measures.bad.where.kind", id="soft-kind"),
        pytest.param({"source": "holding", "aggregate": "count", "where": {"product": ["yacht"]}}, "where.product", id="product"),
        pytest.param({"source": "external", "aggregate": "count", "where": {"platform": ["paypal"]}}, "where.platform", id="platform"),
    ],
)  # fmt: skip
def test_unknown_codes_are_named(measure: dict[str, Any], message: str) -> None:
    rules = parse_rules(
        {
            "rules": {"version": "t", "label_zh": "规则", "label_en": "Rules", "description": "d"},
            "tier_boost": {"mass": 1.0},
            "measures": [{"code": "bad", "description": "m"} | measure],
        }
    )
    with pytest.raises(RulesError, match=message):
        check_rule_codes(rules)


@pytest.mark.slow
def test_demo_bank_mart_equals_the_polars_path(demo_engine: sa.Engine) -> None:
    """On the demo bank, the SQL the rules compile to (the mart) equals the polars path on raw rows."""
    rules = load_rules()
    as_of = date(2026, 11, 22)
    with demo_engine.connect() as conn:
        rows = fetch_rule_rows(conn, Scope.bank(), as_of, rules=rules)
        ids = _customers(conn)
        sql_flags = fetch_signal_flags(conn, STD, SignalQuery(Selection(), as_of, rules=rules))
    pl_flags = evaluate_signals(compute_measures(rules, ids, rows, as_of), rules, STD)
    assert_frame_equal(sql_flags, pl_flags)
    assert sql_flags.height > 1000
