"""The one exporter: every file that leaves the app is built and offered here.

A file is masked for the viewer's role (``data_access.masking.protect``), neutralised for Excel,
watermarked (XLSX header and footer and document properties carry who and when; CSV carries them
in its file name; HTML reports carry the page watermark) and audited (file, rows, filters) when it
is built. An export of more rows than the standard's ``alerts.export_approval_rows`` waits for an
administrator's approval. Streamlit's own table download is switched off (``app.py``).

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
from collections.abc import Callable, Iterable
from datetime import datetime
from typing import TYPE_CHECKING

import polars as pl
import sqlalchemy as sa
import xlsxwriter

from data_access import audit
from data_access.masking import PERSONAL_COLUMN_NAMES, protect

if TYPE_CHECKING:
    from data_access.auth import User

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


def xlsx_bytes(
    df: pl.DataFrame,
    sheet: str = "list",
    text_columns: Iterable[str] = (),
    watermark: str | None = None,
) -> bytes:
    """An .xlsx workbook with one sheet; strings written as strings (never as formulas); the
    watermark (who, when) in the printed header and footer and in the document properties."""
    text = set(text_columns)
    table = _as_text(df, text)  # strings are written as strings: no apostrophe needed
    buffer = io.BytesIO()
    book = xlsxwriter.Workbook(
        buffer, {"in_memory": True, "strings_to_formulas": False, "strings_to_numbers": False}
    )
    sheet_ = book.add_worksheet(sheet[:31])
    if watermark:
        mark = watermark.replace("&", "&&")
        sheet_.set_header(f"&C{mark}")
        sheet_.set_footer(f"&L{mark}&R&P / &N")
        book.set_properties({"author": watermark, "comments": f"Footprint export: {watermark}"})
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


# --- the exporter: mask, neutralise, watermark, audit ----------------------------------------

MIME = {
    "csv": "text/csv",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "html": "text/html",
}


def file_name(base: str, username: str, at: datetime, kind: str) -> str:
    """``base_user_YYYYmmdd-HHMM.kind``: who and when travel with the file."""
    safe = "".join(ch if ch.isalnum() or ch in "-_" else "_" for ch in username)
    return f"{base}_{safe}_{at:%Y%m%d-%H%M}.{kind}"


def export_file(
    engine: sa.Engine,
    user: User,
    data: pl.DataFrame | str,
    kind: str,
    base: str,
    filters: dict,
    *,
    sheet: str = "list",
    text_columns: Iterable[str] = (),
    at: datetime | None = None,
) -> tuple[str, bytes]:
    """Build the file (name, bytes) for ``user`` and write its audit entry (file, rows, filters).

    ``data`` is a frame (csv / xlsx) or a finished HTML document (html)."""
    from dashboard.access import watermark_style, watermark_text

    at = at or datetime.now()
    name = file_name(base, user.username, at, kind)
    mark = watermark_text(user, at)
    if kind == "html":
        assert isinstance(data, str)
        body = data.replace("</head>", f"{watermark_style(mark)}</head>", 1)
        content, rows = body.encode("utf-8"), None
    else:
        assert isinstance(data, pl.DataFrame)
        frame = protect(data, user.scope.reveal, PERSONAL_COLUMN_NAMES)
        if kind == "csv":
            content = csv_bytes(frame, text_columns)
        else:
            content = xlsx_bytes(frame, sheet, text_columns, watermark=mark)
        rows = frame.height
    with engine.begin() as conn:
        audit.record(
            conn,
            user.username,
            "export",
            target=name,
            detail={"file": name, "filters": filters},
            row_count=rows,
            at=at.replace(microsecond=0),
        )
    return name, content


def export_button(
    label: str,
    data: pl.DataFrame | Callable[[], str],
    kind: str,
    base: str,
    filters: dict,
    *,
    key: str,
    sheet: str = "list",
    text_columns: Iterable[str] = (),
    container: object = None,
) -> None:
    """Offer a file through the exporter: refused without the role's right, held for approval
    when large, otherwise built (and audited) when the user clicks."""
    import streamlit as st

    from dashboard.access import current_user
    from dashboard.db import get_engine
    from dashboard.i18n import t
    from dashboard.loaders.common import load_standard

    box = container or st
    user = current_user()
    if not user.may("export"):
        box.caption(t("access.export_not_allowed"))
        return
    engine = get_engine()
    rows = data.height if isinstance(data, pl.DataFrame) else 0
    limit = load_standard().alerts.export_approval_rows
    target = f"{base}.{kind}"
    if rows > limit:
        with engine.connect() as conn:
            status = audit.approval_status(conn, user.username, target, filters)
        if status != "approved":
            box.warning(t("access.export_needs_approval", rows=f"{rows:,}", limit=f"{limit:,}"))
            if status == "pending":
                with engine.connect() as conn:
                    pending = audit.request_export(conn, user.username, target, rows, filters)
                box.caption(t("access.export_pending", id=pending))
            elif box.button(t("access.export_request"), key=f"{key}_request"):
                with engine.begin() as conn:
                    audit.request_export(conn, user.username, target, rows, filters)
                st.rerun()
            if status == "rejected":
                box.caption(t("access.export_rejected"))
            return

    def build() -> bytes:
        if rows > limit:
            with engine.begin() as conn:
                audit.use_approval(conn, user.username, target, filters)
        payload = data if isinstance(data, pl.DataFrame) else data()
        _, content = export_file(
            engine, user, payload, kind, base, filters, sheet=sheet, text_columns=text_columns
        )
        return content

    box.download_button(
        label,
        data=build,  # built, watermarked and audited on click, off the page's run
        file_name=file_name(base, user.username, datetime.now(), kind),
        mime=MIME[kind],
        on_click="ignore",
        key=key,
    )
