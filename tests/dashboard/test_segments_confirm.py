"""Saved segments: replacing and deleting ask first, who saved what is shown and audited, and a
malformed saved segment never breaks the page."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import datetime

import pytest
import sqlalchemy as sa

from data_access.schema import audit_log, saved_segments


@pytest.fixture
def clean(demo_engine: sa.Engine) -> Iterator[None]:
    yield
    with demo_engine.begin() as conn:
        conn.execute(saved_segments.delete().where(saved_segments.c.name.like("t-%")))


def _definition(engine: sa.Engine, name: str) -> dict | None:
    with engine.connect() as conn:
        text = conn.execute(
            sa.select(saved_segments.c.definition).where(saved_segments.c.name == name)
        ).scalar()
    return json.loads(text) if text else None


def _actions(engine: sa.Engine, name: str) -> list[str]:
    with engine.connect() as conn:
        stmt = sa.select(audit_log.c.action).where(audit_log.c.target == name)
        return list(conn.execute(stmt.order_by(audit_log.c.audit_id)).scalars())


def _save_as(at, name: str, tiers: list[str]):  # type: ignore[no-untyped-def]
    at.multiselect(key="sg_tiers").set_value(tiers).run()
    at.text_input(key="sg_name").set_value(name).run()
    return at.button(key="sg_save").click().run()


def test_saving_under_an_existing_name_asks_before_replacing(
    app_test, demo_engine: sa.Engine, clean: None
) -> None:
    at = app_test("segments", lang="en")
    _save_as(at, "t-vip", ["vip"])
    at = _save_as(at, "t-vip", ["mass"])
    assert not at.exception
    assert any("exists already" in w.value for w in at.warning)
    assert _definition(demo_engine, "t-vip")["tiers"] == ["vip"]  # nothing replaced yet
    at.button(key="sg_confirm_no").click().run()
    assert _definition(demo_engine, "t-vip")["tiers"] == ["vip"]
    at = _save_as(at, "t-vip", ["mass"])
    at.button(key="sg_confirm_yes").click().run()
    assert not at.exception
    assert _definition(demo_engine, "t-vip")["tiers"] == ["mass"]
    assert _actions(demo_engine, "t-vip") == ["save_segment", "replace_segment"]


def test_delete_asks_and_cancel_keeps_the_segment(
    app_test, demo_engine: sa.Engine, clean: None
) -> None:
    at = app_test("segments", lang="zh")
    _save_as(at, "t-del", ["affluent"])
    at.selectbox(key="sg_pick").set_value("t-del").run()
    assert any("由 admin 保存于" in c.value for c in at.caption)  # who saved it, and when
    at.button(key="sg_delete").click().run()
    assert any("确定删除" in w.value for w in at.warning)
    at.button(key="sg_confirm_no").click().run()
    assert _definition(demo_engine, "t-del") is not None
    at.button(key="sg_delete").click().run()
    at.button(key="sg_confirm_yes").click().run()
    assert not at.exception
    assert _definition(demo_engine, "t-del") is None
    at.run()  # the next click: nothing more is written
    assert _actions(demo_engine, "t-del") == ["save_segment", "delete_segment"]  # once each


MALFORMED = [
    {"towns": ["Atlantis"]},
    {"age_min": "x", "age_max": 40},
    {"age_min": 500},
    {"clv_min": -5},
    {"clv_min": 1e308, "clv_max": 1e308},
    {"tiers": "vip"},
    {"rfm_segments": ["unheard_of"]},
    {"age_min": True},
    [1, 2, 3],
    "[" * 100_000,
]


@pytest.mark.parametrize("definition", MALFORMED, ids=[str(i) for i in range(len(MALFORMED))])
def test_a_malformed_saved_segment_never_breaks_the_page(
    app_test, demo_engine: sa.Engine, clean: None, definition: object
) -> None:
    text = definition if isinstance(definition, str) else json.dumps(definition)
    with demo_engine.begin() as conn:
        conn.execute(
            saved_segments.insert().values(
                name="t-bad", owner="admin", definition=text, created_at=datetime.now()
            )
        )
    at = app_test("segments", lang="en")
    at.selectbox(key="sg_pick").set_value("t-bad").run()
    at.button(key="sg_load").click().run()
    assert not at.exception, [e.value for e in at.exception]
    at.run()  # and every run after it
    at.multiselect(key="sg_tiers").set_value(["vip"]).run()
    assert not at.exception, [e.value for e in at.exception]
