"""Mapping files: the shipped ones load; a bad entry is refused with a message that names it."""

from __future__ import annotations

from pathlib import Path

import pytest

from data_access.importing import MappingError, available_mappings, load_mapping
from data_access.importing.rules import IMPORT_ORDER

GOOD = """
[source]
name = "mine"
[codes.channel]
"A" = "counter"
[tables.footprints.columns]
footprint_id = "流水号"
customer_id = "客户号"
branch_id = "机构号"
occurred_at = "交易时间"
kind = "类型"
direction = "方向"
channel = { from = "渠道", codes = "channel" }
amount = { from = "金额", unit = "万元" }
counterparty_type = { value = "none" }
self_initiated = "主动"
"""


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "mine.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_shipped_mappings_load_and_cover_the_tables() -> None:
    assert set(available_mappings()) >= {"demo", "core_banking"}
    assert set(load_mapping("demo").tables) == set(IMPORT_ORDER)
    core = load_mapping("core_banking")
    assert core.tables["customers"].columns["declared_income"].unit == 10_000
    assert core.tables["footprints"].columns["occurred_at"].sources == ("交易日期", "交易时间")


def test_a_good_custom_mapping(tmp_path: Path) -> None:
    m = load_mapping(_write(tmp_path, GOOD))
    spec = m.tables["footprints"].columns
    assert spec["channel"].codes == {"A": "counter"}
    assert spec["counterparty_type"].value == "none" and spec["counterparty_type"].sources == ()


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        pytest.param(
            'unit = "万元"', 'unit = "千元"', "tables.footprints.columns.amount.unit", id="unit"
        ),
        pytest.param(
            '"A" = "counter"',
            '"A" = "branch"',
            "codes.channel.A: 'branch' is not one of",
            id="code",
        ),
        pytest.param(
            'codes = "channel"',
            'codes = "chanel"',
            "columns.channel.codes: no code table",
            id="table",
        ),
        pytest.param(
            'kind = "类型"', 'kinds = "类型"', "footprints has no column 'kinds'", id="column"
        ),
        pytest.param('self_initiated = "主动"', "", "self_initiated is required", id="required"),
        pytest.param(
            'occurred_at = "交易时间"',
            'occurred_at = { from = "交易时间", formats = ["%m%d"] }',
            "occurred_at.formats: '%m%d' has no year",
            id="format",
        ),
        pytest.param(
            "[tables.footprints.columns]",
            "[tables.footprint.columns]",
            "tables.footprint: not a table",
            id="no-table",
        ),
        pytest.param(
            'name = "mine"',
            'name = "mine"\nencoding = "big5"',
            "source.encoding 'big5' unknown",
            id="encoding",
        ),
        pytest.param("[source]", "[source", "not valid TOML", id="toml"),
    ],
)
def test_a_bad_entry_is_named(tmp_path: Path, old: str, new: str, message: str) -> None:
    assert old in GOOD
    with pytest.raises(MappingError) as info:
        load_mapping(_write(tmp_path, GOOD.replace(old, new)))
    assert message in str(info.value)
    assert str(info.value).startswith("mine.toml")


def test_an_unknown_mapping_name_lists_the_shipped_ones() -> None:
    with pytest.raises(MappingError, match="core_banking"):
        load_mapping("no_such_mapping")
