"""Engines for DuckDB (embedded default), PostgreSQL (production) and Spark SQL (hive://)."""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import sqlalchemy as sa
from sqlalchemy.pool import StaticPool

from data_access.errors import BadDatabaseUrl, DatabaseBusy, DataUnavailable, SchemaMissing
from data_access.schema import metadata

# hive:// is Spark SQL's Thrift server, through PyHive with the fixes in data_access.dialects
sa.dialects.registry.register("hive", "data_access.dialects", "SparkDialect")

log = logging.getLogger(__name__)


def parse_url(url: str) -> sa.URL:
    """The URL, or BadDatabaseUrl when it is not one (the text is not repeated: it may hold a
    password)."""
    try:
        return sa.make_url(url)
    except (sa.exc.ArgumentError, ValueError, TypeError) as exc:
        raise BadDatabaseUrl("unparseable", "") from exc


def dialect_of(url: str) -> str:
    """'duckdb', 'postgresql', 'hive' ... from a URL."""
    return parse_url(url).get_backend_name()


def make_engine(url: str, *, read_only: bool = False) -> sa.Engine:
    """An Engine with the right pool for the backend; connects lazily. A URL that is not one, or
    whose driver is missing, raises BadDatabaseUrl."""
    parsed = parse_url(url)
    try:
        return _create(url, parsed.get_backend_name(), read_only)
    except (sa.exc.NoSuchModuleError, ImportError) as exc:
        raise BadDatabaseUrl("driver_missing", parsed.drivername) from exc
    except sa.exc.ArgumentError as exc:
        raise BadDatabaseUrl("unparseable", parsed.drivername) from exc


def _create(url: str, backend: str, read_only: bool) -> sa.Engine:
    # statements carry personal data (soft footprints, names): never put their parameters into
    # exception messages or logs
    kwargs: dict = {"hide_parameters": True}
    if backend == "duckdb":
        if ":memory:" in url or url.rstrip("/") == "duckdb:":
            kwargs["poolclass"] = StaticPool  # one in-memory database shared by all checkouts
        if read_only:
            kwargs["connect_args"] = {"read_only": True}
    elif backend == "postgresql":
        kwargs["pool_pre_ping"] = True
    return sa.create_engine(url, **kwargs)


def lock_holder(exc: BaseException) -> str | None:
    """For DuckDB's 'could not set lock' error: who holds the file ("PID 123", or ""); else None."""
    text = str(getattr(exc, "orig", None) or exc)
    if "Could not set lock on file" not in text:
        return None
    pid = re.search(r"PID \d+", text)
    return pid.group(0) if pid else ""


def _is_connection(exc: sa.exc.DBAPIError) -> bool:
    return exc.connection_invalidated or isinstance(exc, sa.exc.OperationalError)


@contextmanager
def connect(engine: sa.Engine) -> Iterator[sa.Connection]:
    """A connection whose driver errors become DataUnavailable (DatabaseBusy for a held file)."""
    try:
        with engine.connect() as conn:
            yield conn
    except sa.exc.DBAPIError as exc:
        holder = lock_holder(exc)
        if holder is not None:
            raise DatabaseBusy(holder) from exc
        # the driver's text can quote the statement's values (personal data): class and code only
        log.warning(
            "database error %s %s",
            type(exc.orig or exc).__name__,
            getattr(exc.orig, "sqlstate", "") or "",
        )
        what = "no connection to the database" if _is_connection(exc) else "a database error"
        raise DataUnavailable(f"{what} ({type(exc.orig or exc).__name__})") from exc
    except sa.exc.OperationalError as exc:  # pragma: no cover - subclass of DBAPIError
        raise DataUnavailable(str(exc)) from exc


def create_schema(engine: sa.Engine) -> None:
    """Every table at the code's schema: created and stamped when empty, else upgraded (Alembic)."""
    from data_access.migrate import create_or_upgrade  # Alembic is needed only here

    create_or_upgrade(engine)


def drop_schema(engine: sa.Engine) -> None:
    """Drop every Footprint table and the schema version (used by ``init --replace`` and tests)."""
    from data_access.migrate import drop_version_table

    metadata.drop_all(engine)
    with engine.begin() as conn:
        drop_version_table(conn)


def has_schema(conn: sa.Connection) -> bool:
    """True when the Footprint tables exist."""
    return sa.inspect(conn).has_table("footprints")


def require_schema(conn: sa.Connection) -> None:
    """Raise SchemaMissing when the database holds no Footprint tables."""
    if not has_schema(conn):
        raise SchemaMissing(
            "the database has no Footprint tables: run `python -m data_access init`"
        )


@contextmanager
def duckdb_memory_limit(raw: Any, limit: str) -> Iterator[None]:
    """DuckDB's buffer pool capped at ``limit`` on a driver connection, the old cap put back after.

    The setting is global to the database instance, so every pooled connection obeys it; its
    default, 80% of RAM, would keep much of a bulk load in memory.
    """
    before = raw.execute("SELECT current_setting('memory_limit')").fetchone()[0]
    raw.execute("SET memory_limit = ?", [limit])
    try:
        yield
    finally:
        raw.execute("SET memory_limit = ?", [before])
