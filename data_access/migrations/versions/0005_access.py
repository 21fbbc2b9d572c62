"""access control: sessions, export approvals; users' listed branches and single-sign-on subject;
the row count of audit entries (the sign-in, roles and audit work)."""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"

SEQUENCE = sa.Sequence("export_approvals_id_seq")


def upgrade() -> None:
    """Add the columns and create user_sessions and export_approvals."""
    op.add_column(
        "users",
        sa.Column(
            "branch_ids", sa.String(400), nullable=True, comment="marketing: listed branches, '3,5'"
        ),
    )
    op.add_column(
        "users",
        sa.Column("oidc_subject", sa.String(200), nullable=True, comment="issuer's subject (sub)"),
    )
    op.add_column(
        "audit_log",
        sa.Column("row_count", sa.BigInteger, nullable=True, comment="rows shown or exported"),
    )
    op.create_table(
        "user_sessions",
        sa.Column("token_hash", sa.String(64), primary_key=True, comment="sha256 of the token"),
        sa.Column("username", sa.String(64), nullable=False),
        sa.Column("created_at", sa.DateTime, nullable=False),
        sa.Column("last_seen_at", sa.DateTime, nullable=False),
        sa.Column("expires_at", sa.DateTime, nullable=False, comment="absolute end of the session"),
        sa.Column("ended_at", sa.DateTime, nullable=True, comment="signed out or revoked"),
    )
    op.execute(sa.schema.CreateSequence(SEQUENCE))
    op.create_table(
        "export_approvals",
        sa.Column("approval_id", sa.Integer, SEQUENCE, primary_key=True),
        sa.Column("requested_by", sa.String(64), nullable=False),
        sa.Column("requested_at", sa.DateTime, nullable=False),
        sa.Column(
            "target", sa.String(128), nullable=False, comment="which list, as the exporter names it"
        ),
        sa.Column("row_count", sa.BigInteger, nullable=False),
        sa.Column("filters", sa.Text, nullable=True, comment="JSON"),
        sa.Column(
            "status", sa.String(12), nullable=False, comment="pending / approved / rejected / used"
        ),
        sa.Column("decided_by", sa.String(64), nullable=True),
        sa.Column("decided_at", sa.DateTime, nullable=True),
    )


def downgrade() -> None:
    """Drop what upgrade added."""
    op.drop_table("export_approvals")
    op.execute(sa.schema.DropSequence(SEQUENCE))
    op.drop_table("user_sessions")
    op.drop_column("audit_log", "row_count")
    op.drop_column("users", "oidc_subject")
    op.drop_column("users", "branch_ids")
