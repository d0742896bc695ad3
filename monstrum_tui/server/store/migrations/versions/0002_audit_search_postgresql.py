"""Audit search on PostgreSQL: trigram (pg_trgm) GIN indexes on params and reason.

``GET /v1/audit?q=`` is a case-insensitive substring match (FTS5's trigram table does
it on SQLite). On PostgreSQL ``ILIKE '%q%'`` uses these indexes for 3+ characters.
pg_trgm ships with PostgreSQL and is a trusted extension (13+), so the database's
owner may create it; where that is refused, search still works, by scanning, and the
upgrade says so. Nothing to do on SQLite.

Revision ID: 0002
Revises: 0001
"""

from __future__ import annotations

import logging

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

log = logging.getLogger("monstrum.migrations")

INDEXES = {"ix_audit_params_trgm": "params", "ix_audit_reason_trgm": "reason"}


def upgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name != "postgresql":
        return
    try:
        with bind.begin_nested():
            bind.execute(sa.text("CREATE EXTENSION IF NOT EXISTS pg_trgm"))
    except sa.exc.DBAPIError as exc:
        log.warning(
            "audit search: could not create the pg_trgm extension (%s); text search "
            "will scan the audit log. As a superuser: CREATE EXTENSION pg_trgm; then "
            "create the indexes of migration 0002 by hand.", exc.orig,
        )
        return
    for name, column in INDEXES.items():
        op.create_index(
            name, "audit_log", [column],
            postgresql_using="gin", postgresql_ops={column: "gin_trgm_ops"},
            if_not_exists=True,
        )


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    for name in INDEXES:
        op.execute(f"DROP INDEX IF EXISTS {name}")
