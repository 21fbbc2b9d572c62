"""${message}"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
${imports if imports else ""}
## Alembic reads only the variables below; the docstring's first paragraph is the revision's
## message in `alembic history`. No "Revision ID / Revises / Create Date" block: the variables say
## the first two and git the third. branch_labels / depends_on only when a revision has them.
## Spell columns out with sa.Column, not with schema.py's column helpers: what a revision creates
## must stay what it created the day it was written, whatever those helpers become.
revision = ${repr(up_revision)}
down_revision = ${repr(down_revision)}
% if branch_labels:
branch_labels = ${repr(branch_labels)}
% endif
% if depends_on:
depends_on = ${repr(depends_on)}
% endif


def upgrade() -> None:
    """What this revision adds or changes."""
    ${upgrades if upgrades else "pass"}


def downgrade() -> None:
    """Undo ``upgrade``."""
    ${downgrades if downgrades else "pass"}
