"""Pure builders of the segments page and the Excel-safe export, on literal frames."""

from __future__ import annotations

import csv
import io

import openpyxl
import polars as pl
import pytest

from dashboard.charts.segments import CellLabels, cell_grid, member_table, text_color_on, treemap
from dashboard.export import csv_bytes, xlsx_bytes

BREAKDOWN = pl.DataFrame(
    {
        "tier": ["mass", "mass", "vip"],
        "rfm_segment": ["lost", "champions", "champions"],
        "customers": [70, 20, 10],
        "aum": [1e5, 5e5, 9e6],
        "clv": [10.0, 50.0, 300.0],
    }
)
TIERS = {"mass": "大众", "affluent": "富裕", "vip": "贵宾", "private": "私行"}
SEGMENTS = {"champions": "重要价值客户", "lost": "已流失"}
LABELS = CellLabels(TIERS, SEGMENTS)


def test_cell_grid_one_clickable_square_per_cell() -> None:
    empty = pl.DataFrame(
        {"tier": ["affluent"], "rfm_segment": ["lost"], "customers": [0], "aum": [0.0],
         "clv": [0.0]}
    )  # fmt: skip
    fig = cell_grid(pl.concat([BREAKDOWN, empty]), LABELS, size_by="customers")
    trace = fig.data[0]
    # tiers in their order (mass before vip), segments in the standard's order within a tier
    assert [tuple(c[:2]) for c in trace.customdata] == [
        ("mass", "champions"), ("mass", "lost"), ("vip", "champions")
    ]  # fmt: skip
    # segments down the rows, tiers across: eleven segment columns beside the treemap had no
    # room for their counts and names
    assert list(trace.y) == ["重要价值客户", "已流失", "重要价值客户"]
    assert list(trace.x) == ["大众", "大众", "贵宾"]
    assert list(fig.layout.xaxis.categoryarray) == list(TIERS.values())
    assert list(fig.layout.yaxis.categoryarray) == ["已流失", "重要价值客户"]  # first on top
    assert list(trace.text) == ["20", "70", "10"]
    # counts read on their square: dark on the pale mass tier, white on the deep vip blue
    assert list(trace.textfont.color) == ["#1f2933", "#1f2933", "#ffffff"]
    sizes = list(trace.marker.size)
    assert sizes[1] == max(sizes) and sizes[2] == min(sizes)  # 70 customers biggest, 10 smallest
    with pytest.raises(ValueError, match="cannot size"):
        cell_grid(BREAKDOWN, LABELS, size_by="age")


@pytest.mark.parametrize(
    ("size_by", "root", "vip"),
    [
        pytest.param("customers", 100.0, 10.0, id="customers"),
        pytest.param("aum", 9.6e6, 9e6, id="aum"),
    ],
)
def test_treemap_totals(size_by: str, root: float, vip: float) -> None:
    fig = treemap(BREAKDOWN, LABELS, root_label="本客群", size_by=size_by)
    trace = fig.data[0]
    values = dict(zip(trace.ids, trace.values, strict=True))
    assert values["all"] == pytest.approx(root)
    assert values["t:vip"] == pytest.approx(vip)
    assert values["t:mass/s:lost"] == pytest.approx(BREAKDOWN[size_by][0])
    labels = dict(zip(trace.ids, trace.labels, strict=True))
    assert labels["t:mass"] == "大众" and labels["t:vip/s:champions"] == "重要价值客户"
    # tiers in ladder order, children point at their tier
    assert [i for i in trace.ids if i.count(":") == 1] == ["t:mass", "t:vip"]
    assert dict(zip(trace.ids, trace.parents, strict=True))["t:vip/s:champions"] == "t:vip"


def test_treemap_shows_shares_with_one_decimal() -> None:
    fig = treemap(BREAKDOWN, LABELS, root_label="本客群", size_by="customers")
    assert fig.data[0].texttemplate == "%{label}<br>%{percentRoot:.1%}"


