"""Human approval and shadow mode: the ``approvals`` table (calls waiting for a person,
and the decisions) and ``bots.enforce`` (``log_only``: would-be denials run, audited).

Revision ID: 0006
Revises: 0005
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    inspector = sa.inspect(op.get_bind())
    if "enforce" not in {c["name"] for c in inspector.get_columns("bots")}:
        with op.batch_alter_table("bots") as batch:
            batch.add_column(sa.Column("enforce", sa.String(16), nullable=False,
                                       server_default="enforce"))
    if inspector.has_table("approvals"):
        return  # adopted from a build that made it itself
    op.create_table(
        "approvals",
        sa.Column("id", sa.String(40), primary_key=True),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("bot_id", sa.String(40), nullable=False),
        sa.Column("task_id", sa.String(40), nullable=True),
        sa.Column("resource_id", sa.String(80), nullable=False),
        sa.Column("tool_name", sa.String(200), nullable=False),
        sa.Column("operation", sa.String(200), nullable=True),
        sa.Column("params", sa.JSON(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("audit_id", sa.String(40), nullable=True),
        sa.Column("via", sa.String(8), nullable=False),
        sa.Column("requested_by", sa.String(40), nullable=True),
        sa.Column("created_at", sa.BigInteger(), nullable=False),
        sa.Column("expires_at", sa.BigInteger(), nullable=False),
        sa.Column("decided_at", sa.BigInteger(), nullable=True),
        sa.Column("decided_by", sa.String(40), nullable=True),
        sa.Column("decided_by_name", sa.String(100), nullable=True),
        sa.Column("decision_reason", sa.Text(), nullable=False),
    )
    op.create_index("ix_approvals_status", "approvals", ["status", "id"])
    op.create_index("ix_approvals_task", "approvals", ["task_id"])


def downgrade() -> None:
    op.drop_index("ix_approvals_task", table_name="approvals")
    op.drop_index("ix_approvals_status", table_name="approvals")
    op.drop_table("approvals")
    with op.batch_alter_table("bots") as batch:
        batch.drop_column("enforce")
