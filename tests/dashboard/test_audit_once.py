"""Every audited action appears exactly once in the audit log, with the right user and row count.

Each test performs one action the way a user does (the sign-in form, the sign-out button, a page,
the unmask form, a download) in the real router with AppTest, reruns the app as Streamlit does
after any click, and counts the audit rows of a user made for that test alone.
"""

from __future__ import annotations

import csv
import io
import json
import uuid
from collections.abc import Callable, Iterator
from datetime import timedelta

import pytest
import sqlalchemy as sa
import streamlit as st
from streamlit.testing.v1 import AppTest
from streamlit.util import calc_hash

from data_access import audit, auth
from data_access.schema import audit_log, customers, user_sessions
from tests.dashboard.conftest import APP

PASSWORD = "once-password-1"


def _new_user(engine: sa.Engine, role: str, **assignment: object) -> str:
    """A user made for one test: its audit rows are this test's alone."""
    name = f"once_{role}_{uuid.uuid4().hex[:8]}"
    auth.ensure_roles(engine)
    with engine.begin() as conn:
        auth.create_user(conn, name, PASSWORD, role, by="test", **assignment)
    return name


def _log(engine: sa.Engine, username: str, action: str | None = None) -> list[sa.Row]:
    """The user's audit rows (one action, or all but the account's creation), oldest first."""
    a = audit_log.c
    stmt = sa.select(a.username, a.action, a.target, a.detail, a.row_count).where(
        a.username == username
    )
    stmt = stmt.where(a.action == action) if action else stmt
    with engine.connect() as conn:
        return list(conn.execute(stmt.order_by(a.audit_id)))


