"""Server logs that never hold personal data: an exception is logged by where it happened only.

An exception's message can quote what the code was handling — a customer's name, an ID number,
the bound parameters of a failed SQL statement — and Streamlit logs every uncaught exception of a
page with its message. The launcher (``python -m dashboard``) installs a log-record factory that
replaces each record's exception by its type and the file, line and function of every frame, and
withholds a message that is an exception object. Our own code logs no data values.
"""

from __future__ import annotations

import logging
import traceback
from types import TracebackType

WITHHELD = "(message withheld: it may quote customer data)"


def _where(
    exc_type: type[BaseException], tb: TracebackType | None, exc: BaseException | None
) -> list[str]:
    lines = [
        f'  File "{f.filename}", line {f.lineno}, in {f.name}' for f in traceback.extract_tb(tb)
    ]
    lines.append(f"{exc_type.__module__}.{exc_type.__qualname__} {WITHHELD}")
    cause = exc.__cause__ or exc.__context__ if exc is not None else None
    if cause is not None:  # the driver error behind ours names the failing call too
        lines = [*_where(type(cause), cause.__traceback__, None), "caused:", *lines]
    return lines


def scrub(record: logging.LogRecord) -> logging.LogRecord:
    """The record with its exception reduced to frames and type, and no exception text."""
    if isinstance(record.msg, BaseException):
        record.msg, record.args = f"{type(record.msg).__qualname__} {WITHHELD}", ()
    if record.exc_info and record.exc_info[0] is not None:
        exc_type, exc, tb = record.exc_info
        frames = "\n".join(["Traceback (most recent call last):", *_where(exc_type, tb, exc)])
        record.msg, record.args = f"{record.getMessage()}\n{frames}", ()
        record.exc_info, record.exc_text = None, None
    return record


def install() -> None:
    """Scrub every log record this process creates, from any library (idempotent)."""
    current = logging.getLogRecordFactory()
    if getattr(current, "footprint_scrubs", False):
        return

    def factory(*args, **kwargs) -> logging.LogRecord:
        return scrub(current(*args, **kwargs))

    factory.footprint_scrubs = True  # type: ignore[attr-defined]
    logging.setLogRecordFactory(factory)
