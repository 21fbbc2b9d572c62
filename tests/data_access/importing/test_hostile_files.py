"""Hostile files: every one gives a clear outcome — a refusal naming the problem, or good rows loaded
and every bad row in the rejects file with every reason — and nothing half-written."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import polars as pl
import pytest
import sqlalchemy as sa

from data_access.errors import InvalidImport
from data_access.importing import import_file
from data_access.schema import footprints
from tests.data_access.importing.conftest import (
    import_in_chunks,
    read_rejects,
    table_state,
    write_csv,
)

HEADER = [
    "交易流水号",
    "客户号",
    "交易机构号",
    "交易日期",
    "交易时间",
    "交易类型",
    "借贷标志",
    "交易渠道",
    "交易金额",
    "交易地点",
    "商户类别",
    "对手方类型",
    "主动交易标志",
]


def row(fid: int, **change: object) -> list[object]:
    """A good footprint in the core-banking layout (customer 1 of branch 1), with changes."""
    values = {
        "交易流水号": fid,
        "客户号": 1,
        "交易机构号": 1,
        "交易日期": "20261120",
        "交易时间": "101500",
        "交易类型": "1001",
        "借贷标志": "贷",
        "交易渠道": "01",
        "交易金额": "1,234.50",
        "交易地点": "城关镇",
        "商户类别": "",
        "对手方类型": "00",
        "主动交易标志": "1",
    }
    values.update(change)
    return [values[h] for h in HEADER]


def _count(engine: sa.Engine) -> int:
    with engine.connect() as conn:
        return conn.execute(sa.select(sa.func.count()).select_from(footprints)).scalar_one()


def _fetch(engine: sa.Engine, fid: int) -> sa.Row | None:
    with engine.connect() as conn:
        return conn.execute(sa.select(footprints).where(footprints.c.footprint_id == fid)).first()


def test_gbk_file_with_every_kind_of_bad_row(bank: sa.Engine, tmp_path: Path) -> None:
    rows = [
        row(900_001),  # line 2: good, thousands separator
        row(900_002, 交易金额="abc"),  # 3
        row(900_003, 交易金额="-5.00"),  # 4
        row(900_004, 交易金额="99,999,999,999.00"),  # 5: absurd
        row(900_005, 交易日期="20261301"),  # 6: no such month
        row(900_006, 交易日期="19991231"),  # 7: before the data period
        row(900_007, 交易日期="20991231"),  # 8: in the future
        row(900_008, 交易类型="9999"),  # 9: unknown code
        row(900_009, 客户号=999_999),  # 10: no such customer
        row(900_010, 交易地点="城关\x07镇"),  # 11: control character
        row(900_011, 交易地点='=HYPERLINK("http://x")'),  # 12: formula
        row(900_012, 客户号=""),  # 13: missing
        row(900_013, 交易金额="abc", 交易类型="9999"),  # 14: two reasons
        row(900_014, 交易时间="10:15:00"),  # 15: good, second date format
        row(900_015, 交易日期="2026-11-20", 交易时间="10:15:00"),  # 16: good, third format
        row(900_001, 交易金额="2.00"),  # 17: duplicate of line 2
    ]
    path = write_csv(tmp_path / "交易流水.csv", HEADER, rows, "gbk")
    with path.open("ab") as fh:
        fh.write("900099,1,1,2026".encode("gbk"))  # 18: truncated last line, no newline
    rejects = tmp_path / "rejects.csv"
    result = import_file(
        bank, path, "core_banking", "footprints", rejects_path=rejects, refresh=False
    )
    assert result.encoding == "gb18030"
    assert (result.rows_read, result.rejected, result.inserted) == (17, 14, 3)
    by_line = {int(r["行号"]): r for r in read_rejects(rejects)}
    expected = {
        3: ["交易金额：不是金额/数字（abc）"],
        4: ["交易金额：数值超出合理范围"],
        5: ["交易金额：数值超出合理范围"],
        6: ["交易日期+交易时间：日期格式不对（20261301 101500）"],
        7: ["日期不在数据期间 2015-01-01"],
        8: ["日期不在数据期间"],
        9: ["交易类型：未知代码（9999）"],
        10: ["客户号：引用的客户不存在（999999）"],
        11: ["交易地点：含有控制字符"],
        12: ["交易地点：看起来是电子表格公式"],
        13: ["客户号：不能为空"],
        14: ["交易金额：不是金额/数字（abc）", "交易类型：未知代码（9999）"],
        17: ["主键重复：与第 2 行相同（900001）"],
        18: ["字段数不对：应为 13 个，实际 4 个"],
    }
    assert sorted(by_line) == sorted(expected)
    for line, parts in expected.items():
        for part in parts:
            assert part in by_line[line]["拒绝原因"], (line, by_line[line])
    assert by_line[3]["原始行"].startswith("900002,1,1,20261120,101500,1001,贷,01,")
    assert by_line[18]["原始行"] == "900099,1,1,2026"
    good = _fetch(bank, 900_001)
    assert good.amount == 1234.5 and good.occurred_at == datetime(2026, 11, 20, 10, 15)
    assert good.kind == "deposit" and good.direction == "in" and good.self_initiated is True
    assert _fetch(bank, 900_014).occurred_at == datetime(2026, 11, 20, 10, 15)
    assert _fetch(bank, 900_015) is not None


def test_reasons_in_english(bank: sa.Engine, tmp_path: Path) -> None:
    path = write_csv(tmp_path / "f.csv", HEADER, [row(1, 交易金额="x", 客户号=999_999)], "gbk")
    rejects = tmp_path / "r.csv"
    import_file(
        bank, path, "core_banking", "footprints", rejects_path=rejects, lang="en", refresh=False
    )
    (only,) = read_rejects(rejects)
    assert only["line"] == "2"
    assert "交易金额: not a number (x)" in only["reasons"]
    assert "客户号: refers to a customer row that does not exist (999999)" in only["reasons"]


def test_formula_at_the_start_of_a_rejected_line_is_defused(
    bank: sa.Engine, tmp_path: Path
) -> None:
    path = write_csv(tmp_path / "f.csv", HEADER, [row(1)], "utf-8")
    with path.open("a", encoding="utf-8") as fh:
        fh.write("=cmd|' /C calc'!A0\n")
    rejects = tmp_path / "r.csv"
    result = import_file(
        bank, path, "core_banking", "footprints", rejects_path=rejects, refresh=False
    )
    assert (result.inserted, result.rejected) == (1, 1)
    (bad,) = read_rejects(rejects)
    assert bad["原始行"] == "'=cmd|' /C calc'!A0"


def test_gb18030_characters_outside_gbk_and_a_bom(bank: sa.Engine, tmp_path: Path) -> None:
    rare = "𠮷家村"  # not in GBK: only GB18030 (or UTF-8) can hold it
    gb = write_csv(tmp_path / "gb.csv", HEADER, [row(1, 交易地点=rare)], "gb18030")
    bom = write_csv(tmp_path / "bom.csv", HEADER, [row(2, 交易地点=rare)], "utf-8-sig")
    for path in (gb, bom):
        r = import_file(bank, path, "core_banking", "footprints", refresh=False)
        assert (r.inserted, r.rejected) == (1, 0), path.name
    assert _fetch(bank, 1).place == rare and _fetch(bank, 2).place == rare


def test_wrong_encoding_claimed_is_refused_with_the_right_one(
    bank: sa.Engine, tmp_path: Path
) -> None:
    gbk = write_csv(tmp_path / "gbk.csv", HEADER, [row(1)], "gbk")
    before = table_state(bank)
    with pytest.raises(InvalidImport, match="gb18030"):
        import_file(bank, gbk, "core_banking", "footprints", encoding="utf-8", refresh=False)
    utf = write_csv(tmp_path / "utf.csv", HEADER, [row(1)], "utf-8")
    with pytest.raises(InvalidImport, match="encoding"):
        import_file(bank, utf, "core_banking", "footprints", encoding="gbk", refresh=False)
    assert table_state(bank) == before


def test_misnamed_and_missing_columns_are_named(bank: sa.Engine, tmp_path: Path) -> None:
    header = ["交易金额(元)" if h == "交易金额" else h for h in HEADER if h != "交易渠道"]
    rows = [[v for h, v in zip(HEADER, row(1), strict=True) if h != "交易渠道"]]
    path = write_csv(tmp_path / "f.csv", header, rows, "gbk")
    with pytest.raises(InvalidImport) as info:
        import_file(bank, path, "core_banking", "footprints", refresh=False)
    text = str(info.value)
    assert "交易渠道" in text and "交易金额 (did you mean 交易金额(元)?)" in text


def test_extra_columns_are_ignored_and_reported(bank: sa.Engine, tmp_path: Path) -> None:
    path = write_csv(tmp_path / "f.csv", [*HEADER, "备注"], [[*row(1), "x"]], "gbk")
    r = import_file(bank, path, "core_banking", "footprints", refresh=False)
    assert (r.inserted, r.ignored_columns) == (1, ["备注"])


def test_empty_file_is_refused_and_header_only_changes_nothing(
    bank: sa.Engine, tmp_path: Path
) -> None:
    empty = tmp_path / "empty.csv"
    empty.write_bytes(b"")
    with pytest.raises(InvalidImport, match="empty"):
        import_file(bank, empty, "core_banking", "footprints", refresh=False)
    header_only = write_csv(tmp_path / "h.csv", HEADER, [], "gbk")
    before = _count(bank)
    r = import_file(bank, header_only, "core_banking", "footprints", refresh=False)
    assert (r.rows_read, r.inserted, r.rejected) == (0, 0, 0)
    assert _count(bank) == before


def test_duplicates_found_across_chunks(bank: sa.Engine, tmp_path: Path) -> None:
    rows = [row(i) for i in range(1, 3001)] + [row(17, 交易金额="9.00")]
    path = write_csv(tmp_path / "f.csv", HEADER, rows, "gbk")
    rejects = tmp_path / "r.csv"
    r = import_in_chunks(bank, path, rejects, 16_384)  # many chunks: the duplicate is far away
    assert (r.inserted, r.rejected) == (3000, 1)
    (dup,) = read_rejects(rejects)
    assert dup["行号"] == "3002" and "与第 18 行相同" in dup["拒绝原因"]
    assert _fetch(bank, 17).amount == 1234.5


def test_xlsx_with_number_and_date_cells(bank: sa.Engine, tmp_path: Path) -> None:
    import xlsxwriter

    path = tmp_path / "流水.xlsx"
    book = xlsxwriter.Workbook(str(path))
    sheet = book.add_worksheet()
    date_fmt = book.add_format({"num_format": "yyyy-mm-dd"})
    sheet.write_row(0, 0, HEADER)
    for i, fid in enumerate((501, 502), start=1):
        values = row(fid)
        for j, (h, v) in enumerate(zip(HEADER, values, strict=True)):
            if h == "交易日期":
                sheet.write_datetime(i, j, datetime(2026, 11, 20), date_fmt)
            elif h in ("交易流水号", "客户号", "交易机构号"):
                sheet.write_number(i, j, float(v))
            elif h == "交易金额":
                sheet.write_number(i, j, 1234.5)
            else:
                sheet.write_string(i, j, str(v))
    sheet.write_string(2, HEADER.index("交易地点"), "=1+1")  # text that a sheet would run
    book.close()
    rejects = tmp_path / "r.csv"
    r = import_file(bank, path, "core_banking", "footprints", rejects_path=rejects, refresh=False)
    assert (r.rows_read, r.inserted, r.rejected) == (2, 1, 1)
    assert _fetch(bank, 501).occurred_at == datetime(2026, 11, 20, 10, 15)
    assert "看起来是电子表格公式" in read_rejects(rejects)[0]["拒绝原因"]


def test_parquet_with_typed_columns(
    bank: sa.Engine, small_bank: tuple[sa.Engine, Path], tmp_path: Path
) -> None:
    demo_engine, files = small_bank
    frame = pl.read_csv(files / "footprints.csv", n_rows=500, try_parse_dates=True)
    path = tmp_path / "footprints.parquet"
    frame.write_parquet(path)
    r = import_file(bank, path, "demo", "footprints", refresh=False)
    assert (r.rows_read, r.inserted, r.rejected) == (500, 500, 0)
    with demo_engine.connect() as conn:
        want = conn.execute(
            sa.select(footprints).order_by(footprints.c.footprint_id).limit(500)
        ).all()
    with bank.connect() as conn:
        got = conn.execute(sa.select(footprints).order_by(footprints.c.footprint_id)).all()
    assert got == want
