"""Customer footprint page (AppTest on the demo bank): renders, searches, records, explains unknown ids."""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator
from datetime import date

import pytest
import sqlalchemy as sa
from streamlit.testing.v1 import AppTest

from data_access.schema import audit_log, customers, soft_footprints


def _texts(at: AppTest) -> str:
    parts = [
        e.value
        for kind in ("markdown", "caption", "info", "warning", "error", "success")
        for e in at.get(kind)
    ]
    parts += [e.label for e in at.get("metric")] + [str(e.value) for e in at.get("metric")]
    parts += [h.value for h in at.get("subheader")]
    return "\n".join(str(p) for p in parts)


@pytest.fixture(scope="module")
def car_owner(demo_engine: sa.Engine) -> dict:
    """A demo customer with a 98# fuel receipt (the generator's wealthy drivers)."""
    s, c = soft_footprints.c, customers.c
    stmt = (
        sa.select(c.customer_id, c.name, c.officer_id)
        .join(soft_footprints, s.customer_id == c.customer_id)
        .where(s.kind == "fuel_receipt", s.fuel_grade == 98, c.closed_on.is_(None))
        .order_by(c.customer_id)
        .limit(1)
    )
    with demo_engine.connect() as conn:
        row = conn.execute(stmt).mappings().one()
    return dict(row)


@pytest.fixture
def cleanup(demo_engine: sa.Engine) -> Iterator[list[int]]:
    """Soft footprints a test records on the shared demo bank are removed afterwards."""
    ids: list[int] = []
    with demo_engine.connect() as conn:
        before = conn.execute(sa.select(sa.func.max(soft_footprints.c.soft_id))).scalar_one()
    yield ids
    with demo_engine.begin() as conn:
        conn.execute(soft_footprints.delete().where(soft_footprints.c.soft_id > before))


def _save(at: AppTest):
    """The soft-footprint form's submit button."""
    return next(b for b in at.button if b.label == "Save")


def _soft_count(engine: sa.Engine, customer_id: int) -> int:
    stmt = sa.select(sa.func.count()).where(soft_footprints.c.customer_id == customer_id)
    with engine.connect() as conn:
        return conn.execute(stmt).scalar_one()


def test_renders_a_demo_customer(app_test: Callable[..., AppTest], car_owner: dict) -> None:
    at = app_test("customer", lang="en", customer=str(car_owner["customer_id"]))
    assert not at.exception
    text = _texts(at)
    assert f"(customer {car_owner['customer_id']})" in text
    assert car_owner["name"] not in text  # personal data masked
    assert car_owner["name"][0] + "*" in text
    assert "Car owner" in text and "fuel receipt of 98#" in text
    assert "Profile completeness" in text
    assert len(at.get("plotly_chart")) >= 2
    assert at.query_params["customer"] == str(car_owner["customer_id"])


MONEY = {"Amount", "Balance", "Limit", "Declared income", "Money in, year before"}


def test_money_columns_keep_their_decimals(
    app_test: Callable[..., AppTest], car_owner: dict
) -> None:
    """A money column shows the same decimals on every row: drawn "localized", the browser
    dropped trailing zeros (176.2 under 416.46, 6,639,700 above 67,903,013.89)."""
    at = app_test("customer", lang="en", customer=str(car_owner["customer_id"]))
    formats = [
        (header, json.loads(table.proto.columns or "{}").get(header, {}).get("type_config", {}))
        for table in at.dataframe
        for header in table.value.columns
        if header in MONEY
    ]
    assert {"Amount", "Balance"} <= {header for header, _ in formats}
    bad = [(h, c) for h, c in formats if not re.fullmatch(r"%,\.[02]f", c.get("format", ""))]
    assert not bad, bad


def test_renders_in_chinese(app_test: Callable[..., AppTest], car_owner: dict) -> None:
    at = app_test("customer", lang="zh", customer=str(car_owner["customer_id"]))
    assert not at.exception
    text = _texts(at)
    assert "有车一族" in text and "档案完整度" in text


@pytest.mark.parametrize(
    ("customer", "message"),
    [
        pytest.param("99999999", "does not exist or is outside your scope", id="unknown"),
        pytest.param("abc", "A customer id is a number", id="not-a-number"),
        pytest.param("", "Search for a customer", id="none-picked"),
    ],
)
def test_clear_message_without_a_customer(
    app_test: Callable[..., AppTest], customer: str, message: str
) -> None:
    at = app_test("customer", lang="en", customer=customer)
    assert not at.exception
    assert message in "\n".join(i.value for i in at.info)


def test_search_and_pick(app_test: Callable[..., AppTest], car_owner: dict) -> None:
    at = app_test("customer", lang="en")
    at.text_input(key="w_customer_search").input(str(car_owner["customer_id"])).run()
    pick = at.selectbox(key="w_customer_pick")
    assert car_owner["customer_id"] in pick.options or str(car_owner["customer_id"]) in str(
        pick.options
    )
    pick.select(car_owner["customer_id"]).run()
    assert not at.exception
    assert at.session_state["f_customer"] == str(car_owner["customer_id"])
    assert f"(customer {car_owner['customer_id']})" in _texts(at)


