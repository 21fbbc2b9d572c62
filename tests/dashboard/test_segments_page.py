"""App tests of the Value segments page on the demo bank: renders, narrows, saves, exports."""

from __future__ import annotations

import csv
import io
from datetime import date

import openpyxl
import pytest
import sqlalchemy as sa

from dashboard.charts.segments import member_table
from dashboard.export import csv_bytes, xlsx_bytes
from data_access.queries.value import SegmentDefinition, fetch_segment_customers
from data_access.schema import audit_log, customers
from data_access.selection import Selection

pytestmark = pytest.mark.slow


def _count(at) -> int:  # type: ignore[no-untyped-def]
    """The 'Customers' metric as an integer."""
    metric = next(m for m in at.metric if m.label == "Customers")
    return int(metric.value.replace(",", ""))


def test_renders_on_demo_bank(app_test) -> None:  # type: ignore[no-untyped-def]
    at = app_test("segments", lang="en")
    assert not at.exception, at.exception
    assert at.title[0].value == "Value segments"
    assert not at.warning and not at.error
    assert _count(at) > 1000
    assert len(at.get("plotly_chart")) == 2  # the treemap and the clickable tier × RFM grid
    assert len(at.dataframe) == 1
    table = at.dataframe[0].value
    assert "Phone" in table.columns
    # masked: 138****1234 keeps 7 characters visible, never the full number
    assert all("****" in p for p in table["Phone"].dropna())
    assert all("*" in n for n in table["Name"].dropna())
    # town names carry a pinyin reading in English: 城关镇 (Chengguan Zhen)
    assert table["Town"].dropna().str.fullmatch(r"\S+ \([A-Z][a-z]+( [A-Z][a-z]+)?\)").all()


def test_choosing_a_tier_reduces_the_count(app_test) -> None:  # type: ignore[no-untyped-def]
    at = app_test("segments", lang="en")
    everyone = _count(at)
    at.multiselect(key="sg_tiers").set_value(["vip"]).run()
    assert not at.exception, at.exception
    vip = _count(at)
    assert 0 < vip < everyone
    at.multiselect(key="sg_not_held").set_value(["credit_card"]).run()
    assert _count(at) <= vip


def test_sidebar_tier_applies(app_test) -> None:  # type: ignore[no-untyped-def]
    everyone = _count(app_test("segments", lang="en"))
    at = app_test("segments", lang="en", tiers="affluent")
    assert not at.exception, at.exception
    assert 0 < _count(at) < everyone


def test_empty_selection_says_so(app_test) -> None:  # type: ignore[no-untyped-def]
    at = app_test("segments", lang="en")
    at.number_input(key="sg_clv_min").set_value(1e12).run()
    assert not at.exception, at.exception
    assert _count(at) == 0
    assert any("No customer matches" in i.value for i in at.info)


def test_save_load_delete(app_test) -> None:  # type: ignore[no-untyped-def]
    at = app_test("segments", lang="en")
    at.multiselect(key="sg_tiers").set_value(["affluent"]).run()
    at.text_input(key="sg_name").set_value("affluent test").run()
    at.button(key="sg_save").click().run()
    assert not at.exception, at.exception
    assert any("affluent test" in s.value for s in at.success)
    at.multiselect(key="sg_tiers").set_value([]).run()
    at.selectbox(key="sg_pick").set_value("affluent test").run()
    at.button(key="sg_load").click().run()
    assert at.multiselect(key="sg_tiers").value == ["affluent"]
    at.button(key="sg_delete").click().run()
    assert not at.exception, at.exception
    assert any("Delete the segment" in w.value for w in at.warning)  # asked first
    at.button(key="sg_confirm_yes").click().run()
    assert any("Deleted" in s.value for s in at.success)


def test_chinese_page_and_export_buttons(app_test, demo_engine: sa.Engine) -> None:  # type: ignore[no-untyped-def]
    at = app_test("segments", lang="zh")
    assert not at.exception, at.exception
    assert at.title[0].value == "价值客群"
    at.button(key="sg_prepare").click().run()
    assert not at.exception, at.exception
    buttons = at.get("download_button")
    assert len(buttons) == 2
    # the file is built, watermarked and audited by the exporter when clicked
    # (tests/dashboard/test_export.py); preparing it writes no audit entry
    with demo_engine.connect() as conn:
        actions = conn.execute(
            sa.select(audit_log.c.action).where(audit_log.c.username == "admin")
        ).scalars()
        assert "export" not in list(actions)


