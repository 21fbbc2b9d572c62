"""The one exporter: masked per role, neutralised, watermarked, audited once with rows and filters."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from datetime import datetime

import openpyxl
import polars as pl
import pytest
import sqlalchemy as sa
from streamlit.testing.v1 import AppTest

from dashboard.export import csv_bytes, export_file, safe_cell
from data_access.auth import User
from data_access.filters import Scope
from data_access.masking import KINDS
from data_access.roles import ROLES
from data_access.schema import audit_log

AT = datetime(2026, 12, 7, 9, 30)
LIST = pl.DataFrame(
    {
        "customer_id": [1, 2, 3],
        "name": ["张三", "=HYPERLINK(1)", "李四"],
        "phone": ["13812341234", "\t+86138", "88881234"],
        "note": ["\rcmd", "@x", "ok"],
    }
)


def _user(role: str = "marketing", scope: Scope | None = None) -> User:
    return User(f"u_{role}", f"{ROLES[role].label_zh}甲", role, scope or Scope.bank())


def _audited(engine: sa.Engine, username: str) -> list[tuple]:
    a = audit_log.c
    stmt = sa.select(a.action, a.target, a.row_count, a.detail).where(a.username == username)
    with engine.connect() as conn:
        return [tuple(r) for r in conn.execute(stmt.order_by(a.audit_id))]


def _through_csv(cell: str) -> object:
    """The cell as a one-row CSV writes it (after checking the BOM, the header and the other cell)."""
    data = csv_bytes(pl.DataFrame({"姓名": [cell], "n": [1]}))
    assert data.startswith(b"\xef\xbb\xbf")
    header, (written, n) = csv.reader(io.StringIO(data.decode("utf-8-sig")))
    assert (header, n) == (["姓名", "n"], "1")
    return written


@pytest.mark.parametrize(
    ("write", "value", "expected"),
    [
        pytest.param(safe_cell, "=1+1", "'=1+1", id="cell-equals"),
        pytest.param(safe_cell, "+86", "'+86", id="cell-plus"),
        pytest.param(safe_cell, "-5", "'-5", id="cell-minus"),
        pytest.param(safe_cell, "@SUM(A1)", "'@SUM(A1)", id="cell-at"),
        pytest.param(safe_cell, "\t=1", "'\t=1", id="cell-tab"),
        pytest.param(safe_cell, "张*", "张*", id="cell-plain"),
        pytest.param(safe_cell, -5, -5, id="cell-number-untouched"),
        pytest.param(_through_csv, "=SUM(A1)", "'=SUM(A1)", id="csv-equals"),
        pytest.param(_through_csv, "+86138", "'+86138", id="csv-plus"),
        pytest.param(_through_csv, "-1", "'-1", id="csv-minus"),
        pytest.param(_through_csv, "@cmd", "'@cmd", id="csv-at"),
        pytest.param(_through_csv, "\tcmd", "'\tcmd", id="csv-tab"),
        pytest.param(_through_csv, "\r=1", "'\r=1", id="csv-carriage-return"),
        pytest.param(_through_csv, "张*", "张*", id="csv-plain"),
    ],
)
def test_formulas_are_neutralised(
    write: Callable[[object], object], value: object, expected: object
) -> None:
    assert write(value) == expected


def test_csv_is_masked_neutralised_named_and_audited_once(demo_engine: sa.Engine) -> None:
    user = _user()
    name, data = export_file(demo_engine, user, LIST, "csv", "calls", {"step": "contacted"}, at=AT)
    assert name == "calls_u_marketing_20261207-0930.csv"
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
    assert rows[1] == ["1", "张*", "138****1234", "'\rcmd"]
    assert rows[2][1:4] == ["'=************", "***138", "'@x"]
    assert rows[3][2] == "****1234"
    assert "13812341234" not in data.decode("utf-8-sig")
    entries = _audited(demo_engine, "u_marketing")
    assert len(entries) == 1
    action, target, count, detail = entries[0]
    assert (action, target, count) == ("export", name, 3)
    assert '"step": "contacted"' in detail


def test_xlsx_carries_the_watermark_and_reveals_only_what_the_scope_may(
    demo_engine: sa.Engine,
) -> None:
    clear = _user("officer", Scope.officer(1, 1, reveal=("phone",)))
    _, data = export_file(demo_engine, clear, LIST, "xlsx", "book", {}, at=AT)
    book = openpyxl.load_workbook(io.BytesIO(data))
    sheet = book.active
    assert "u_officer" in sheet.oddHeader.center.text and "2026-12-07 09:30" in (
        sheet.oddHeader.center.text
    )
    assert "u_officer" in sheet.oddFooter.left.text
    assert "u_officer" in book.properties.creator
    values = [[c.value for c in row] for row in sheet.iter_rows()]
    assert values[1][1:3] == ["张*", "13812341234"]  # phone revealed for this scope, name not
    assert len(_audited(demo_engine, "u_officer")) == 1


def test_html_report_carries_the_watermark(demo_engine: sa.Engine) -> None:
    page = "<html><head><title>r</title></head><body>x</body></html>"
    name, data = export_file(demo_engine, _user("president"), page, "html", "weekly", {}, at=AT)
    text = data.decode("utf-8")
    assert name.endswith(".html") and "body::after" in text and "@media print" in text
    assert _audited(demo_engine, "u_president")[0][2] is None  # a report: no row count


def test_every_kind_of_personal_column_is_masked() -> None:
    assert set(KINDS) == {"name", "phone", "id_number", "address", "account"}


def test_table_download_is_switched_off(app_test: Callable[..., AppTest]) -> None:
    import streamlit as st

    app_test("home")
    assert st.get_option("client.disableDataExport") is True
