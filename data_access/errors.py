"""Domain exceptions: the dashboard shows these; driver errors never reach a page."""

from __future__ import annotations


class FootprintError(Exception):
    """Base class of every error the data-access layer raises on purpose."""


class DataUnavailable(FootprintError):
    """The database cannot be reached or answered with a driver error."""


class SchemaMissing(FootprintError):
    """The database is reachable but holds no Footprint schema (run ``python -m data_access init``)."""


class DatabaseNotEmpty(FootprintError):
    """Refused to write the demo bank over existing data without ``--replace``."""


class InvalidFilter(FootprintError, ValueError):
    """A filter or scope value is malformed (wrong type, end before start, unknown tier)."""


class InvalidImport(FootprintError, ValueError):
    """An import file does not match the schema; nothing was written."""
