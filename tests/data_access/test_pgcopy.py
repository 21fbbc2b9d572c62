"""The COPY statement is composed by the driver: names are quoted, never formatted in."""

from __future__ import annotations

from data_access.pgcopy import copy_csv_from_stdin


def test_names_are_quoted_by_the_driver() -> None:
    stmt = copy_csv_from_stdin('odd"name', ["a", "b c"])
    assert stmt.as_string(None) == 'COPY "odd""name" ("a", "b c") FROM STDIN (FORMAT csv)'


def test_a_header_line_is_asked_for_only_when_the_payload_has_one() -> None:
    stmt = copy_csv_from_stdin("m", ["x"], header=True)
    assert stmt.as_string(None) == 'COPY "m" ("x") FROM STDIN (FORMAT csv, HEADER true)'
