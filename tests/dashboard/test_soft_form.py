"""The soft-footprint form refuses what it should, all at once, in the user's language, keeping
what the officer typed and writing nothing; a driver error never logs the statement's parameters."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from datetime import date, datetime

import pytest
import sqlalchemy as sa
from streamlit.testing.v1 import AppTest

from data_access.errors import InvalidImport
from data_access.filters import Scope
from data_access.queries.customer import SoftFootprintEntry, insert_soft_footprint
from data_access.schema import soft_footprints
from data_access.soft_entry import InvalidSoftFootprint, soft_footprint_problems
from tests.dashboard.test_customer_page import car_owner  # noqa: F401  (fixture)

TODAY = date(2026, 12, 7)


def _entry(**kw: object) -> SoftFootprintEntry:
    base: dict[str, object] = {
        "customer_id": 1,
        "kind": "vehicle",
        "captured_at": datetime(2026, 12, 1, 10, 0),
        "detail": "white SUV",
    }
    return SoftFootprintEntry(**(base | kw))  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("entry", "fields"),
    [
        pytest.param(_entry(detail="a\x00b"), {"detail"}, id="nul"),
        pytest.param(_entry(detail="x" * 1_000_000), {"detail"}, id="1MB-text"),
        pytest.param(_entry(captured_at=datetime(2035, 1, 1)), {"captured_at"}, id="2035"),
        pytest.param(_entry(amount=1e300), {"amount"}, id="1e300"),
        pytest.param(_entry(amount=float("nan")), {"amount"}, id="nan"),
        pytest.param(
            _entry(kind="fuel_receipt", fuel_grade=95, litres=10_000.0), {"litres"}, id="10000L"
        ),
        pytest.param(
            _entry(kind="fuel_receipt", fuel_grade=95, litres=-20.0), {"litres"}, id="negative-L"
        ),
        pytest.param(_entry(kind="family_event", detail=""), {"detail"}, id="empty-event"),
        pytest.param(_entry(kind="fuel_receipt"), {"fuel_grade", "litres"}, id="fuel-bare"),
        pytest.param(
            _entry(place="p" * 65, confidence=2.0, captured_at=datetime(2099, 1, 1)),
            {"place", "confidence", "captured_at"},
            id="three-at-once",
        ),
        pytest.param(_entry(customer_id=10**25), {"customer_id"}, id="25-digit-id"),
    ],
)
def test_every_problem_is_named(entry: SoftFootprintEntry, fields: set[str]) -> None:
    assert {p.field for p in soft_footprint_problems(entry, TODAY)} == fields


def test_an_ordinary_entry_passes() -> None:
    assert soft_footprint_problems(_entry(), TODAY) == []
    fuel = _entry(kind="fuel_receipt", fuel_grade=98, litres=45.0, detail=None, amount=360.0)
    assert soft_footprint_problems(fuel, TODAY) == []


def test_a_refused_entry_writes_nothing_and_logs_no_parameters_on_postgresql(
    demo_pg_engine: sa.Engine, caplog: pytest.LogCaptureFixture
) -> None:
    engine = demo_pg_engine
    with engine.connect() as conn:
        cid = conn.execute(sa.text("select min(customer_id) from customers")).scalar_one()
        before = conn.execute(sa.select(sa.func.count()).select_from(soft_footprints)).scalar_one()
    with caplog.at_level(logging.DEBUG), pytest.raises(InvalidSoftFootprint):
        insert_soft_footprint(
            engine, Scope.bank(), _entry(customer_id=cid, detail="身份证 110101\x00 secret")
        )
    with engine.connect() as conn:
        after = conn.execute(sa.select(sa.func.count()).select_from(soft_footprints)).scalar_one()
    assert after == before
    assert "secret" not in caplog.text


def test_driver_errors_carry_no_parameters(tmp_path) -> None:
    from data_access.engine import make_engine

    engine = make_engine(f"duckdb:///{tmp_path / 'x.duckdb'}")
    with engine.begin() as conn:
        conn.execute(sa.text("create table t (a integer)"))
    with pytest.raises(sa.exc.DBAPIError) as err, engine.begin() as conn:
        conn.execute(sa.text("insert into t values (:a)"), {"a": "110101199001011234 secret"})
    engine.dispose()
    # SQLAlchemy's echo of the parameters is off (the driver's own words go nowhere but the
    # exception, which connect() turns into a message without them)
    assert "[SQL parameters hidden due to hide_parameters=True]" in str(err.value)


# --- the form, in the app --------------------------------------------------------------------


@pytest.fixture
def cleanup(demo_engine: sa.Engine) -> Iterator[None]:
    with demo_engine.connect() as conn:
        before = conn.execute(sa.select(sa.func.max(soft_footprints.c.soft_id))).scalar_one()
    yield
    with demo_engine.begin() as conn:
        conn.execute(soft_footprints.delete().where(soft_footprints.c.soft_id > before))


def _count(engine: sa.Engine) -> int:
    with engine.connect() as conn:
        return conn.execute(sa.select(sa.func.count()).select_from(soft_footprints)).scalar_one()


@pytest.fixture
def car_owner_page(
    app_test: Callable[..., AppTest],
    car_owner: dict,  # noqa: F811
    cleanup: None,
) -> Callable[[str], AppTest]:
    """Factory: the car owner's customer page in ``lang``; soft footprints saved are removed after."""
    return lambda lang: app_test("customer", lang=lang, customer=str(car_owner["customer_id"]))


