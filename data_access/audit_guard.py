"""The audit log is append-only in the database itself, not only in the app's code.

On PostgreSQL a trigger refuses every UPDATE and TRUNCATE of ``audit_log``, and every DELETE of an
entry younger than ``RETENTION_FLOOR_DAYS`` (six months): only the retention purge
(``data_access.audit.prune``) of older entries gets through, whoever runs the statement. It is
installed by ``metadata.create_all`` (an ``after_create`` hook in ``schema.py``) and by migration
0006 for databases made before it; both call ``install`` so that the rule is written once.

DuckDB has no triggers: there the log is protected by the app having no statement that updates or
deletes it (``tests/data_access/test_audit_log.py`` reads the code for one) and by the database
file belonging to the dashboard's service account alone.
"""

from __future__ import annotations

import sqlalchemy as sa

from metrics.standards import AUDIT_RETENTION_FLOOR_DAYS

# Six months at the least; the standard's ``alerts.audit_retention_days`` may keep entries longer.
RETENTION_FLOOR_DAYS = AUDIT_RETENTION_FLOOR_DAYS

FUNCTION = "audit_log_append_only"
ROW_TRIGGER = "audit_log_no_edit"
TRUNCATE_TRIGGER = "audit_log_no_truncate"


def _statements() -> list[str]:
    return [
        f"""
CREATE OR REPLACE FUNCTION {FUNCTION}() RETURNS trigger LANGUAGE plpgsql AS $guard$
BEGIN
    IF TG_OP = 'DELETE'
       AND OLD.occurred_at < localtimestamp - interval '{RETENTION_FLOOR_DAYS} days' THEN
        RETURN OLD;  -- the retention purge of entries older than six months
    END IF;
    RAISE EXCEPTION USING ERRCODE = 'insufficient_privilege', MESSAGE = 'audit_log is '
        || 'append-only: ' || TG_OP || ' refused (only entries older than '
        || '{RETENTION_FLOOR_DAYS} days may be deleted)';
END
$guard$""",
        f"DROP TRIGGER IF EXISTS {ROW_TRIGGER} ON audit_log",
        f"CREATE TRIGGER {ROW_TRIGGER} BEFORE UPDATE OR DELETE ON audit_log"
        f" FOR EACH ROW EXECUTE FUNCTION {FUNCTION}()",
        f"DROP TRIGGER IF EXISTS {TRUNCATE_TRIGGER} ON audit_log",
        f"CREATE TRIGGER {TRUNCATE_TRIGGER} BEFORE TRUNCATE ON audit_log"
        f" FOR EACH STATEMENT EXECUTE FUNCTION {FUNCTION}()",
    ]


_REMOVE = (
    f"DROP TRIGGER IF EXISTS {TRUNCATE_TRIGGER} ON audit_log",
    f"DROP TRIGGER IF EXISTS {ROW_TRIGGER} ON audit_log",
    f"DROP FUNCTION IF EXISTS {FUNCTION}()",
)


def install(conn: sa.Connection) -> None:
    """Make ``audit_log`` append-only on PostgreSQL (idempotent; nothing to do on DuckDB)."""
    if conn.dialect.name != "postgresql":
        return
    for statement in _statements():
        conn.exec_driver_sql(statement)


def remove(conn: sa.Connection) -> None:
    """Undo ``install`` (the migration's downgrade)."""
    if conn.dialect.name != "postgresql":
        return
    for statement in _REMOVE:
        conn.exec_driver_sql(statement)


def is_installed(conn: sa.Connection) -> bool:
    """Whether both triggers guard ``audit_log`` (PostgreSQL; False elsewhere)."""
    if conn.dialect.name != "postgresql":
        return False
    found = conn.execute(
        sa.text(
            "SELECT count(*) FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid"
            " WHERE c.relname = 'audit_log' AND c.relnamespace = current_schema()::regnamespace"
            " AND t.tgname IN (:row, :truncate) AND t.tgenabled <> 'D'"
        ),
        {"row": ROW_TRIGGER, "truncate": TRUNCATE_TRIGGER},
    ).scalar_one()
    return found == 2
