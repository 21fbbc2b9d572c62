"""The one-pass check finds exactly the rows pandera rejects, and the reasons name the right rows."""

from __future__ import annotations

import dataclasses
import math
from datetime import date, datetime

import numpy as np
import polars as pl
import pytest

from data_access.importing.convert import REASON_SCHEMA, convert
from data_access.importing.mapping import TableMapping, load_mapping
from data_access.importing.validate import DataWindow, KeyTracker, RowValidator

GOOD = {
    "footprint_id": 1,
    "customer_id": 7,
    "branch_id": 1,
    "occurred_at": datetime(2026, 5, 1, 9, 30),
    "kind": "payment",
    "direction": "out",
    "channel": "mobile",
    "amount": 12.5,
    "place": "城关镇",
    "merchant_category": None,
    "counterparty_type": "merchant",
    "self_initiated": True,
}
# one row per kind of failure the schema knows, and the column it fails on
BAD = [
    ({"kind": "lottery"}, "kind"),  # not one of the codes
    ({"amount": -1.0}, "amount"),  # out of range
    ({"amount": math.nan}, "amount"),  # NaN in a non-nullable number
    ({"amount": None}, "amount"),  # missing
    ({"occurred_at": datetime(1999, 12, 31)}, "occurred_at"),  # before the period
    ({"place": "x" * 65}, "place"),  # too long
    ({"place": "a\x07b"}, "place"),  # a control character
    ({"place": "=HYPERLINK(1)"}, "place"),  # a formula
    ({"customer_id": 999}, "customer_id"),  # no such customer
]


def _validator(mapping: str = "demo", tm: TableMapping | None = None) -> RowValidator:
    """The demo mapping has no code tables: every rule runs on every row."""
    tm = tm or load_mapping(mapping).table("footprints")
    refs = {
        "customers": pl.Series("customers", [7, 8], dtype=pl.Int64),
        "branches": pl.Series("branches", [1, 2], dtype=pl.Int64),
    }
    return RowValidator(tm, DataWindow(date(2000, 1, 1), date(2026, 11, 22)), refs, "en")


def _frame() -> pl.DataFrame:
    rows = [dict(GOOD, footprint_id=i) for i in range(1, 6)]  # good rows between the bad ones
    for i, (change, _) in enumerate(BAD):
        rows.append(dict(GOOD, footprint_id=100 + i, **change))
        rows.append(dict(GOOD, footprint_id=200 + i))
    schema = {"occurred_at": pl.Datetime("us"), "merchant_category": pl.String}
    return pl.DataFrame(rows, schema_overrides=schema, strict=False)


def test_one_pass_finds_the_rows_pandera_rejects() -> None:
    v, frame = _validator(), _frame()
    failing = v.failing(frame)
    expected = [5 + 2 * i for i in range(len(BAD))]
    assert failing.tolist() == expected
    try:  # pandera over the whole frame agrees
        v.schema.validate(frame, lazy=True)
        flagged: list[int] = []
    except Exception as exc:  # SchemaErrors
        cases = exc.failure_cases  # type: ignore[attr-defined]
        flagged = sorted(set(cases["index"].drop_nulls().to_list()))
    assert flagged == expected


def test_reasons_point_at_the_chunk_rows() -> None:
    v, frame = _validator(), _frame()
    reasons = v.reasons(frame, pl.DataFrame(schema=REASON_SCHEMA))
    got = sorted(set(zip(reasons["row"].to_list(), reasons["column"].to_list(), strict=True)))
    assert got == [(5 + 2 * i, col) for i, (_, col) in enumerate(BAD)]  # NaN: two reasons


def test_a_clean_chunk_gives_no_reasons() -> None:
    v = _validator()
    frame = _frame().filter(pl.col("footprint_id") < 100)
    assert len(v.failing(frame)) == 0
    assert v.reasons(frame, pl.DataFrame(schema=REASON_SCHEMA)).height == 0


