"""audit log append-only on PostgreSQL: a trigger refuses UPDATE, TRUNCATE and the DELETE of entries
younger than six months (the retention purge of older ones passes).

The rule lives in ``data_access.audit_guard`` (a fresh database gets it from ``create_all``); this
revision installs the same rule in databases made before it. Nothing changes on DuckDB.
"""

from __future__ import annotations

from alembic import op

from data_access import audit_guard

revision = "0006"
down_revision = "0005"


def upgrade() -> None:
    """Install the append-only trigger on audit_log (PostgreSQL)."""
    audit_guard.install(op.get_bind())


def downgrade() -> None:
    """Remove the trigger and its function."""
    audit_guard.remove(op.get_bind())
