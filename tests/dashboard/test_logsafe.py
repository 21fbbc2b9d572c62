"""The server's log never quotes an exception's message (it may hold a customer's data)."""

from __future__ import annotations

import io
import logging
from collections.abc import Iterator

import pytest

from dashboard import logsafe

NAME, ID_NUMBER = "王小明", "110101199003071234"


@pytest.fixture
def log() -> Iterator[tuple[logging.Logger, io.StringIO]]:
    """A logger named like Streamlit's, writing to a string, with the scrubbing factory installed."""
    old = logging.getLogRecordFactory()
    logsafe.install()
    logsafe.install()  # idempotent: one layer of scrubbing
    out = io.StringIO()
    handler = logging.StreamHandler(out)
    logger = logging.getLogger("streamlit.error_util.test")
    logger.addHandler(handler)
    logger.propagate = False
    try:
        yield logger, out
    finally:
        logger.removeHandler(handler)
        logging.setLogRecordFactory(old)


def _fail() -> None:
    try:
        {}[NAME]
    except KeyError as exc:
        raise ValueError(f"no customer {NAME} with ID {ID_NUMBER}") from exc


def test_an_uncaught_page_exception_is_logged_by_place_not_by_message(log) -> None:
    logger, out = log
    try:
        _fail()
    except ValueError as exc:
        logger.error("Uncaught app execution", exc_info=exc)
    text = out.getvalue()
    assert NAME not in text and ID_NUMBER not in text
    assert "Uncaught app execution" in text
    assert "builtins.ValueError (message withheld" in text
    assert "builtins.KeyError (message withheld" in text  # the cause, also by place
    assert "test_logsafe.py" in text and "in _fail" in text


def test_an_exception_logged_as_the_message_is_withheld(log) -> None:
    logger, out = log
    logger.warning(ValueError(f"bad value {ID_NUMBER}"))
    assert out.getvalue().strip() == "ValueError (message withheld: it may quote customer data)"


def test_ordinary_messages_are_kept(log) -> None:
    logger, out = log
    logger.warning("server started on port %d", 8501)
    assert out.getvalue().strip() == "server started on port 8501"