def test_export_of_demo_segment_parses_back_masked(demo_engine: sa.Engine) -> None:
    as_of = date(2026, 11, 22)
    defn = SegmentDefinition(tiers=("affluent", "vip"))
    with demo_engine.connect() as conn:
        members = fetch_segment_customers(conn, Selection(), defn, as_of, limit=50)
    assert members.height == 50
    headers = {
        c: c
        for c in (
            "customer_id", "name", "phone", "id_number", "branch", "officer", "town",
            "occupation", "age", "tier", "rfm_segment", "aum", "p_alive", "clv",
        )
    }  # fmt: skip
    table = member_table(
        members,
        headers,
        tier_labels={"affluent": "富裕", "vip": "贵宾"},
        segment_labels={},
        branch_names={},
        officer_names={},
        as_of_year=2026,
    )
    ids = members["customer_id"].to_list()
    with demo_engine.connect() as conn:
        raw = conn.execute(
            sa.select(customers.c.phone).where(customers.c.customer_id.in_(ids))
        ).scalars()
        raw_phones = {p for p in raw if p}
    text_cols = ("customer_id", "phone", "id_number")
    data = csv_bytes(table, text_cols)
    assert data.startswith(b"\xef\xbb\xbf")
    rows = list(csv.DictReader(io.StringIO(data.decode("utf-8-sig"))))
    assert len(rows) == 50
    assert {r["tier"] for r in rows} <= {"富裕", "贵宾"}
    assert not raw_phones & {r["phone"] for r in rows}
    assert all(r["phone"] == "" or "****" in r["phone"] for r in rows)
    assert all(len(r["id_number"]) == 18 and "*" in r["id_number"] for r in rows if r["id_number"])
    book = openpyxl.load_workbook(io.BytesIO(xlsx_bytes(table, "目标客户", text_cols)))
    sheet = book["目标客户"]
    values = list(sheet.iter_rows(values_only=True))
    assert list(values[0]) == list(table.columns)
    assert len(values) == 51
    cid = values[1][0]
    assert isinstance(cid, str) and cid == str(members["customer_id"][0])
    phones = [v[2] for v in values[1:] if v[2]]
    assert phones and all("****" in p for p in phones)


def test_signal_and_bad_range(app_test) -> None:  # type: ignore[no-untyped-def]
    at = app_test("segments", lang="en")
    everyone = _count(at)
    at.multiselect(key="sg_signals").set_value(["car_owner"]).run()
    assert not at.exception, at.exception
    assert 0 < _count(at) < everyone
    at.number_input(key="sg_clv_min").set_value(100.0).run()
    at.number_input(key="sg_clv_max").set_value(10.0).run()
    assert not at.exception, at.exception
    assert any("CLV range" in w.value for w in at.warning)


def test_unreadable_saved_segment_warns(app_test, demo_engine: sa.Engine) -> None:  # type: ignore[no-untyped-def]
    from datetime import datetime

    from data_access.schema import saved_segments

    with demo_engine.begin() as conn:
        conn.execute(
            saved_segments.insert().values(
                name="broken", owner="admin", definition='{"colour": 1}', created_at=datetime.now()
            )
        )
    at = app_test("segments", lang="en")
    at.selectbox(key="sg_pick").set_value("broken").run()
    at.button(key="sg_load").click().run()
    assert not at.exception, at.exception
    assert any("unknown keys" in w.value for w in at.warning)
    at.button(key="sg_delete").click().run()
    at.button(key="sg_confirm_yes").click().run()
    assert not at.exception, at.exception


