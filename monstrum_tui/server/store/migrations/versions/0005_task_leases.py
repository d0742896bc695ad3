"""Task leases: several server processes share the task queue.

A task is claimed by one process (``owner``) for a lease it renews while it runs
(``lease_until``, microseconds); a task whose lease passed is taken over by another
process. ``cancel_requested`` carries a cancel to the process that runs the task;
``resumes`` counts take-overs.

Revision ID: 0005
Revises: 0004
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    inspector = sa.inspect(op.get_bind())
    existing = {c["name"] for c in inspector.get_columns("tasks")}
    indexes = {i["name"] for i in inspector.get_indexes("tasks")}
    with op.batch_alter_table("tasks") as batch:
        if "owner" not in existing:
            batch.add_column(sa.Column("owner", sa.String(120), nullable=True))
        if "lease_until" not in existing:
            batch.add_column(sa.Column("lease_until", sa.BigInteger(), nullable=True))
        if "cancel_requested" not in existing:
            batch.add_column(sa.Column("cancel_requested", sa.Text(), nullable=True))
        if "resumes" not in existing:
            batch.add_column(sa.Column("resumes", sa.Integer(), nullable=False,
                                       server_default="0"))
    if "ix_tasks_owner" not in indexes:  # adopted from a build that made it itself
        op.create_index("ix_tasks_owner", "tasks", ["owner"])


def downgrade() -> None:
    op.drop_index("ix_tasks_owner", table_name="tasks")
    with op.batch_alter_table("tasks") as batch:
        for name in ("resumes", "cancel_requested", "lease_until", "owner"):
            batch.drop_column(name)