@pytest.fixture
def app(demo_app_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[Callable[..., AppTest]]:
    """Factory: an AppTest of the router on the app tests' demo bank, signed in as ``username``
    (None: not signed in) through a real session."""
    monkeypatch.setenv("FOOTPRINT_DATABASE_URL", demo_app_url)
    st.cache_data.clear()
    st.cache_resource.clear()

    def make(username: str | None, engine: sa.Engine | None = None, **query: str) -> AppTest:
        at = AppTest.from_file(APP, default_timeout=120)
        if username is not None:
            assert engine is not None
            user = auth.authenticate(engine, username, PASSWORD)
            at.session_state["_session_token"] = auth.open_session(engine, user)
        for key, value in {"lang": "en", **query}.items():
            at.query_params[key] = value
        return at.run()

    yield make


def _user_on_page(
    app: Callable[..., AppTest], engine: sa.Engine, role: str, page: str, **query: str
) -> tuple[str, AppTest]:
    """A new user with ``role``, signed in and switched to ``pages/<page>.py``: (name, the app)."""
    name = _new_user(engine, role)
    at = app(name, engine, **query)
    at.switch_page(f"pages/{page}.py").run()
    return name, at


def _open_url(at: AppTest, url_path: str) -> AppTest:
    """Go to ``/url_path`` as a typed address does (a refused page is not a file to switch to)."""
    at._page_hash = calc_hash(url_path)
    return at.run()


def _submit_sign_in(at: AppTest, username: str, password: str) -> AppTest:
    at.text_input(key="w_username").input(username)
    at.text_input(key="w_password").input(password)
    return at.button[-1].click().run()  # the form's submit


def test_sign_in_through_the_form_is_logged_once(
    app: Callable[..., AppTest], demo_engine: sa.Engine
) -> None:
    name = _new_user(demo_engine, "marketing")
    at = app(None)
    assert at.title[0].value == "Footprint · Sign in"
    at = _submit_sign_in(at, name, PASSWORD)
    assert not at.exception, at.exception
    at.run()
    at.run()  # reruns of a signed-in page: no new sign-in, no new view
    actions = [r.action for r in _log(demo_engine, name) if r.action != "user_change"]
    assert actions == ["sign_in", "page_view"]
    sign_in = _log(demo_engine, name, "sign_in")[0]
    assert json.loads(sign_in.detail) == {"role": "marketing", "via": "password"}


def test_a_wrong_password_is_logged_once_and_throttling_once_per_attempt(
    app: Callable[..., AppTest], demo_engine: sa.Engine
) -> None:
    name = _new_user(demo_engine, "training")
    at = _submit_sign_in(app(None), name, "not-the-password")
    assert at.error, "the form says the sign-in failed"
    at.run()  # a rerun does not submit the form again
    assert [r.action for r in _log(demo_engine, name, "sign_in_failed")] == ["sign_in_failed"]
    assert "not-the-password" not in str(_log(demo_engine, name))  # never the password
    for _ in range(auth.MAX_FAILURES - 1):
        with pytest.raises(auth.SignInRefused):
            auth.authenticate(demo_engine, name, "still-wrong-pw")
    assert len(_log(demo_engine, name, "sign_in_failed")) == auth.MAX_FAILURES
    at = _submit_sign_in(at, name, PASSWORD)  # the right password, too late
    at.run()
    assert len(_log(demo_engine, name, "sign_in_throttled")) == 1
    assert len(_log(demo_engine, name, "sign_in_failed")) == auth.MAX_FAILURES
    assert _log(demo_engine, name, "sign_in") == []


def test_sign_out_is_logged_once_and_the_next_user_gets_their_own_first_view(
    app: Callable[..., AppTest], demo_engine: sa.Engine
) -> None:
    first = _new_user(demo_engine, "marketing")
    second = _new_user(demo_engine, "marketing")
    at = app(first, demo_engine)
    at.button(key="sign_out").click().run()
    assert at.title[0].value == "Footprint · Sign in"
    at.run()
    assert len(_log(demo_engine, first, "sign_out")) == 1
    # the same browser, another person, the same page and filters: their view is theirs
    at = _submit_sign_in(at, second, PASSWORD)
    at.run()
    assert [r.target for r in _log(demo_engine, second, "page_view")] == ["home"]
    assert _log(demo_engine, second, "sign_in")[0].username == second
    assert len(_log(demo_engine, first, "page_view")) == 1  # the first user's one view


def test_an_expired_session_is_logged_once(
    app: Callable[..., AppTest], demo_engine: sa.Engine
) -> None:
    name = _new_user(demo_engine, "training")
    at = app(name, demo_engine)
    with demo_engine.begin() as conn:  # the user went for lunch
        conn.execute(
            user_sessions.update()
            .where(user_sessions.c.username == name)
            .values(last_seen_at=audit.now() - timedelta(hours=2))
        )
    at.run()
    assert at.title[0].value == "Footprint · Sign in"
    at.run()
    expired = _log(demo_engine, name, "session_expired")
    assert len(expired) == 1 and json.loads(expired[0].detail) == {"reason": "idle"}


def test_page_views_and_refusals_are_logged_once_per_visit(
    app: Callable[..., AppTest], demo_engine: sa.Engine
) -> None:
    name, at = _user_on_page(app, demo_engine, "training", "officers")
    at.run()
    at.session_state["tab_officers"] = "league"  # another tab: another view
    at.run()
    at.run()
    at.session_state["tab_officers"] = "activity"  # back to the first tab
    at.run()
    _open_url(at, "kpis")  # a hand-edited URL to a page the training lead is not given
    at.run()
    at.run()
    at.switch_page("pages/officers.py").run()  # back again: a new view
    views = [(r.action, r.target) for r in _log(demo_engine, name) if r.action != "user_change"]
    assert views == [
        ("sign_in", None),
        ("page_view", "home"),
        ("page_view", "officers"),
        ("page_view", "officers"),
        ("page_view", "officers"),
        ("page_refused", "kpis"),
        ("page_view", "officers"),
    ]
    details = [json.loads(r.detail) for r in _log(demo_engine, name, "page_view")]
    assert [d.get("tab") for d in details[1:4]] == [None, "league", None]  # the open tab
    assert details[-1]["week"] == at.query_params["week"]  # the filters travel with the view


@pytest.fixture(scope="module")
def two_customers(demo_engine: sa.Engine) -> tuple[int, int]:
    """Two open customers of the demo bank."""
    c = customers.c
    stmt = sa.select(c.customer_id).where(c.closed_on.is_(None)).order_by(c.customer_id).limit(2)
    with demo_engine.connect() as conn:
        first, second = conn.execute(stmt).scalars()
    return first, second


def test_a_customer_opened_is_logged_once_per_opening(
    app: Callable[..., AppTest], demo_engine: sa.Engine, two_customers: tuple[int, int]
) -> None:
    first, second = two_customers
    name = _new_user(demo_engine, "president")
    at = app(name, demo_engine)
    at.query_params["customer"] = str(first)
    at.switch_page("pages/customer.py").run()
    assert not at.exception, at.exception
    at.run()
    at.run()
    opened = _log(demo_engine, name, "customer_open")
    assert [(r.target, r.row_count) for r in opened] == [(str(first), 1)]
    at.switch_page("pages/kpis.py").run()
    at.query_params["customer"] = str(first)
    at.switch_page("pages/customer.py").run()  # the same customer, opened again from elsewhere
    at.run()
    at.query_params["customer"] = str(second)
    at.run()
    opened = _log(demo_engine, name, "customer_open")
    assert [r.target for r in opened] == [str(first), str(first), str(second)]
    assert {r.row_count for r in opened} == {1}


def test_a_customer_search_is_logged_once_per_search_and_page(
    app: Callable[..., AppTest], demo_engine: sa.Engine
) -> None:
    name, at = _user_on_page(app, demo_engine, "president", "customer")
    at.text_input(key="w_customer_search").input("王").run()
    at.run()
    at.run()
    with demo_engine.connect() as conn:
        total = conn.execute(
            sa.select(sa.func.count()).where(customers.c.name.like("%王%"))
        ).scalar_one()
    searched = _log(demo_engine, name, "customer_search")
    assert [(json.loads(r.detail)["q"], json.loads(r.detail)["page"]) for r in searched] == [
        ("王", 1)
    ]
    assert searched[0].row_count == total
    next(b for b in at.button if b.key == "cu_next").click().run()
    at.run()
    pages = [json.loads(r.detail)["page"] for r in _log(demo_engine, name, "customer_search")]
    assert pages == [1, 2]


def test_unmasking_is_logged_once_with_its_reason(
    app: Callable[..., AppTest], demo_engine: sa.Engine, two_customers: tuple[int, int]
) -> None:
    first, _ = two_customers
    name, at = _user_on_page(app, demo_engine, "president", "customer", customer=str(first))
    submit = f"FormSubmitter:unmask_{first}-See unmasked"
    at.text_input(key="w_unmask_reason").input("ok")
    at.button(key=submit).click().run()  # too short: asked again, nothing shown, nothing logged
    assert at.warning and _log(demo_engine, name, "unmask") == []
    at.text_input(key="w_unmask_reason").input("customer called about a loan")
    at.button(key=submit).click().run()
    assert not at.exception, at.exception
    at.run()  # the next click anywhere
    unmasked = _log(demo_engine, name, "unmask")
    assert [(r.target, r.row_count) for r in unmasked] == [(str(first), 1)]
    assert json.loads(unmasked[0].detail) == {"reason": "customer called about a loan"}
    assert len(_log(demo_engine, name, "customer_open")) == 1


def test_an_export_is_logged_once_per_download_with_file_rows_and_filters(
    app: Callable[..., AppTest], demo_engine: sa.Engine, downloads: list
) -> None:
    name, at = _user_on_page(app, demo_engine, "auditor", "audit")
    at.run()
    assert not at.exception, at.exception
    assert _log(demo_engine, name, "export") == []  # offering a file is not exporting it
    shown = at.dataframe[0].value
    content = downloads[-1]()  # one click
    exported = _log(demo_engine, name, "export")
    assert len(exported) == 1
    rows = list(csv.reader(io.StringIO(content.decode("utf-8-sig"))))
    assert exported[0].row_count == len(rows) - 1 == len(shown)
    detail = json.loads(exported[0].detail)
    assert detail["file"] == exported[0].target and detail["file"].endswith(".csv")
    assert name in detail["file"]  # who exported travels in the file name
    assert set(detail["filters"]) == {"start", "end", "user", "actions"}
    downloads[-1]()  # a second click is a second file
    assert len(_log(demo_engine, name, "export")) == 2


def test_an_export_request_and_its_decision_are_logged_once(
    app: Callable[..., AppTest], demo_engine: sa.Engine
) -> None:
    requester = _new_user(demo_engine, "marketing")
    admin = _new_user(demo_engine, "admin")
    filters = {"tiers": ["vip"], "branches": [1]}
    with demo_engine.begin() as conn:
        approval = audit.request_export(conn, requester, "segment.xlsx", 9_100, filters)
    with demo_engine.begin() as conn:  # asked again while pending: the same request
        assert audit.request_export(conn, requester, "segment.xlsx", 9_100, filters) == approval
    requests = _log(demo_engine, requester, "export_request")
    assert [(r.target, r.row_count) for r in requests] == [("segment.xlsx", 9_100)]
    at = app(admin, demo_engine)
    at.switch_page("pages/admin.py").run()
    at.button(key=f"approval_{approval}_True").click().run()
    at.run()
    assert not at.exception, at.exception
    decisions = _log(demo_engine, admin, "export_decision")
    assert [(r.target, r.row_count) for r in decisions] == [("segment.xlsx", 9_100)]
    assert json.loads(decisions[0].detail)["requested_by"] == requester


def test_creating_a_user_on_the_admin_page_is_logged_once(
    app: Callable[..., AppTest], demo_engine: sa.Engine
) -> None:
    admin, at = _user_on_page(app, demo_engine, "admin", "admin")
    new = f"once_new_{uuid.uuid4().hex[:6]}"
    at.text_input[0].input(new)
    at.text_input[1].input("新用户")
    at.text_input[2].input("new-user-password")
    at.selectbox(key="admin_role").select("training")
    at.button[0].click().run()
    at.run()
    changes = [r for r in _log(demo_engine, admin, "user_change") if r.target == new]
    assert len(changes) == 1 and json.loads(changes[0].detail)["change"] == "create"


# Where each audited action is performed once and its rows counted (here, or next to its page).
PROVED_ONCE = {
    "sign_in": "test_audit_once::test_sign_in_through_the_form_is_logged_once",
    "page_view": "test_audit_once::test_sign_in_through_the_form_is_logged_once",
    "sign_in_failed": "test_audit_once::test_a_wrong_password_is_logged_once_and_throttling_once_per_attempt",
    "sign_in_throttled": "test_audit_once::test_a_wrong_password_is_logged_once_and_throttling_once_per_attempt",
    "sign_out": "test_audit_once::test_sign_out_is_logged_once_and_the_next_user_gets_their_own_first_view",
    "session_expired": "test_audit_once::test_an_expired_session_is_logged_once",
    "page_refused": "test_audit_once::test_page_views_and_refusals_are_logged_once_per_visit",
    "customer_open": "test_audit_once::test_a_customer_opened_is_logged_once_per_opening",
    "customer_search": "test_audit_once::test_a_customer_search_is_logged_once_per_search_and_page",
    "unmask": "test_audit_once::test_unmasking_is_logged_once_with_its_reason",
    "export": "test_audit_once::test_an_export_is_logged_once_per_download_with_file_rows_and_filters",
    "export_request": "test_audit_once::test_an_export_request_and_its_decision_are_logged_once",
    "export_decision": "test_audit_once::test_an_export_request_and_its_decision_are_logged_once",
    "user_change": "test_audit_once::test_creating_a_user_on_the_admin_page_is_logged_once",
    "save_segment": "test_segments_confirm::test_saving_under_an_existing_name_asks_before_replacing",
    "replace_segment": "test_segments_confirm::test_saving_under_an_existing_name_asks_before_replacing",
    "delete_segment": "test_segments_confirm::test_delete_asks_and_cancel_keeps_the_segment",
    "record_soft_footprint": "test_customer_page::test_recording_a_soft_footprint_adds_a_row",
    "withdraw_soft": "data_access.test_soft_changes::test_an_officer_withdraws_their_own_entry_and_the_audit_keeps_it",
    "correct_soft": "data_access.test_soft_changes::test_a_correction_replaces_the_entry_atomically",
    "profile_fix": "test_quality_page::test_queue_and_a_correction",
    "nbp_feedback": "test_suggestions_page::test_answer_on_the_customer_page_shows_on_the_outcomes_page",
    "audit_prune": "data_access.test_audit_log::test_the_purge_command_deletes_past_the_standards_retention_and_says_so",
}  # fmt: skip


def test_meta_every_audited_action_has_its_exactly_once_test() -> None:
    """A new action in data_access.audit.ACTIONS fails here until a test performs it once."""
    import importlib

    assert set(PROVED_ONCE) == set(audit.ACTIONS)
    for where in set(PROVED_ONCE.values()):
        module, test = where.split("::")
        package = "tests." + (
            module if module.startswith("data_access.") else f"dashboard.{module}"
        )
        assert callable(getattr(importlib.import_module(package), test, None)), where