def _submit(at: AppTest, label: str, **values: object) -> AppTest:
    """Fill the form's fields (session-state keys) with ``values`` and click ``label``."""
    for key, value in values.items():
        at.session_state[key] = value
    next(b for b in at.button if b.label == label).click()
    return at.run()


FORM_CASES = [
    pytest.param(
        {"cu_kind": "fuel_receipt", "cu_grade": 95, "cu_litres": 10_000.0}, ["Litres"], id="10000L"
    ),
    pytest.param(
        {"cu_kind": "fuel_receipt", "cu_grade": 95, "cu_litres": -5.0}, ["Litres"], id="neg"
    ),
    pytest.param({"cu_kind": "family_event"}, ["Detail"], id="empty-event"),
    pytest.param({"cu_on": date(2035, 1, 1), "cu_detail": "new car"}, ["Observed on"], id="2035"),
    pytest.param({"cu_amount": 1e300, "cu_detail": "wedding"}, ["Amount"], id="1e300"),
    pytest.param({"cu_detail": "x\x00y"}, ["Detail"], id="nul"),
    pytest.param({"cu_detail": "长" * 1_000_000}, ["Detail"], id="1MB"),
    pytest.param(
        {"cu_kind": "fuel_receipt", "cu_litres": -1.0, "cu_on": date(2099, 1, 1)},
        ["Litres", "Observed on", "Fuel grade"],
        id="all-at-once",
    ),
]


@pytest.mark.parametrize(("values", "fields"), FORM_CASES)
def test_the_form_refuses_keeps_the_entry_and_writes_nothing(
    car_owner_page: Callable[[str], AppTest],
    demo_engine: sa.Engine,
    values: dict[str, object],
    fields: list[str],
) -> None:
    at = car_owner_page("en")
    before = _count(demo_engine)
    at = _submit(at, "Save", **values)
    assert not at.exception, [e.value for e in at.exception]
    errors = "\n".join(e.value for e in at.error)
    assert "Not saved" in errors
    for field in fields:
        assert f"- {field}" in errors, (field, errors)
    assert _count(demo_engine) == before
    for key, value in values.items():  # what the officer typed is still there
        assert at.session_state[key] == value


def test_the_form_speaks_chinese(car_owner_page: Callable[[str], AppTest]) -> None:
    at = car_owner_page("zh")
    at = _submit(at, "保存", cu_kind="fuel_receipt", cu_litres=10_000.0, cu_grade=95)
    errors = "\n".join(e.value for e in at.error)
    assert "未保存" in errors and "不能超过 300" in errors and "升数" in errors
    assert "must" not in errors


def test_a_good_entry_is_saved_and_the_form_emptied(
    car_owner_page: Callable[[str], AppTest], demo_engine: sa.Engine
) -> None:
    at = car_owner_page("en")
    before = _count(demo_engine)
    at = _submit(at, "Save", cu_kind="fuel_receipt", cu_grade=98, cu_litres=52.5)
    assert not at.exception and not at.error
    assert _count(demo_engine) == before + 1
    assert at.session_state["cu_litres"] == 0.0
    assert isinstance(InvalidSoftFootprint([]), InvalidImport)


def _newest(engine: sa.Engine, customer_id: int) -> tuple[int, str | None]:
    s = soft_footprints.c
    stmt = sa.select(s.soft_id, s.detail).where(s.customer_id == customer_id)
    with engine.connect() as conn:
        return tuple(conn.execute(stmt.order_by(s.soft_id.desc()).limit(1)).one())


def test_an_entry_can_be_corrected_and_withdrawn_from_the_page(
    car_owner_page: Callable[[str], AppTest],
    demo_engine: sa.Engine,
    car_owner: dict,  # noqa: F811
) -> None:
    cid = car_owner["customer_id"]
    at = _submit(car_owner_page("en"), "Save", cu_kind="vehicle", cu_detail="grey van")
    first_id, detail = _newest(demo_engine, cid)
    assert detail == "grey van"
    # correct it: the form is filled with the entry, saving replaces it
    at.selectbox(key="cu_change_pick").set_value(first_id).run()
    at.button(key="cu_correct").click().run()
    assert at.session_state["cu_detail"] == "grey van"
    assert any(f"Correcting soft footprint no. {first_id}" in i.value for i in at.info)
    at = _submit(at, "Save", cu_detail="grey van, 2019")
    assert not at.exception and not at.error
    second_id, detail = _newest(demo_engine, cid)
    assert second_id != first_id and detail == "grey van, 2019"
    with demo_engine.connect() as conn:
        gone = conn.execute(
            sa.select(sa.func.count()).where(soft_footprints.c.soft_id == first_id)
        ).scalar_one()
    assert gone == 0
    # withdraw it: asked first
    at.selectbox(key="cu_change_pick").set_value(second_id).run()
    at.button(key="cu_withdraw").click().run()
    assert any("Withdraw soft footprint" in w.value for w in at.warning)
    at.button(key="cu_withdraw_yes").click().run()
    assert not at.exception
    assert any(f"no. {second_id} withdrawn" in s.value for s in at.success)
    assert _newest(demo_engine, cid)[0] != second_id
