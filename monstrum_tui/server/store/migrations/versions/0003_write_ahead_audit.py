"""The write-ahead audit: a format and a sealed outcome on every entry, longer statuses.

Entries written from here on are format 2: chained when the call is decided (status
``pending``), their outcome bound afterwards by ``outcome_hash`` and sealed by
``outcome_mac`` (server/audit/chain.py). Older entries keep format 1 and verify as
before. ``status`` grows to 16 characters for ``pending``, ``unknown`` and what follows.

Revision ID: 0003
Revises: 0002
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # a database adopted from before migrations may have some of them already (made by
    # a build that added them itself): add only what is missing
    existing = {c["name"] for c in sa.inspect(op.get_bind()).get_columns("audit_log")}
    with op.batch_alter_table("audit_log") as batch:
        if "fmt" not in existing:
            batch.add_column(sa.Column("fmt", sa.Integer(), nullable=False, server_default="1"))
        for name in ("outcome_hash", "outcome_mac"):
            if name not in existing:
                batch.add_column(sa.Column(name, sa.String(64), nullable=True))
        batch.alter_column("status", existing_type=sa.String(8), type_=sa.String(16),
                           existing_nullable=False)


def downgrade() -> None:
    with op.batch_alter_table("audit_log") as batch:
        batch.alter_column("status", existing_type=sa.String(16), type_=sa.String(8),
                           existing_nullable=False)
        batch.drop_column("outcome_mac")
        batch.drop_column("outcome_hash")
        batch.drop_column("fmt")
