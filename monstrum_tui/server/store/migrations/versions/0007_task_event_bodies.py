"""Task events keep their wire JSON: ``task_events.body``, the event serialised once
when it is stored, which the event stream sends as it is.

Events stored before this revision have no body (NULL): they are serialised from their
columns and payload when read, as they always were.

Revision ID: 0007
Revises: 0006
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    inspector = sa.inspect(op.get_bind())
    if "body" in {c["name"] for c in inspector.get_columns("task_events")}:
        return  # adopted from a build that made it itself
    with op.batch_alter_table("task_events") as batch:
        batch.add_column(sa.Column("body", sa.Text(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("task_events") as batch:
        batch.drop_column("body")
