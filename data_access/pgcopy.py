"""PostgreSQL's ``COPY … FROM STDIN`` statement, composed with psycopg's SQL objects (names
quoted by the driver, never by string formatting): the bulk path of the demo load, the marts and
the import."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from psycopg import sql


def copy_csv_from_stdin(table: str, columns: Sequence[str], header: bool = False) -> sql.Composed:
    """``COPY "table" ("a", "b") FROM STDIN (FORMAT csv[, HEADER true])``."""
    from psycopg import sql  # only PostgreSQL needs the driver

    options = "FORMAT csv, HEADER true" if header else "FORMAT csv"
    return sql.SQL("COPY {} ({}) FROM STDIN ({})").format(
        sql.Identifier(table), sql.SQL(", ").join(map(sql.Identifier, columns)), sql.SQL(options)
    )
