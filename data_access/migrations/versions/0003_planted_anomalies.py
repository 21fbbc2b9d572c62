"""planted_anomalies: the anomalies the demo generator planted, to score the weekly flags."""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"


def upgrade() -> None:
    """Create planted_anomalies (filled only by the demo generator)."""
    op.create_table(
        "planted_anomalies",
        sa.Column("branch_id", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("week_start", sa.Date, primary_key=True, comment="Monday"),
        sa.Column("kpi", sa.String(24), primary_key=True),
        sa.Column("direction", sa.String(5), nullable=False, comment="drop / spike"),
        sa.Column("kind", sa.String(32), nullable=False, comment="what the generator did"),
        comment="demo bank only: the anomalies the generator planted, to score the weekly flags",
    )


def downgrade() -> None:
    """Drop planted_anomalies."""
    op.drop_table("planted_anomalies")
