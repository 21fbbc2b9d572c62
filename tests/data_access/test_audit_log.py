"""The audit log nobody can edit from the app, kept at least six months (DuckDB and PostgreSQL).

PostgreSQL refuses in the database itself (``data_access.audit_guard``): UPDATE, TRUNCATE and the
DELETE of an entry younger than six months fail whoever sends them; the retention purge of older
entries passes. DuckDB has no triggers: there the code is read for any statement that changes the
log, and there must be none but the purge.
"""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa

from data_access import audit, audit_guard, migrate
from data_access.errors import InvalidFilter
from data_access.schema import audit_log
from data_access.selection import Period
from metrics.standards import load_standards

ROOT = Path(__file__).resolve().parents[2]


def _seed(engine: sa.Engine) -> None:
    """One entry a year old, one a week old (both by 'li')."""
    with engine.begin() as conn:
        audit.record(conn, "li", "sign_in", at=audit.now() - timedelta(days=365))
        audit.record(conn, "li", "page_view", target="kpis", at=audit.now() - timedelta(days=7))


def _actions(engine: sa.Engine) -> list[str]:
    with engine.connect() as conn:
        return list(
            conn.execute(sa.select(audit_log.c.action).order_by(audit_log.c.audit_id)).scalars()
        )


def test_the_log_reads_the_days_of_a_period_both_ends_included(empty_engine: sa.Engine) -> None:
    first, last = date(2026, 11, 2), date(2026, 11, 4)
    with empty_engine.begin() as conn:
        for at, user in [
            (datetime(2026, 11, 1, 23, 59, 59), "before"),
            (datetime(2026, 11, 2, 0, 0), "first"),
            (datetime(2026, 11, 4, 23, 59, 59), "last"),
            (datetime(2026, 11, 5, 0, 0), "after"),
        ]:
            audit.record(conn, user, "sign_in", at=at)
        audit.record(conn, "last", "page_view", target="kpis", at=datetime(2026, 11, 3, 12))
    with empty_engine.connect() as conn:
        every = audit.fetch_audit(conn, Period(first, last))
        pages = audit.fetch_audit(conn, Period(first, last), "last", ("page_view",))
    assert every["username"].to_list() == ["last", "last", "first"]  # the latest written first
    assert pages["action"].to_list() == ["page_view"]


def test_the_standard_keeps_entries_at_least_six_months() -> None:
    kept = load_standards().alerts.audit_retention_days
    assert kept >= audit_guard.RETENTION_FLOOR_DAYS == audit.RETENTION_DAYS >= 183


def test_the_retention_purge_deletes_only_entries_older_than_six_months(
    empty_engine: sa.Engine,
) -> None:
    _seed(empty_engine)
    with empty_engine.begin() as conn, pytest.raises(InvalidFilter, match="at least 183"):
        audit.prune(conn, 90)
    with empty_engine.begin() as conn:
        assert audit.prune(conn, load_standards().alerts.audit_retention_days) == 1
    assert _actions(empty_engine) == ["page_view"]


@pytest.mark.parametrize(
    "statement",
    [
        pytest.param("UPDATE audit_log SET username = 'someone else'", id="update"),
        pytest.param(
            "UPDATE audit_log SET detail = NULL WHERE action = 'sign_in'", id="update-old"
        ),
        pytest.param("DELETE FROM audit_log", id="delete-all"),
        pytest.param("DELETE FROM audit_log WHERE action = 'page_view'", id="delete-young"),
        pytest.param("TRUNCATE audit_log", id="truncate"),
    ],
)
def test_postgresql_refuses_any_edit_of_the_log(empty_engine: sa.Engine, statement: str) -> None:
    if empty_engine.dialect.name != "postgresql":
        # DuckDB has no triggers: the code has no such statement (the test below reads it)
        with empty_engine.connect() as conn:
            assert not audit_guard.is_installed(conn)
        return
    _seed(empty_engine)
    with empty_engine.connect() as conn:
        assert audit_guard.is_installed(conn)
    with pytest.raises(sa.exc.DBAPIError, match="append-only"), empty_engine.begin() as conn:
        conn.exec_driver_sql(statement)
    assert _actions(empty_engine) == ["sign_in", "page_view"]
    with empty_engine.connect() as conn:
        assert conn.execute(sa.select(audit_log.c.username).distinct()).scalars().all() == ["li"]


def test_the_guard_lets_a_purge_of_old_entries_through(empty_engine: sa.Engine) -> None:
    _seed(empty_engine)
    cutoff = datetime.now() - timedelta(days=200)
    with empty_engine.begin() as conn:  # a direct DELETE of old entries: the purge's own kind
        deleted = conn.execute(
            sa.text("DELETE FROM audit_log WHERE occurred_at < :cutoff"), {"cutoff": cutoff}
        ).rowcount
    assert deleted == 1
    assert _actions(empty_engine) == ["page_view"]