def test_treemap_refuses_unknown_size() -> None:
    with pytest.raises(ValueError, match="size"):
        treemap(BREAKDOWN, LABELS, root_label="x", size_by="age")


MEMBERS = pl.DataFrame(
    {
        "customer_id": [7, 8],
        "name": ["张三", '=HYPERLINK("http://x")'],
        "phone": ["13812341234", None],
        "id_number": ["330102199001011234", None],
        "branch_id": [1, 2],
        "officer_id": [11, None],
        "town": ["城关镇", "-1+1"],
        "occupation": ["farmer", "pilot"],
        "birth_year": [1970, None],
        "tier": ["vip", "mass"],
        "rfm_segment": ["champions", "lost"],
        "aum": [600_000.4, 10.0],
        "p_alive": [0.91234, None],
        "clv": [123.456, None],
    },
)  # each column with a null has a value too, so its dtype is inferred (Int64 / Float64)
HEADERS = {
    c: c.upper()
    for c in (
        "customer_id", "name", "phone", "id_number", "branch", "officer", "town", "occupation",
        "age", "tier", "rfm_segment", "aum", "p_alive", "clv",
    )
}  # fmt: skip


def _table() -> pl.DataFrame:
    return member_table(
        MEMBERS,
        HEADERS,
        tier_labels=TIERS,
        segment_labels=SEGMENTS,
        branch_names={1: "城关支行"},
        officer_names={11: "李经理"},
        as_of_year=2026,
        occupation_labels={"farmer": "农户"},
    )


def test_member_table_masks_and_labels() -> None:
    out = _table()
    assert out.row(0) == (
        "7", "张*", "138****1234", "3301**********1234", "城关支行", "李经理", "城关镇", "农户",
        56, "贵宾", "重要价值客户", 600_000.0, 0.912, 123.46,
    )  # fmt: skip
    assert out["BRANCH"][1] is None and out["OCCUPATION"][1] == "pilot"


def test_member_table_needs_every_header() -> None:
    with pytest.raises(ValueError, match="no header"):
        member_table(
            MEMBERS, {"customer_id": "ID"}, tier_labels={}, segment_labels={}, branch_names={},
            officer_names={}, as_of_year=2026,
        )  # fmt: skip


def test_csv_is_bom_utf8_and_formula_safe() -> None:
    data = csv_bytes(_table(), ("CUSTOMER_ID", "PHONE"))
    assert data.startswith("\ufeff".encode())
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
    assert rows[0][:3] == ["CUSTOMER_ID", "NAME", "PHONE"]
    assert rows[1][1] == "张*"
    # the masked formula keeps its first character, so it is still neutralised
    assert rows[2][1].startswith("'=")
    assert rows[2][6] == "'-1+1"
    assert rows[2][2] == ""  # missing phone stays empty


def test_xlsx_parses_back_as_text() -> None:
    book = openpyxl.load_workbook(io.BytesIO(xlsx_bytes(_table(), "目标客户", ("CUSTOMER_ID",))))
    sheet = book["目标客户"]
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][0] == "CUSTOMER_ID"
    assert rows[1][0] == "7" and rows[1][1] == "张*" and rows[1][2] == "138****1234"
    assert rows[1][11] == 600_000.0
    # a neutralised value reads as typed: a string cell with Excel's quote prefix, no apostrophe
    assert rows[2][1].startswith("=") and rows[2][6] == "-1+1"
    risky = sheet.cell(row=3, column=2)
    assert risky.data_type == "s" and risky.quotePrefix
    assert not sheet.cell(row=2, column=2).quotePrefix  # an ordinary name is left alone
    # no cell of the workbook is a formula
    assert all(cell.data_type != "f" for row in sheet.iter_rows() for cell in row)


@pytest.mark.parametrize(
    ("background", "text"),
    [
        ("#ffffff", "#1f2933"),
        ("#000000", "#ffffff"),
        ("#9fb8d8", "#1f2933"),
        ("#1f5fa8", "#ffffff"),
    ],
)
def test_text_colour_reads_on_its_background(background: str, text: str) -> None:
    assert text_color_on(background) == text
