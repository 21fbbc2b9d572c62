"""Customer search: relevance order, count, paging, scope, sidebar picks and the right to find by
phone or ID number — literal customers on DuckDB and PostgreSQL, and the Spark SQL it compiles to."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from datetime import date

import pytest
import sqlalchemy as sa

from data_access import schema
from data_access.dialects import SparkDialect
from data_access.engine import create_schema
from data_access.filters import FINDABLE, Scope
from data_access.masking import KINDS
from data_access.queries import customer as q
from data_access.roles import scope_for
from data_access.selection import Selection
from tests.rows import insert_staff

# (id, branch, officer, name, phone, ID number, AUM and tier in the value mart or None)
CUSTOMERS = [
    (120, 1, 11, "王小明", "13800000120", "430723198001011111", (5_000.0, "mass")),
    (12, 1, 11, "张三", "13812341234", "43072319700101123X", (80_000.0, "affluent")),
    (1201, 1, 12, "张三丰", "13900001234", "430723197001012222", (300_000.0, "vip")),
    (3120, 2, 21, "李张三", "13700009999", "430723197001013333", (1_000.0, "mass")),
    (45, 2, 21, "张三", "13600001234", "430723197001014444", (500_000.0, "vip")),
    (46, 1, 11, "张三", "13600002222", None, None),  # not in the value mart yet
    (7, 1, 12, "赵_四%", None, None, (10.0, "mass")),
    (8, 1, 11, "张三妹", "13600003333", "430723197001015555", (2_000.0, "mass")),
]
FINDER = Scope.bank(reveal=KINDS)  # clear values: these tests read the query, not the masking
FINDER = replace(FINDER, find_by=FINDABLE)
NO_RIGHTS = Scope.bank(reveal=KINDS)  # may see the bank, may not find by phone or ID number


def seed(engine: sa.Engine) -> None:
    """Two branches, three officers and the customers above."""
    with engine.begin() as conn:
        insert_staff(conn, (1, 2), ((o, o // 10) for o in (11, 12, 21)))
        conn.execute(
            schema.customers.insert(),
            [
                {"customer_id": cid, "branch_id": b, "officer_id": o, "name": name,
                 "phone": phone, "id_number": idn, "town": "城关镇",
                 "opened_on": date(2010, 1, 1)}
                for cid, b, o, name, phone, idn, _ in CUSTOMERS
            ],
        )  # fmt: skip
        conn.execute(
            schema.customer_value.insert(),
            [
                {"customer_id": cid, "branch_id": b, "officer_id": o, "as_of": date(2026, 11, 22),
                 "aum": v[0], "tier": v[1], "effective": True, "recency_days": 3,
                 "frequency_count": 1, "monetary_amount": 1.0, "r_score": 3, "f_score": 3,
                 "m_score": 3, "rfm_segment": "champions"}
                for cid, b, o, _, _, _, v in CUSTOMERS
                if v is not None
            ],
        )  # fmt: skip


@pytest.fixture(scope="module", params=["duckdb", "postgresql"])
def bank(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[sa.Engine]:
    """The customers above on one backend (read-only tests, built once per backend)."""
    from tests.conftest import engine_on

    with engine_on(request.param, tmp_path_factory.mktemp("search") / "search.duckdb") as engine:
        create_schema(engine)
        seed(engine)
        yield engine


def found(
    bank: sa.Engine, scope: Scope, text: str, picks: Selection | None = None, **paging: int
) -> tuple[list[int], int]:
    """(ids of the page in order, total count) for ``scope``, or for ``picks`` when given."""
    selection = picks if picks is not None else Selection(scope)
    with bank.connect() as conn:
        page = q.search_customers(conn, selection, text, **paging)
        total = q.count_customer_search(conn, selection, text)
    return page["customer_id"].to_list(), total


@pytest.mark.parametrize(
    ("scope", "text", "expected"),
    [
        # exact name (by AUM, the one without a value last), then prefix, then contains
        pytest.param(FINDER, "张三", [45, 12, 46, 1201, 8, 3120], id="name-exact-prefix-contains"),
        # exact number, then numbers starting 12 (by AUM), then containing 12
        pytest.param(FINDER, "12", [12, 1201, 120, 3120], id="number-exact-prefix-contains"),
        # a masked name from a list (张*): its visible start, every one a prefix match, by AUM
        pytest.param(FINDER, "张*", [45, 1201, 12, 8, 46], id="masked-name-is-a-prefix"),
        pytest.param(FINDER, "1234", [45, 1201, 12], id="phone-last-4-by-aum"),
        pytest.param(FINDER, "13812341234", [12], id="whole-phone"),
        pytest.param(FINDER, "43072319700101123x", [12], id="id-number-any-case"),
        pytest.param(FINDER, "430723197001014444", [45], id="id-number-digits"),
        pytest.param(FINDER, "0120", [120], id="leading-zero-is-a-phone-end-not-number-120"),
        pytest.param(FINDER, "_", [7], id="underscore-is-literal"),
        pytest.param(FINDER, "%", [7], id="percent-is-literal"),
        pytest.param(FINDER, " ** ", [], id="only-stars"),
        pytest.param(FINDER, "", [], id="blank"),
        pytest.param(FINDER, "赵", [7], id="name-with-wildcards-found-by-prefix"),
    ],
)
def test_relevance_order_and_count(
    bank: sa.Engine, scope: Scope, text: str, expected: list[int]
) -> None:
    ids, total = found(bank, scope, text)
    assert ids == expected
    assert total == len(expected)


def test_match_column_says_how_each_matched(bank: sa.Engine) -> None:
    with bank.connect() as conn:
        page = q.search_customers(conn, Selection(FINDER), "张三")
    assert page["match"].to_list() == [
        q.MATCH_EXACT, q.MATCH_EXACT, q.MATCH_EXACT, q.MATCH_PREFIX, q.MATCH_PREFIX,
        q.MATCH_CONTAINS,
    ]  # fmt: skip


@pytest.mark.parametrize(
    ("page", "size", "expected"),
    [
        pytest.param(1, 4, [45, 12, 46, 1201], id="first-page-full"),
        pytest.param(2, 4, [8, 3120], id="last-page-short"),
        pytest.param(3, 4, [], id="past-the-end"),
        pytest.param(2, 3, [1201, 8, 3120], id="exact-boundary"),
        pytest.param(6, 1, [3120], id="one-per-page-last"),
        pytest.param(0, 4, [45, 12, 46, 1201], id="page-0-is-page-1"),
    ],
)
def test_paging(bank: sa.Engine, page: int, size: int, expected: list[int]) -> None:
    ids, total = found(bank, FINDER, "张三", page=page, page_size=size)
    assert (ids, total) == (expected, 6)


@pytest.mark.parametrize(
    ("scope", "text", "expected"),
    [
        pytest.param(replace(Scope.officer(1, 11), find_by=FINDABLE), "张三", [12, 46, 8],
                     id="officer-own-book-only"),
        pytest.param(replace(Scope.officer(1, 11), find_by=FINDABLE), "1234", [12],
                     id="officer-phone-own-book"),
        pytest.param(replace(Scope.officer(1, 11), find_by=FINDABLE), "430723197001012222", [],
                     id="officer-colleague-id-number"),
        pytest.param(replace(Scope.officer(1, 12), find_by=FINDABLE), "1201", [1201],
                     id="colleague-finds-own"),
        pytest.param(Scope.branch(2), "张三", [45, 3120], id="branch"),
        pytest.param(Scope.nothing(), "张三", [], id="no-rows"),
        pytest.param(NO_RIGHTS, "1234", [], id="no-right-no-phone"),
        pytest.param(NO_RIGHTS, "0120", [], id="no-right-leading-zero-no-number"),
        pytest.param(NO_RIGHTS, "43072319700101123X", [], id="no-right-no-id-number"),
        pytest.param(NO_RIGHTS, "12", [12, 1201, 120, 3120], id="no-right-number-still"),
    ],
)  # fmt: skip
def test_scope_and_rights(bank: sa.Engine, scope: Scope, text: str, expected: list[int]) -> None:
    ids, total = found(bank, scope, text)
    assert (ids, total) == (expected, len(expected))


def test_officer_never_finds_another_officers_customer(bank: sa.Engine) -> None:
    officer = replace(Scope.officer(1, 11), find_by=FINDABLE)
    others = {cid for cid, _, o, *_ in CUSTOMERS if o != 11}
    for text in ("张", "三", "1", "2", "1234", "*", "李", "赵", "43072319700101", "13"):
        ids, _ = found(bank, officer, text, page_size=50)
        assert not others & set(ids), text


@pytest.mark.parametrize(
    ("picks", "expected"),
    [
        pytest.param(Selection(FINDER, branch_ids=(2,)), [45, 3120], id="branch-pick"),
        pytest.param(Selection(FINDER, officer_ids=(11,)), [12, 46, 8], id="officer-pick"),
        pytest.param(Selection(FINDER, tiers=("vip",)), [45, 1201], id="tier-pick"),
        pytest.param(Selection(FINDER, branch_ids=(1,), tiers=("mass",)), [8], id="both"),
    ],
)
def test_sidebar_picks(bank: sa.Engine, picks: Selection, expected: list[int]) -> None:
    assert found(bank, FINDER, "张三", picks) == (expected, len(expected))


def test_roles_grant_finding_by_phone_and_id_number() -> None:
    officer = scope_for("officer", 1, 11)
    assert officer.find_by == FINDABLE and officer.reveal == ()
    assert scope_for("credit", 1, None).find_by == FINDABLE
    assert scope_for("marketing", None, None).find_by == ()
    assert scope_for("training", None, None).find_by == ()
    assert scope_for("auditor", None, None).find_by == ()


def test_results_leave_masked_and_without_id_numbers(bank: sa.Engine) -> None:
    with bank.connect() as conn:
        page = q.search_customers(
            conn, Selection(scope_for("officer", 1, 11)), "43072319700101123X"
        )
    assert page.select("customer_id", "name", "phone").rows() == [(12, "张*", "138****1234")]
    assert "id_number" not in page.columns


def test_compiles_for_spark() -> None:
    stmt = q.select_customer_search(Selection(FINDER, tiers=("vip",)), "张三", page=2)
    sql = str(stmt.compile(dialect=SparkDialect()))  # type: ignore[union-attr]
    assert "LIMIT" in sql and "OFFSET" in sql and "ESCAPE '!'" in sql
    count = q.select_customer_search_count(Selection(FINDER), "12")
    assert "CAST(`customers`.`customer_id` AS STRING)" in str(
        count.compile(dialect=SparkDialect())  # type: ignore[union-attr]
    )