@pytest.mark.parametrize("order", ["numbered_on", "shuffled", "composite"])
def test_key_tracker_points_every_repeat_at_the_first_line(order: str) -> None:
    rng = np.random.default_rng(5)
    n = 30_000
    ids = np.arange(n, dtype=np.int64) + 10**9
    if order != "numbered_on":
        rng.shuffle(ids)
    ids[rng.integers(0, n, 800)] = ids[rng.integers(0, n, 800)]  # repeats, near and far
    key = ("a", "b") if order == "composite" else ("a",)
    frame = pl.DataFrame({"a": ids, "b": ids % 7})
    lines = np.arange(2, n + 2, dtype=np.int64)
    seen: dict[tuple, int] = {}
    expected = []
    for row in zip(*(frame[k].to_list() for k in key), lines.tolist(), strict=True):
        expected.append(seen.get(row[:-1], 0))
        seen.setdefault(row[:-1], row[-1])
    tracker = KeyTracker(key)
    got = np.concatenate(
        [tracker.check(frame.slice(lo, 1_000), lines[lo : lo + 1_000]) for lo in range(0, n, 1_000)]
    )
    assert got.tolist() == expected


def _core_banking_raw(changes: list[dict[str, str]]) -> pl.DataFrame:
    """Rows as the core-banking export writes them: a good one changed by each of ``changes``."""
    tm = load_mapping("core_banking").table("footprints")
    code = {col: next(iter(spec.codes)) for col, spec in tm.columns.items() if spec.codes}
    good = {
        "交易流水号": "1",
        "客户号": "7",
        "交易机构号": "1",
        "交易日期": "20260501",
        "交易时间": "093000",
        "交易类型": code["kind"],
        "借贷标志": code["direction"],
        "交易渠道": code["channel"],
        "交易金额": "1,234.50",
        "交易地点": "城关镇",
        "商户类别": "",
        "对手方类型": code["counterparty_type"],
        "主动交易标志": code["self_initiated"],
    }
    rows = [dict(good, 交易流水号=str(i + 1), **change) for i, change in enumerate(changes)]
    return pl.DataFrame(rows, schema=dict.fromkeys(good, pl.String))


def test_rules_every_code_meets_are_not_run_row_by_row() -> None:
    """A coded column holds one of its code table's codes or nothing (an unknown bank code is a
    parse failure, null): the rules all those codes meet cannot fail, so the one pass skips them
    and still flags what pandera flags in what convert gives."""
    v = _validator("core_banking")
    for col in ("kind", "direction", "channel", "counterparty_type"):
        assert v.rules[col] and not v.row_rules[col]  # is one of our codes, not too long
    assert len(v.row_rules["place"]) == len(v.rules["place"]) == 3  # free text: all of them
    raw = _core_banking_raw(
        [{}, {"交易类型": "9999"}, {"交易地点": "=HYPERLINK(1)"}, {"交易渠道": "??"}, {}]
    )
    typed, parse_reasons = convert(raw, v.tm, "en")
    assert parse_reasons["row"].to_list() == [1, 3]  # the unknown codes
    assert typed["kind"][1] is None and typed["channel"][3] is None
    try:  # pandera, every rule on every row, agrees
        v.schema.validate(typed, lazy=True)
        flagged: list[int] = []
    except Exception as exc:  # SchemaErrors
        flagged = sorted(set(exc.failure_cases["index"].drop_nulls().to_list()))  # type: ignore[attr-defined]
    assert v.failing(typed).tolist() == flagged == [1, 2, 3]


def test_a_code_table_value_that_breaks_a_rule_keeps_the_rule() -> None:
    tm = load_mapping("core_banking").table("footprints")
    spec = tm.columns["kind"]
    wrong = dataclasses.replace(spec, codes={**(spec.codes or {}), "77": "lottery_ticket_xyz"})
    v = _validator(tm=dataclasses.replace(tm, columns={**tm.columns, "kind": wrong}))
    assert len(v.row_rules["kind"]) == len(v.rules["kind"]) == 2  # not a code; too long
    raw = _core_banking_raw([{}, {"交易类型": "77"}])
    typed, _ = convert(raw, v.tm, "en")
    assert v.failing(typed).tolist() == [1]


def test_an_empty_code_table_knows_no_value() -> None:
    """A code table with no entries: every value present is an unknown code, a missing one stays
    missing (the same lookup as any code table, not a case of its own)."""
    tm = load_mapping("core_banking").table("footprints")
    empty = dataclasses.replace(tm.columns["channel"], codes={})
    v = _validator(tm=dataclasses.replace(tm, columns={**tm.columns, "channel": empty}))
    raw = _core_banking_raw([{}, {"交易渠道": "01"}, {}])
    typed, parse_reasons = convert(raw, v.tm, "en")
    assert typed["channel"].to_list() == [None, None, None]
    assert parse_reasons.filter(pl.col("column") == "channel")["row"].to_list() == [0, 1, 2]
