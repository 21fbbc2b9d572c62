"""Customer search on the customer page (AppTest, demo bank): the count recomputed in plain SQL,
pages turned with the page number in the address, the officer's scope, the sidebar's picks,
an ID number kept out of the address, and one audit entry per search."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import replace

import pandas as pd
import pytest
import sqlalchemy as sa
from streamlit.testing.v1 import AppTest

from data_access import roles
from data_access.schema import audit_log
from tests.conftest import sql_rows


def _count(engine: sa.Engine, sql: str, **params: object) -> int:
    with engine.connect() as conn:
        return int(conn.execute(sa.text(sql), params).scalar_one())


def _results(at: AppTest) -> pd.DataFrame:
    """The results table (the only one whose first column is the customer number)."""
    return next(df.value for df in at.dataframe if df.value.columns[0] == "Customer")


def _search(at: AppTest, text: str) -> AppTest:
    return at.text_input(key="w_customer_search").input(text).run()


def _button(at: AppTest, label: str):
    return next(b for b in at.button if b.label == label)


def test_count_pages_and_address(app_test: Callable[..., AppTest], demo_engine: sa.Engine) -> None:
    at = _search(app_test("customer", lang="en"), "张")
    assert not at.exception
    total = _count(demo_engine, "select count(*) from customers where name like '%张%'")
    assert total > 40  # a common surname: several pages
    said = "\n".join(m.value for m in at.markdown)
    assert f"**{total:,}** customers match (showing 1–20" in said
    first = _results(at)
    assert len(first) == 20
    # every shown name starts with 张 (prefix before contains: more than 20 start with it)
    assert all(n.startswith("张") for n in first["Name"])
    assert at.query_params["q"] == "张" and "page" not in at.query_params

    _button(at, "Next").click().run()
    assert at.query_params["page"] == "2"
    second = _results(at)
    assert len(second) == 20 and not set(second["Customer"]) & set(first["Customer"])
    assert "Page 2 of" in "\n".join(c.value for c in at.caption)

    _button(at, "Previous").click().run()
    assert "page" not in at.query_params
    assert list(_results(at)["Customer"]) == list(first["Customer"])


def test_a_shared_link_opens_the_same_page(
    app_test: Callable[..., AppTest], demo_engine: sa.Engine
) -> None:
    total = _count(demo_engine, "select count(*) from customers where name like '%张%'")
    last = -(-total // 10)
    at = app_test("customer", lang="en", q="张", size="10", page=str(last))
    assert not at.exception
    assert len(_results(at)) == total - (last - 1) * 10
    assert f"Page {last} of {last}" in "\n".join(c.value for c in at.caption)
    past = app_test("customer", lang="en", q="张", size="10", page=str(last + 5))
    assert "past the results" in "\n".join(i.value for i in past.info)
    assert past.query_params["page"] == str(last)


def test_officer_finds_only_own_book(
    app_test: Callable[..., AppTest], demo_engine: sa.Engine
) -> None:
    at = _search(app_test("customer", user="officer", lang="en"), "张")
    assert not at.exception
    officer = _count(
        demo_engine,
        "select officer_id from users where username = 'officer'",
    )
    mine = _count(
        demo_engine,
        "select count(*) from customers where name like '%张%' and officer_id = :o",
        o=officer,
    )
    said = "\n".join(m.value for m in at.markdown)
    assert f"**{mine:,}** customer" in said
    shown = [int(c) for c in _results(at)["Customer"]]
    with demo_engine.connect() as conn:
        owners = conn.execute(
            sa.text(
                "select distinct officer_id from customers where customer_id in :ids"
            ).bindparams(sa.bindparam("ids", expanding=True)),
            {"ids": shown},
        ).scalars()
        assert set(owners) == {officer}


def test_id_number_found_but_kept_out_of_the_address(
    app_test: Callable[..., AppTest], demo_engine: sa.Engine
) -> None:
    ((cid, id_number),) = sql_rows(
        demo_engine,
        "select customer_id, id_number from customers where id_number is not null "
        "order by customer_id limit 1",
    )
    at = _search(app_test("customer", lang="en"), id_number)
    assert not at.exception
    assert list(_results(at)["Customer"]) == [cid]
    assert list(_results(at)["Match"]) == ["exact"]
    link = at.query_params["q"]
    assert id_number not in link and link.endswith(id_number[-4:]) and "*" in link
    with demo_engine.connect() as conn:
        details = conn.execute(
            sa.select(audit_log.c.detail, audit_log.c.row_count)
            .where(audit_log.c.action == "customer_search", audit_log.c.username == "admin")
            .order_by(audit_log.c.audit_id.desc())
            .limit(1)
        ).one()
    assert json.loads(details.detail)["q"] == link and details.row_count == 1
    assert id_number not in details.detail


def test_sidebar_pick_narrows_the_search(
    app_test: Callable[..., AppTest], demo_engine: sa.Engine
) -> None:
    branch = _count(demo_engine, "select min(branch_id) from branches")
    at = _search(app_test("customer", lang="en", branches=str(branch)), "张")
    in_branch = _count(
        demo_engine,
        "select count(*) from customers where name like '%张%' and branch_id = :b",
        b=branch,
    )
    assert f"**{in_branch:,}** customer" in "\n".join(m.value for m in at.markdown)


def test_pick_opens_the_customer_and_the_list_stays_in_the_address(
    app_test: Callable[..., AppTest],
) -> None:
    at = _search(app_test("customer", lang="en"), "张")
    cid = int(_results(at)["Customer"].iloc[0])
    at.selectbox(key="w_customer_pick").select(cid).run()
    assert not at.exception
    assert at.session_state["f_customer"] == str(cid)
    assert at.query_params["customer"] == str(cid) and at.query_params["q"] == "张"
    assert f"(customer {cid})" in "\n".join(h.value for h in at.subheader)


def test_a_link_with_a_masked_id_number_says_it_cannot_search(
    app_test: Callable[..., AppTest],
) -> None:
    at = app_test("customer", lang="en", q="4307**********1234")
    assert not at.exception
    assert "masked and cannot be searched" in "\n".join(i.value for i in at.info)
    assert at.text_input(key="w_customer_search").value == ""
    assert "q" not in at.query_params


def test_a_role_without_the_right_is_refused_search_by_id_number_or_phone(
    app_test: Callable[..., AppTest], demo_engine: sa.Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Every demo role with the customer page may find by phone and ID number: the test's role
    set withholds both from the administrator, who then types a customer's ID number, phone and
    phone's last four digits through the page."""
    monkeypatch.setitem(roles.ROLES, "admin", replace(roles.ROLES["admin"], find_by=()))
    people = sql_rows(
        demo_engine,
        "select customer_id, id_number, phone from customers "
        "where id_number is not null and phone is not null order by customer_id",
    )
    ids = {p.customer_id for p in people}
    # a phone whose last four digits are also another customer's number: that search finds the
    # customer by number, and must not find the phone's owner
    cid, id_number, phone = next(
        p for p in people if int(p.phone[-4:]) in ids - {p.customer_id} and p.phone[-4] != "0"
        and p.phone[-4:] not in str(p.customer_id)
    )  # fmt: skip
    refusal = "Your role cannot find customers by phone or ID number"
    at = app_test("customer", lang="en")
    for text in (id_number, phone, phone[-4:]):
        at = _search(at, text)
        assert not at.exception
        assert refusal in "\n".join(c.value for c in at.caption), text
        shown = [df.value for df in at.dataframe if df.value.columns[0] == "Customer"]
        if text == phone[-4:]:  # a customer number too: found as one, the owner is not
            assert int(text) in shown[0]["Customer"].to_list()
            assert all(text in str(n) for n in shown[0]["Customer"])
            assert cid not in shown[0]["Customer"].to_list()
        else:
            assert shown == []  # the number's holder is not confirmed
            assert "No matching customer within your scope." in "\n".join(i.value for i in at.info)
