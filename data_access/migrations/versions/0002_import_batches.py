"""import_batches: one row per committed import of the bank's own data (the import work)."""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"

SEQUENCE = sa.Sequence("import_batches_id_seq")


def upgrade() -> None:
    """Create import_batches and the sequence numbering it."""
    op.execute(sa.schema.CreateSequence(SEQUENCE))
    op.create_table(
        "import_batches",
        sa.Column("batch_id", sa.BigInteger, SEQUENCE, primary_key=True),
        sa.Column("started_at", sa.DateTime, nullable=False),
        sa.Column("finished_at", sa.DateTime, nullable=False),
        sa.Column("username", sa.String(64), nullable=False),
        sa.Column("target_table", sa.String(40), nullable=False),
        sa.Column("mapping", sa.String(64), nullable=False),
        sa.Column("file_name", sa.String(256), nullable=False),
        sa.Column("file_sha256", sa.String(64), nullable=False),
        sa.Column("encoding", sa.String(16), nullable=False, comment="'' for Excel and Parquet"),
        sa.Column("rows_read", sa.BigInteger, nullable=False),
        sa.Column("inserted", sa.BigInteger, nullable=False),
        sa.Column("updated", sa.BigInteger, nullable=False),
        sa.Column("unchanged", sa.BigInteger, nullable=False),
        sa.Column("rejected", sa.BigInteger, nullable=False),
        comment="one row per committed import (python -m data_access import, the admin page)",
    )


def downgrade() -> None:
    """Drop import_batches and its sequence."""
    op.drop_table("import_batches")
    op.execute(sa.schema.DropSequence(SEQUENCE))