def _tiny_bank(url: str, *, refresh: bool) -> None:
    """One branch, three customers with November balances; no footprints, no signals mart."""
    from data_access import schema
    from data_access.engine import create_schema, make_engine
    from data_access.marts.value import refresh_value
    from metrics.standards import load_standards

    engine = make_engine(url)
    create_schema(engine)
    with engine.begin() as conn:
        conn.execute(schema.branches.insert().values(
            branch_id=1, code="B1", name="城关支行", name_en="Town", town="城关镇",
            opened_on=date(2000, 1, 1)))  # fmt: skip
        conn.execute(schema.officers.insert().values(
            officer_id=11, branch_id=1, name="李经理", gender="F", hire_date=date(2015, 1, 1),
            role="customer_manager", active=True))  # fmt: skip
        conn.execute(schema.customers.insert(), [
            {"customer_id": c, "branch_id": 1, "officer_id": 11, "name": "王小明",
             "opened_on": date(2010, 1, 1), "phone": "13900001111", "town": "城关镇"}
            for c in (1, 2, 3)])  # fmt: skip
        conn.execute(schema.balance_snapshots.insert(), [
            {"customer_id": c, "month": date(2026, 10, 1), "branch_id": 1, "demand_avg": aum,
             "time_avg": 0.0, "wealth_avg": 0.0, "loan_avg": 0.0, "deposit_end": aum,
             "loan_end": 0.0} for c, aum in ((1, 1000.0), (2, 80_000.0), (3, 900_000.0))])  # fmt: skip
        conn.execute(schema.bank_meta.insert().values(key="data_as_of", value="2026-11-22"))
    if refresh:
        refresh_value(engine, load_standards(), date(2026, 11, 22), lambda _s, _f: None)
    engine.dispose()


@pytest.mark.parametrize(
    "refresh", [pytest.param(True, id="value-mart"), pytest.param(False, id="no-mart")]
)
def test_small_bank_without_signals(tmp_path, monkeypatch, refresh: bool) -> None:  # type: ignore[no-untyped-def]
    import streamlit as st

    from tests.dashboard.conftest import open_page

    url = f"duckdb:///{tmp_path / 'tiny.duckdb'}"
    _tiny_bank(url, refresh=refresh)
    monkeypatch.setenv("FOOTPRINT_DATABASE_URL", url)
    st.cache_data.clear()
    st.cache_resource.clear()
    at = open_page(url, "segments", lang="en")
    assert not at.exception, at.exception
    if not refresh:
        assert any("has not been computed" in i.value for i in at.info)
        return
    assert _count(at) == 3
    assert at.multiselect(key="sg_signals").disabled
    assert any("signals have not been computed" in c.value for c in at.caption)
    at.multiselect(key="sg_tiers").set_value(["vip"]).run()
    assert _count(at) == 1


def test_a_segment_link_opens_the_same_segment(app_test) -> None:  # type: ignore[no-untyped-def]
    at = app_test("segments", lang="en")
    assert "seg" not in at.query_params  # no condition: nothing in the address
    at.multiselect(key="sg_tiers").set_value(["affluent"]).run()
    at.multiselect(key="sg_held").set_value(["mobile_banking"]).run()
    built = _count(at)
    link = at.query_params["seg"]
    assert link == '{"products_held":["mobile_banking"],"tiers":["affluent"]}'

    fresh = app_test("segments", lang="en", seg=link)  # another browser opens the link
    assert not fresh.exception, fresh.exception
    assert fresh.session_state["sg_tiers"] == ["affluent"]
    assert fresh.session_state["sg_held"] == ["mobile_banking"]
    assert _count(fresh) == built < _count(app_test("segments", lang="en"))
    assert any("from the link" in s.value for s in fresh.success)


def test_an_unreadable_segment_link_opens_the_page_with_a_note(app_test) -> None:  # type: ignore[no-untyped-def]
    everyone = _count(app_test("segments", lang="en"))
    for bad in ('{"tiers":["emperor"]}', "{not json", '{"towns":"x","bogus":1}', "[]"):
        at = app_test("segments", lang="en", seg=bad)
        assert not at.exception, (bad, at.exception)
        assert any("seg" in i.value for i in at.info), bad
        assert _count(at) == everyone  # nothing applied
        assert "seg" not in at.query_params  # and the bad value leaves the address