def test_the_migration_guards_a_log_made_before_it(blank_engine: sa.Engine) -> None:
    """A bank at revision 0005 keeps its entries and gets the guard with 0006; downgrade lifts it."""
    migrate.upgrade(blank_engine, "0005")
    _seed(blank_engine)
    migrate.upgrade(blank_engine)
    assert _actions(blank_engine) == ["sign_in", "page_view"]
    pg = blank_engine.dialect.name == "postgresql"
    with blank_engine.connect() as conn:
        assert audit_guard.is_installed(conn) is pg
    if pg:
        with pytest.raises(sa.exc.DBAPIError, match="append-only"), blank_engine.begin() as conn:
            conn.exec_driver_sql("UPDATE audit_log SET username = 'x'")
    migrate.upgrade(blank_engine, "0006")  # already there: nothing to do
    with blank_engine.begin() as conn:
        from alembic import command

        command.downgrade(migrate.alembic_config(conn), "0005")
    with blank_engine.begin() as conn:
        assert not audit_guard.is_installed(conn)
        conn.exec_driver_sql("UPDATE audit_log SET username = 'x'")  # unguarded again


# --- the code: no path of the app edits the log (DuckDB's protection) -------------------------

_EDITS = re.compile(
    r"audit_log\s*\.\s*(update|delete)\s*\("
    r"|\b(update|delete\s+from|truncate(\s+table)?)\s+[\"'`]?audit_log\b",
    re.IGNORECASE,
)
_INSERTS = re.compile(r"audit_log\s*\.\s*insert\s*\(|\binsert\s+into\s+[\"'`]?audit_log\b", re.I)


def _app_sources() -> dict[str, str]:
    """Every Python file the app and its command line run (not the tests, not the migrations)."""
    found = {}
    for folder in ("dashboard", "data_access", "metrics", "bench", "packaging"):
        for path in sorted((ROOT / folder).rglob("*.py")):
            rel = path.relative_to(ROOT).as_posix()
            if "/migrations/" not in rel:
                found[rel] = path.read_text(encoding="utf-8")
    return found


def test_no_code_path_updates_or_deletes_the_log_but_the_purge() -> None:
    edits = {
        (rel, m.group(0))
        for rel, text in _app_sources().items()
        for m in _EDITS.finditer(text)
        if rel != "data_access/audit_guard.py"  # the trigger's own DDL names the statements
    }
    assert edits == {("data_access/audit.py", "audit_log.delete(")}
    text = (ROOT / "data_access" / "audit.py").read_text(encoding="utf-8")
    purge = text[text.index("def prune(") :].split("\ndef ", 1)[0]
    assert "audit_log.delete(" in purge and "RETENTION_DAYS" in purge


def test_every_entry_is_written_by_audit_record() -> None:
    """One writer, which knows every action: the auditor page can filter by each of them."""
    inserts = {rel for rel, text in _app_sources().items() if _INSERTS.search(text)}
    assert inserts == {"data_access/audit.py"}
    with pytest.raises(InvalidFilter, match="unknown audit action"):
        audit.record(None, "li", "look_around")  # type: ignore[arg-type]


def test_the_purge_command_deletes_past_the_standards_retention_and_says_so(
    empty_engine: sa.Engine, capsys: pytest.CaptureFixture[str]
) -> None:
    """`python -m data_access audit-prune`: the old entry goes (through the PostgreSQL guard),
    the young one stays, and the purge itself is one entry with the rows it deleted."""
    from data_access.cli import main

    _seed(empty_engine)
    url = empty_engine.url.render_as_string(hide_password=False)
    if empty_engine.dialect.name == "postgresql":  # the fixture's schema travels in the URL
        with empty_engine.connect() as conn:
            schema = conn.execute(sa.text("select current_schema()")).scalar_one()
        url = empty_engine.url.update_query_dict({"options": f"-csearch_path={schema}"})
        url = url.render_as_string(hide_password=False)
    assert main(["audit-prune", "--url", url]) == 0
    assert "1 entries older than 183 days deleted" in capsys.readouterr().out
    assert _actions(empty_engine) == ["page_view", "audit_prune"]
    with empty_engine.connect() as conn:
        purge = conn.execute(
            sa.select(audit_log.c.username, audit_log.c.row_count).where(
                audit_log.c.action == "audit_prune"
            )
        ).one()
    assert purge.username.startswith("cli") and purge.row_count == 1
