"""The data-import page: upload a GBK export, preview it as mapped, dry-run (nothing written), import."""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path

import pytest
import sqlalchemy as sa
import streamlit as st
from streamlit.testing.v1 import AppTest

from data_access.schema import footprints
from tests.conftest import duckdb_copy
from tests.dashboard.conftest import APP, sign_in_as
from tests.data_access.importing.test_hostile_files import HEADER, row


@pytest.fixture
def own_bank(demo_engine: sa.Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> sa.Engine:
    """A copy of the app tests' bank that this test may write to, and a folder for uploads."""
    url = duckdb_copy(demo_engine, tmp_path / "bank.duckdb")
    monkeypatch.setenv("FOOTPRINT_DATABASE_URL", url)
    monkeypatch.setattr("data_access.settings.DATA_DIR", tmp_path / "data")
    st.cache_data.clear()
    st.cache_resource.clear()
    return sa.create_engine(url)


def _gbk_file() -> bytes:
    buf = io.StringIO()
    w = csv.writer(buf)
    w.writerow(HEADER)
    w.writerows([row(900_001), row(900_002), row(900_003, 交易类型="9999")])
    return buf.getvalue().encode("gbk")


def _count(engine: sa.Engine) -> int:
    with engine.connect() as conn:
        return conn.execute(
            sa.select(sa.func.count())
            .select_from(footprints)
            .where(footprints.c.footprint_id > 900_000)
        ).scalar_one()


def test_upload_preview_dry_run_then_import(own_bank: sa.Engine) -> None:
    at = AppTest.from_file(APP, default_timeout=120)
    sign_in_as(at, own_bank.url.render_as_string(hide_password=False))
    at.query_params["lang"] = "en"
    at.run()
    at.switch_page("pages/data_import.py").run()
    assert not at.exception
    assert at.title[0].value == "Data import"
    at.selectbox(key="imp_mapping").select("core_banking").run()
    at.selectbox(key="imp_table").select("footprints").run()
    at.file_uploader(key="imp_file").upload("交易流水.csv", _gbk_file(), "text/csv")
    at.run()
    assert not at.exception
    preview = at.dataframe[0].value
    assert list(preview["kind"][:2]) == ["deposit", "deposit"] and preview["kind"].isna()[2]
    assert "gb18030" in " ".join(c.value for c in at.caption)

    at.button(key="imp_dry").click().run()
    metrics = {m.label: m.value for m in at.metric}
    assert (metrics["Rows read"], metrics["Rejected"], metrics["Inserted"]) == ("3", "1", "2")
    assert _count(own_bank) == 0
    assert any("Dry run" in i.value for i in at.info)

    at.button(key="imp_go").click().run()
    assert not at.exception
    assert _count(own_bank) == 2
    assert any("Imported (batch" in s.value for s in at.success)
    rejects = at.dataframe[-1].value
    assert "unknown code (9999)" in rejects.iloc[0, 1]
    quality = at.dataframe[1].value  # the imported table's data-quality line
    assert quality.iloc[0]["Table"] == "footprints" and quality.iloc[0]["Rows"] > 2

    at.button(key="imp_quality").click().run()
    assert not at.exception
    everything = at.dataframe[0].value
    assert list(everything["Table"])[:3] == ["branches", "officers", "customers"]


def test_choices_named_in_chinese(app_test) -> None:
    """The mapping, table and encoding are named in the user's language (the Chinese UI offered
    core_banking, branches, auto)."""
    at = app_test("data_import", lang="zh")
    assert not at.exception, at.exception
    shown = {k: at.selectbox(key=k) for k in ("imp_mapping", "imp_table", "imp_encoding")}
    assert "典型核心系统导出 (GBK)" in shown["imp_mapping"].options
    assert shown["imp_table"].options[0] == "网点"
    assert not [o for o in shown["imp_table"].options if re.search("[A-Za-z]", o)]
    assert shown["imp_encoding"].options[0] == "自动识别"
    assert shown["imp_table"].value == "branches"  # the choice itself stays the table's name
