"""Role × page × tab × export × report on the two-branch view of the demo bank, through the app:
every page is opened by a hand-edited URL that asks for the other branch, another officer,
another branch's customer and a crafted segment (with junk and SQL in the values), every lazy tab
is opened, and every file the page offers (CSV, XLSX, the HTML report) is built as a click builds
it. Nothing of another branch (or, for an officer, another officer's book) may show in a table, a
chart, a text or a file; a page the role is not given answers with the refusal and no data. The
app runs on the demo bank in DuckDB and on a copy of it in PostgreSQL.

The data layer's own enumeration (every fetch × every role's scope, DuckDB and PostgreSQL) is
``tests/data_access/test_scope_enumeration.py``; the pages and roles here are read from
``dashboard/nav.py`` and ``data_access/roles.py``, so a new one is enumerated the day it exists.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable, Iterator
from datetime import date
from urllib.parse import quote

import openpyxl
import pandas as pd
import plotly.io as pio
import pytest
import sqlalchemy as sa
import streamlit as st
from streamlit.testing.v1 import AppTest
from streamlit.util import calc_hash

from dashboard import tabs
from dashboard.charts.common import TEMPLATE
from dashboard.i18n import catalog
from dashboard.nav import PAGE_TABLE, PAGES_DIR
from data_access.auth import load_user
from data_access.engine import create_schema
from data_access.filters import Scope
from data_access.queries.value import SegmentDefinition
from data_access.roles import ALL_PAGES, ROLES
from data_access.schema import branches, customers, metadata, officers
from tests.conftest import PG_URL, _pg_engine_in_fresh_schema
from tests.dashboard.conftest import APP, sign_in_as
from tests.data_access.test_scope_enumeration import Bank

# Roles whose scope is the whole bank: no row is outside it, so their pages are not walked here
# (they are opened by tests/dashboard/test_home_roles.py and the page tests).
UNRESTRICTED = {"admin": "the whole bank"}
# The narrowest assignment each other role can have on the demo bank's first two branches.
ASSIGNMENT: dict[str, Callable[[Bank], dict]] = {
    "president": lambda b: {"branch_id": b.mine},
    "marketing": lambda b: {"branch_ids": (b.mine,)},
    "training": lambda b: {"branch_id": b.mine},
    "officer": lambda b: {"officer_id": b.officer},
    "credit": lambda b: {"branch_id": b.mine},
    "auditor": lambda b: {},
}
WEEK = date(2026, 11, 16)
HOUSE_FONT = pio.templates[TEMPLATE].layout.font.family
# Pages that offer files (lists, the audit log, the weekly report) once asked as below.
FILES = {"kpis", "segments", "funnels", "audit"}
# Pages with a file the walk does not build, and why.
FILES_NOT_WALKED = {
    "data_import": "the rejects of an import just made (admin only: the whole bank)"
}
# What a user does on a page before it offers its files (a list is read only when asked for).
ACTIONS: dict[str, tuple[Callable[[AppTest], AppTest], ...]] = {
    "segments": (lambda at: at.button(key="sg_prepare").click(),),
    "funnels": (lambda at: at.selectbox(key="fn_drop_step").set_value(1),),
}


def test_meta_every_role_and_page_is_enumerated() -> None:
    assert set(ASSIGNMENT) | set(UNRESTRICTED) == set(ROLES)
    assert not set(ASSIGNMENT) & set(UNRESTRICTED)
    assert all(ROLES[r].scope == "bank" for r in UNRESTRICTED)
    assert [row[2] for row in PAGE_TABLE] == list(ALL_PAGES)  # every page is walked below
    offering = {
        url_path
        for _, file, url_path, _, _ in PAGE_TABLE
        if "export_button(" in (PAGES_DIR / file).read_text(encoding="utf-8")
    }
    assert offering == FILES | set(FILES_NOT_WALKED)  # a page's new file is built by the walk


class Seen:
    """Everything one run put on the screen or offered as a file, as text and tables."""

    def __init__(self) -> None:
        self.tables: list[pd.DataFrame] = []
        self.texts: list[str] = []
        self.unstyled: list[str] = []  # charts drawn without the house template

    def add_run(self, at: AppTest) -> None:
        self.tables += [d.value for d in at.dataframe] + [t.value for t in at.table]
        for kind in ("title", "header", "subheader", "markdown", "caption", "text", "info",
                     "warning", "error", "success", "metric", "code", "latex"):  # fmt: skip
            for element in at.get(kind):
                self.texts.append(str(getattr(element, "value", "")))
                self.texts.append(str(getattr(element, "label", "")))
        for chart in at.get("plotly_chart"):
            spec = json.loads(chart.proto.spec or "{}")
            self.texts.append(str(spec))
            template = spec.get("layout", {}).get("template", {}).get("layout", {})
            if template.get("font", {}).get("family") != HOUSE_FONT:
                self.unstyled.append(chart.proto.id or str(spec.get("layout", {}).get("title")))
        for html in at.get("html"):
            self.texts.append(html.proto.body)

    def add_file(self, content: bytes | str) -> None:
        data = content.encode() if isinstance(content, str) else content
        if data.startswith(b"PK"):  # an .xlsx
            sheet = openpyxl.load_workbook(io.BytesIO(data), read_only=True).active
            rows = [list(r) for r in sheet.iter_rows(values_only=True)]
            self.tables.append(pd.DataFrame(rows[1:], columns=[str(c) for c in rows[0]]))
        elif data.lstrip(b"\xef\xbb\xbf").lstrip().startswith((b"<!", b"<html")):
            self.texts.append(data.decode("utf-8"))
        else:
            rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
            self.tables.append(pd.DataFrame(rows[1:], columns=rows[0]))


class Outside:
    """What a scope may not see of the demo bank: ids and the names that betray them."""

    def __init__(self, engine: sa.Engine, bank: Bank, scope: Scope) -> None:
        self.scope = scope
        self.bank = bank
        visible = scope.visible_branch_ids
        with engine.connect() as conn:
            rows = conn.execute(
                sa.select(branches.c.branch_id, branches.c.name, branches.c.name_en)
            )
            self.branch_names = {
                name: b
                for b, zh, en in rows
                if visible is not None and b not in visible
                for name in (zh, en)
            }
            others = sa.select(officers.c.officer_id, officers.c.name)
            self.officer_names = (
                {n: o for o, n in conn.execute(others) if o != scope.officer_id}
                if scope.level == "officer"
                else {}
            )
            self.customer_officer = dict(
                conn.execute(sa.select(customers.c.customer_id, customers.c.officer_id)).all()
            )

    def _customer_outside(self, cid: int) -> bool:
        if self.scope.level == "none":
            return True
        branch, _ = self.bank.owner.get(cid, (None, None))
        visible = self.scope.visible_branch_ids
        if visible is not None and branch not in visible:
            return True
        return (
            self.scope.level == "officer"
            and self.customer_officer.get(cid) != self.scope.officer_id
        )

    def in_tables(self, tables: list[pd.DataFrame]) -> list[str]:
        found = []
        visible = self.scope.visible_branch_ids
        for df in tables:
            for column in df.columns:
                name = str(column)
                values = df[column].dropna().tolist()
                if name == "customer_id":
                    found += [f"customer {v}" for v in values if self._customer_outside(int(v))]
                elif name == "branch_id" and visible is not None:
                    found += [f"branch {v}" for v in values if int(v) not in visible]
                for v in values:
                    if isinstance(v, str) and v in self.branch_names:
                        found.append(f"branch name {v} in column {name}")
        return found

    def in_texts(self, texts: list[str]) -> list[str]:
        blob = "\n".join(texts)
        found = [f"branch name {n}" for n in self.branch_names if n in blob]
        # another officer's name as a whole word of a table or chart (names are 2-3 characters)
        found += [f"officer name {n}" for n in self.officer_names if len(n) >= 2 and n in blob]
        return found


@pytest.fixture(scope="module", params=["duckdb", "postgresql"])
def app_bank(
    request: pytest.FixtureRequest, demo_engine: sa.Engine, demo_app_url: str
) -> Iterator[tuple[sa.Engine, str]]:
    """(engine, URL) of the bank the app runs on: the app tests' DuckDB copy, or a copy of the
    session's PostgreSQL demo bank in a schema of its own (the sign-ins and audit entries of this
    walk must not change the bank other tests compare across backends)."""
    if request.param == "duckdb":
        yield demo_engine, demo_app_url
        return
    source: sa.Engine = request.getfixturevalue("demo_pg_engine")
    with source.connect() as conn:
        old = conn.execute(sa.text("select current_schema()")).scalar_one()
    admin, engine, schema = _pg_engine_in_fresh_schema()
    create_schema(engine)
    with engine.begin() as conn:
        for table in metadata.sorted_tables:
            columns = ", ".join(f'"{c.name}"' for c in table.columns)
            conn.exec_driver_sql(
                f'INSERT INTO "{table.name}" ({columns}) SELECT {columns} FROM "{old}"."{table.name}"'
            )
            for column in table.columns:  # the copy's sequences continue after the copied ids
                if isinstance(column.default, sa.Sequence):
                    conn.exec_driver_sql(
                        f"SELECT setval('{column.default.name}', "
                        f'coalesce((SELECT max("{column.name}") FROM "{table.name}"), 0) + 1, false)'
                    )
    yield engine, f"{PG_URL}?options={quote(f'-csearch_path={schema}')}"
    engine.dispose()
    with admin.begin() as conn:
        conn.execute(sa.schema.DropSchema(schema, cascade=True))
    admin.dispose()


@pytest.fixture(scope="module")
def bank(app_bank: tuple[sa.Engine, str]) -> Bank:
    return Bank(app_bank[0])


@pytest.fixture
def tab_codes(monkeypatch: pytest.MonkeyPatch) -> dict[str, list[str]]:
    """The lazy tabs each page drew (page → codes), so that every tab gets opened."""
    found: dict[str, list[str]] = {}
    original = tabs.lazy_tabs

    def spy(page: str, labels):  # type: ignore[no-untyped-def]
        found[page] = list(labels)
        return original(page, labels)

    monkeypatch.setattr(tabs, "lazy_tabs", spy)
    return found


def _hostile_url(at: AppTest, bank: Bank, other_town: str) -> None:
    """A URL typed by hand: the other branch, another officer, another branch's customer, a
    segment of a town of the other branch, and junk the parser must drop."""
    at.query_params.clear()
    at.query_params.update(
        {
            "lang": "en",
            "week": WEEK.isoformat(),
            "branches": f"{bank.other},{bank.mine},0 OR 1=1",
            "officers": f"{bank.other_officer};DROP TABLE customers",
            "tiers": "vip,mass,' OR ''='",
            "customer": str(bank.other_customer),
            "seg": SegmentDefinition(towns=(other_town, "x' OR 1=1 --")).to_json(),
        }
    )


@pytest.mark.parametrize("role", sorted(ASSIGNMENT))
def test_no_page_tab_or_file_shows_anything_outside_the_roles_scope(
    role: str,
    app_bank: tuple[sa.Engine, str],
    bank: Bank,
    downloads: list,
    tab_codes: dict,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    engine, url = app_bank
    monkeypatch.setenv("FOOTPRINT_DATABASE_URL", url)
    st.cache_data.clear()
    at = AppTest.from_file(APP, default_timeout=120)
    username = sign_in_as(at, url, role, **ASSIGNMENT[role](bank))
    with engine.connect() as conn:
        user = load_user(conn, username)
        other_town = conn.execute(
            sa.select(customers.c.town)
            .where(customers.c.branch_id == bank.other, customers.c.town.is_not(None))
            .limit(1)
        ).scalar_one()
    assert user is not None
    outside = Outside(engine, bank, user.scope)
    refusal = catalog()["access.refused_title"]["en"]
    walked, leaks, unstyled = [], [], []
    for _, _, url_path, _, _ in PAGE_TABLE:
        seen = Seen()
        downloads.clear()
        _hostile_url(at, bank, other_town)
        at._page_hash = calc_hash(url_path)  # the address bar, not a click in the navigation
        at.run()
        assert not at.exception, (role, url_path, at.exception)
        if not user.may_open(url_path):
            assert [t.value for t in at.title] == [refusal], (role, url_path)
            assert not at.dataframe and not at.get("plotly_chart"), (role, url_path)
            continue
        seen.add_run(at)
        for act in ACTIONS.get(url_path, ()):  # what a user does for the page's files
            act(at).run()
            assert not at.exception, (role, url_path, at.exception)
            seen.add_run(at)
        for customer in (bank.mine_customer, None) if url_path == "customer" else ():
            if customer is None:  # no customer: the book's overview
                del at.query_params["customer"]
            else:  # a customer of the own book (the other branch's was asked for above)
                at.query_params["customer"] = str(customer)
            at.run()
            assert not at.exception, (role, url_path, customer, at.exception)
            seen.add_run(at)
        for code in tab_codes.get(url_path, [])[1:]:  # the first tab is open already
            at.session_state[f"tab_{url_path}"] = code
            at.run()
            assert not at.exception, (role, url_path, code, at.exception)
            seen.add_run(at)
        if user.may("export") and url_path in FILES:
            assert downloads, (role, url_path, "offered no file")
        for build in downloads:  # a click on each file the page offered
            seen.add_file(build())
        walked.append(url_path)
        leaks += [f"{url_path}: {x}" for x in outside.in_tables(seen.tables)]
        leaks += [f"{url_path}: {x}" for x in outside.in_texts(seen.texts)]
        unstyled += [f"{url_path}: {x}" for x in seen.unstyled]
    assert leaks == [], leaks
    assert unstyled == [], unstyled  # every chart in the house font and colours
    assert sorted(walked) == sorted(ROLES[role].pages)


def test_the_check_finds_another_branchs_rows_names_and_officers(demo_engine: sa.Engine) -> None:
    """The control: what the walk looks for is found when it is there."""
    bank = Bank(demo_engine)
    outside = Outside(demo_engine, bank, Scope.officer(bank.mine, bank.officer))
    other_branch = next(iter(outside.branch_names))
    colleague = next(iter(outside.officer_names))
    table = pd.DataFrame(
        {"customer_id": [bank.mine_customer, bank.other_customer], "branch": ["x", other_branch]}
    )
    assert len(outside.in_tables([table])) == 2
    assert len(outside.in_texts([f"league: {colleague} 3", other_branch])) == 2
    assert Outside(demo_engine, bank, Scope.bank()).in_tables([table]) == []