def test_recording_a_soft_footprint_adds_a_row(
    app_test: Callable[..., AppTest], demo_engine: sa.Engine, car_owner: dict, cleanup: list[int]
) -> None:
    cid = car_owner["customer_id"]
    before = _soft_count(demo_engine, cid)
    a = audit_log.c
    audited = sa.select(a.username, a.row_count).where(
        a.action == "record_soft_footprint", a.target == str(cid)
    )
    with demo_engine.connect() as conn:  # other tests of the session may have recorded on them
        audited_before = conn.execute(audited).all()
    at = app_test("customer", lang="en", customer=str(cid))
    at.selectbox(key="cu_kind").select("vehicle")
    at.text_area(key="cu_detail").input("white SUV, new")
    _save(at).click()
    at.run()
    assert not at.exception
    assert _soft_count(demo_engine, cid) == before + 1
    assert "Soft footprint saved" in _texts(at)
    details = [
        v for df in at.dataframe for col in df.value.columns for v in df.value[col].astype(str)
    ]
    assert "white SUV, new" in details
    # the recorder is the signed-in user: the administrator is no officer, so no officer id
    s = soft_footprints.c
    stmt = sa.select(s.officer_id, s.kind).where(s.customer_id == cid).order_by(s.soft_id.desc())
    with demo_engine.connect() as conn:
        assert conn.execute(stmt).first() == (None, "vehicle")
        after = conn.execute(audited).all()
    assert sorted(after) == sorted([*audited_before, ("admin", 1)])  # exactly one entry more


def test_a_bad_soft_footprint_is_refused_with_a_message(
    app_test: Callable[..., AppTest], demo_engine: sa.Engine, car_owner: dict, cleanup: list[int]
) -> None:
    cid = car_owner["customer_id"]
    before = _soft_count(demo_engine, cid)
    at = app_test("customer", lang="en", customer=str(cid))
    at.selectbox(key="cu_kind").select("fuel_receipt")  # without grade and litres
    _save(at).click()
    at.run()
    assert not at.exception
    assert "Not saved" in "\n".join(e.value for e in at.error)
    assert _soft_count(demo_engine, cid) == before


def test_without_a_customer_the_book_overview_leads_to_one(
    app_test: Callable[..., AppTest],
) -> None:
    at = app_test("customer", lang="en")
    assert not at.exception
    assert "Footprint signals in your book" in _texts(at)
    assert len(at.get("plotly_chart")) == 1
    lead = at.selectbox(key="w_customer_lead")
    assert lead.options  # customers with signals on, most first
    first_id = lead.options[0].split(" · ")[0]  # options show "id · masked name · town · n"
    lead.set_value(int(first_id)).run()
    assert not at.exception
    assert at.session_state["f_customer"] == first_id
    assert f"(customer {first_id})" in _texts(at)
    at.button(key="cu_clear").click().run()  # back to the book
    assert "Footprint signals in your book" in _texts(at)
    assert "customer" not in at.query_params


def test_credit_tab_checks_declarations(
    app_test: Callable[..., AppTest], demo_engine: sa.Engine
) -> None:
    from data_access.schema import loan_applications

    with demo_engine.connect() as conn:
        cid = conn.execute(sa.select(sa.func.min(loan_applications.c.customer_id))).scalar_one()
    at = app_test("customer", lang="en", customer=str(cid))
    assert not at.exception
    columns = [list(df.value.columns) for df in at.dataframe]
    assert [
        "Applied",
        "Product",
        "Amount",
        "Status",
        "Declared income",
        "Money in, year before",
        "Income check",
        "Declared business",
        "Declared place",
        "Places seen",
        "Place check",
    ] in columns


def _in_view(at: AppTest) -> int:
    caption = next(c.value for c in at.caption if "customers in view" in c.value)
    return int(caption.split(" customers in view")[0].replace(",", ""))


def test_narrowing_the_sidebar_shrinks_the_book(
    app_test: Callable[..., AppTest], demo_engine: sa.Engine
) -> None:
    # the book: customers open on the data's last day, as the officer page counts them
    open_ = sa.or_(customers.c.closed_on.is_(None), customers.c.closed_on > date(2026, 11, 22))
    with demo_engine.connect() as conn:
        n_all = conn.execute(
            sa.select(sa.func.count()).select_from(customers).where(open_)
        ).scalar_one()
        n_branch = conn.execute(
            sa.select(sa.func.count()).where(customers.c.branch_id == 1, open_)
        ).scalar_one()
    everyone = app_test("customer", lang="en")
    one_branch = app_test("customer", lang="en", branches="1")
    assert not everyone.exception and not one_branch.exception
    assert _in_view(everyone) == n_all
    assert _in_view(one_branch) == n_branch < n_all
