"""Domain exceptions: the dashboard shows these; driver errors never reach a page."""

from __future__ import annotations


class FootprintError(Exception):
    """Base class of every error the data-access layer raises on purpose."""


class DataUnavailable(FootprintError):
    """The database cannot be reached or answered with a driver error."""


class DatabaseBusy(DataUnavailable):
    """Another process holds the embedded DuckDB file: DuckDB allows one such process per file."""

    def __init__(self, holder: str) -> None:
        self.holder = holder  # e.g. "PID 20643", or "" when DuckDB did not say
        by = f" ({holder})" if holder else ""
        super().__init__(
            f"another program{by} has the DuckDB file open (a data load, a refresh or the "
            "dashboard); DuckDB lets one program use a file at a time"
        )


class BadDatabaseUrl(FootprintError):
    """The configured database URL cannot be used: not a URL, or its driver is not installed."""

    def __init__(self, reason: str, scheme: str) -> None:
        self.reason = reason  # "unparseable" or "driver_missing"
        self.scheme = scheme  # e.g. "mysql+pymysql"; "" when the URL could not be read at all
        what = {
            "unparseable": "is not a database URL (expected e.g. postgresql+psycopg://user@host/db)",
            "driver_missing": f"needs a driver that is not installed ({scheme})",
        }[reason]
        super().__init__(f"the database setting (FOOTPRINT_DATABASE_URL) {what}")


class SchemaMissing(FootprintError):
    """The database is reachable but holds no Footprint schema (run ``python -m data_access init``)."""


class DatabaseNotEmpty(FootprintError):
    """Refused to write the demo bank over existing data without ``--replace``."""


class NotDemoData(DatabaseNotEmpty):
    """The embedded database holds rows the demo did not write and no complete-load stamp."""

    def __init__(self, message: str, customers: int) -> None:
        self.customers = customers
        super().__init__(message)


class InvalidFilter(FootprintError, ValueError):
    """A filter or scope value is malformed (wrong type, end before start, unknown tier)."""


class SegmentExists(FootprintError):
    """The owner already has a segment of that name; replacing it needs the user's yes."""

    def __init__(self, name: str) -> None:
        self.name = name
        super().__init__(f"a segment called {name!r} exists already")


class InvalidImport(FootprintError, ValueError):
    """An import file does not match the schema; nothing was written."""
