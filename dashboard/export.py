"""Target lists as files that are safe to open in Excel: CSV (UTF-8 with BOM) and .xlsx.

In a CSV every text cell that starts with = + - @ (or a tab / carriage return, which Excel strips
before reading a formula) gets a leading apostrophe, so a name like ``=HYPERLINK(...)`` stays text.
In an .xlsx such a cell is stored as a string with Excel's quote-prefix style: it reads as typed
(no literal apostrophe) and stays text when edited.
Columns named in ``text_columns`` (ids, phone numbers) are written as text, never as numbers,
so Excel keeps leading zeros and all 18 digits.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable

import polars as pl
import xlsxwriter

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
BOM = "\ufeff"


def safe_cell(value: object) -> object:
    """A text value that Excel would read as a formula gets a leading apostrophe."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def _as_text(df: pl.DataFrame, text_columns: Iterable[str]) -> pl.DataFrame:
    text = set(text_columns)
    return df.with_columns(pl.col(c).cast(pl.String) for c in df.columns if c in text)


def _prepared(df: pl.DataFrame, text_columns: Iterable[str]) -> pl.DataFrame:
    """Text columns cast to strings; every string column neutralised."""
    out = _as_text(df, text_columns)
    risky = [c for c, dtype in out.schema.items() if dtype == pl.String]
    return out.with_columns(
        pl.when(pl.col(c).str.contains(r"^[=+\-@\t\r]"))
        .then(pl.lit("'") + pl.col(c))
        .otherwise(pl.col(c))
        .alias(c)
        for c in risky
    )


def csv_bytes(df: pl.DataFrame, text_columns: Iterable[str] = ()) -> bytes:
    """CSV in UTF-8 with a BOM (so Excel shows Chinese), CRLF line ends, formula-safe."""
    table = _prepared(df, text_columns)
    buffer = io.StringIO()
    buffer.write(BOM)
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow([safe_cell(c) for c in table.columns])
    for row in table.iter_rows():
        writer.writerow(["" if v is None else v for v in row])
    return buffer.getvalue().encode("utf-8")


def xlsx_bytes(df: pl.DataFrame, sheet: str = "list", text_columns: Iterable[str] = ()) -> bytes:
    """An .xlsx workbook with one sheet; strings written as strings (never as formulas)."""
    text = set(text_columns)
    table = _as_text(df, text)  # strings are written as strings: no apostrophe needed
    buffer = io.BytesIO()
    book = xlsxwriter.Workbook(
        buffer, {"in_memory": True, "strings_to_formulas": False, "strings_to_numbers": False}
    )
    sheet_ = book.add_worksheet(sheet[:31])
    bold = book.add_format({"bold": True})
    text_fmt = book.add_format({"num_format": "@"})
    literal = book.add_format({"num_format": "@", "quote_prefix": True})
    for j, name in enumerate(table.columns):
        sheet_.write_string(0, j, str(safe_cell(name)), bold)
        width = max(10, min(40, len(name) * 2 + 2))
        sheet_.set_column(j, j, width, text_fmt if name in text else None)
    for i, row in enumerate(table.iter_rows(), start=1):
        for j, value in enumerate(row):
            if value is None:
                continue
            if isinstance(value, str):
                risky = value.startswith(FORMULA_STARTS)
                sheet_.write_string(i, j, value, literal if risky else None)
            elif isinstance(value, bool):
                sheet_.write_boolean(i, j, value)
            elif isinstance(value, int | float):
                sheet_.write_number(i, j, value)
            else:
                sheet_.write_string(i, j, str(value))
    sheet_.freeze_panes(1, 0)
    book.close()
    return buffer.getvalue()
