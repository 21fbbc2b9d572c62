"""Suggestion outcomes (AppTest on the demo bank): an officer answers a suggestion on the customer
page; the answer is stored and audited, and the outcomes page counts it per rule and per officer."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
import sqlalchemy as sa
from streamlit.testing.v1 import AppTest

from data_access.queries.feedback import MAX_NOTE
from data_access.schema import audit_log, customers, nbp_feedback


@pytest.fixture
def answers(demo_engine: sa.Engine) -> Iterator[None]:
    """Answers recorded on the shared demo bank are removed afterwards."""
    yield
    with demo_engine.begin() as conn:
        conn.execute(nbp_feedback.delete())
        conn.execute(audit_log.delete().where(audit_log.c.action == "nbp_feedback"))


@pytest.fixture
def answer_form(
    app_test: Callable[..., AppTest], demo_engine: sa.Engine, answers: None
) -> Callable[[str], tuple[int, AppTest, Any, str]]:
    """Factory: the first open customer with an officer, on their page in ``lang``: (customer id,
    the page, the first suggestion's answer box, its product); answers are removed afterwards."""

    def open_form(lang: str) -> tuple[int, AppTest, Any, str]:
        with demo_engine.connect() as conn:
            cid = conn.execute(
                sa.select(customers.c.customer_id)
                .where(customers.c.closed_on.is_(None), customers.c.officer_id.is_not(None))
                .order_by(customers.c.customer_id)
                .limit(1)
            ).scalar_one()
        at = app_test("customer", lang=lang, customer=str(cid))
        assert not at.exception
        boxes = [s for s in at.selectbox if str(s.key or "").startswith("cu_fb_answer_")]
        assert boxes, "every suggestion has an answer form"
        return cid, at, boxes[0], str(boxes[0].key).removeprefix("cu_fb_answer_")

    return open_form


def _record(at: AppTest, label: str) -> None:
    """Click the answer form's button labelled ``label``; the page runs without an exception."""
    next(b for b in at.button if b.label == label).click()
    at.run()
    assert not at.exception


def _refused(at: AppTest, demo_engine: sa.Engine) -> str:
    """The one 'Not saved' error of a refused answer, after checking nothing was recorded."""
    [error] = [e.value for e in at.error if "Not saved" in e.value]
    assert not at.success
    assert _answers_and_audit(demo_engine) == (0, 0)
    return error


def _answers_and_audit(demo_engine: sa.Engine) -> tuple[int, int]:
    """Answers stored, and audit entries of answers."""
    with demo_engine.connect() as conn:
        stored = conn.execute(sa.select(sa.func.count()).select_from(nbp_feedback)).scalar_one()
        audited = conn.execute(
            sa.select(sa.func.count()).where(audit_log.c.action == "nbp_feedback")
        ).scalar_one()
    return stored, audited


def test_no_answers_yet(app_test: Callable[..., AppTest]) -> None:
    at = app_test("suggestions", lang="en")
    assert not at.exception
    assert at.title[0].value == "Suggestion outcomes"
    assert any("No officer has answered" in i.value for i in at.info)


@pytest.mark.slow
def test_answer_on_the_customer_page_shows_on_the_outcomes_page(
    answer_form: Callable[[str], tuple[int, AppTest, Any, str]], demo_engine: sa.Engine
) -> None:
    cid, at, box, product = answer_form("zh")
    box.set_value("dismiss:holds_elsewhere")
    _record(at, "记录判断")
    assert any("已记录" in s.value for s in at.success)
    with demo_engine.connect() as conn:
        row = conn.execute(sa.select(nbp_feedback)).mappings().one()
    assert (row["customer_id"], row["product"], row["decision"]) == (cid, product, "dismiss")
    assert _answers_and_audit(demo_engine) == (1, 1)

    at.switch_page("pages/suggestions.py").run()
    assert not at.exception
    assert next(m.value for m in at.metric if m.label == "判断次数") == "1"
    assert next(m.value for m in at.metric if m.label == "采纳率") == "0.0%"
    reasons = at.dataframe[2].value
    assert reasons.iloc[0, 0] == "❌ 不采纳 · 已在他行办理"


@pytest.mark.slow
@pytest.mark.parametrize(
    ("answer", "note", "named"),
    [
        # too long, and a control character: each named
        pytest.param(
            "accept:will_call", "\x07" + "x" * (MAX_NOTE + 1), {"note:": 2}, id="bad-note"
        ),
        pytest.param(
            None, "called, no answer", {"Your answer: choose accept or dismiss": 1}, id="no-answer"
        ),
    ],
)
def test_a_bad_answer_is_refused_by_field_and_nothing_is_written(
    answer_form: Callable[[str], tuple[int, AppTest, Any, str]],
    demo_engine: sa.Engine,
    answer: str | None,
    note: str,
    named: dict[str, int],
) -> None:
    _, at, box, product = answer_form("en")
    # no answer is preset: a preset 'accept' would be recorded by an officer who only meant to
    # write a note
    assert box.value is None
    if answer is not None:
        box.set_value(answer)
    at.text_input(key=f"cu_fb_note_{product}").set_value(note)
    _record(at, "Record answer")
    error = _refused(at, demo_engine)
    assert {problem: error.count(problem) for problem in named} == named
