"""nbp_feedback: officers accept or dismiss a next-best-product suggestion, with a reason."""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"

SEQUENCE = sa.Sequence("nbp_feedback_id_seq")


def upgrade() -> None:
    """Create nbp_feedback and the sequence numbering it."""
    op.execute(sa.schema.CreateSequence(SEQUENCE))
    op.create_table(
        "nbp_feedback",
        sa.Column("feedback_id", sa.BigInteger, SEQUENCE, primary_key=True),
        sa.Column("customer_id", sa.BigInteger, nullable=False),
        sa.Column("branch_id", sa.Integer, nullable=False),
        sa.Column("officer_id", sa.Integer, nullable=True, comment="who answered"),
        sa.Column("product", sa.String(24), nullable=False),
        sa.Column(
            "rule", sa.String(32), nullable=True, comment="the offer behind it; null: peers only"
        ),
        sa.Column("score", sa.Double, nullable=True),
        sa.Column("decision", sa.String(8), nullable=False, comment="accept / dismiss"),
        sa.Column("reason", sa.String(24), nullable=False),
        sa.Column("note", sa.Text, nullable=True),
        sa.Column("decided_at", sa.DateTime, nullable=False),
        comment="officers' answers to next-best-product suggestions; outcomes are read from holdings",
    )


def downgrade() -> None:
    """Drop nbp_feedback and its sequence."""
    op.drop_table("nbp_feedback")
    op.execute(sa.schema.DropSequence(SEQUENCE))
