"""Baseline: the schema as it stood before migrations (commit 88ec5db).

On an empty database this creates it. A database made before migrations, by
``metadata.create_all`` and the audit log's own DDL, is adopted in place: whatever
tables, indexes or SQLite full-text table it lacks are created, and one made before
audit seals gets the ``mac`` columns, its existing rows marked ``pre-seal`` (the first
audit log opened with the key seals them, see ``audit/log.py``). Nothing is dropped.

Frozen: this file describes that schema, so it must not import today's tables.

Revision ID: 0001
Revises:
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

#: written into the seal column of rows made before seals; = audit.seal.PRE_SEAL
#: (tests/test_migrations.py upgrades such a database and verifies it)
PRE_SEAL = "pre-seal"
SEALED = ("audit_checkpoints", "audit_anchors", "audit_head")
FTS_TABLE = "audit_fts"


def _schema() -> sa.MetaData:
    m = sa.MetaData()
    ts = sa.BigInteger  # store.columns.Timestamp: integer microseconds since the epoch
    seq = sa.BigInteger().with_variant(sa.Integer(), "sqlite")  # the rowid on SQLite
    sa.Table(
        "api_keys", m,
        sa.Column("id", sa.String(40), primary_key=True),
        sa.Column("name", sa.String(100), nullable=False),
        sa.Column("key_hash", sa.String(64), nullable=False, unique=True),
        sa.Column("prefix", sa.String(16), nullable=False),
        sa.Column("scopes", sa.JSON, nullable=False),
        sa.Column("created_at", ts, nullable=False),
        sa.Column("last_used_at", ts),
    )
    sa.Table(
        "bots", m,
        sa.Column("id", sa.String(40), primary_key=True),
        sa.Column("name", sa.String(100), nullable=False),
        sa.Column("description", sa.Text, nullable=False),
        sa.Column("model", sa.String(200), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("allowed_operations", sa.JSON, nullable=False),
        sa.Column("resource_bindings", sa.JSON, nullable=False),
        sa.Column("created_at", ts, nullable=False),
        sa.Column("updated_at", ts, nullable=False),
    )
    sa.Table(
        "bot_bindings", m,
        sa.Column("bot_id", sa.String(40), nullable=False),
        sa.Column("resource_id", sa.String(80), nullable=False),
        sa.Index("ix_bot_bindings_resource", "resource_id"),
        sa.Index("ix_bot_bindings_bot", "bot_id"),
    )
    sa.Table(
        "resources", m,
        sa.Column("id", sa.String(80), primary_key=True),
        sa.Column("type", sa.String(100), nullable=False),
        sa.Column("name", sa.String(100), nullable=False),
        sa.Column("config", sa.JSON, nullable=False),
        sa.Column("credentials", sa.Text, nullable=False),
        sa.Column("credential_fields", sa.JSON, nullable=False),
        sa.Column("created_at", ts, nullable=False),
        sa.Column("updated_at", ts, nullable=False),
        sa.Index("ix_resources_type", "type"),
    )
    sa.Table(
        "integrations", m,
        sa.Column("name", sa.String(64), primary_key=True),
        sa.Column("version", sa.String(100), nullable=False),
        sa.Column("type_id", sa.String(64), nullable=False, unique=True),
        sa.Column("manifest", sa.JSON, nullable=False),
        sa.Column("source", sa.Text, nullable=False),
        sa.Column("digest", sa.String(64), nullable=False),
        sa.Column("builtin", sa.Integer, nullable=False),
        sa.Column("installed_at", ts, nullable=False),
        sa.Column("updated_at", ts, nullable=False),
    )
    sa.Table(
        "tasks", m,
        sa.Column("id", sa.String(40), primary_key=True),
        sa.Column("bot_id", sa.String(40), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("input", sa.Text, nullable=False),
        sa.Column("output", sa.Text),
        sa.Column("error", sa.Text),
        sa.Column("metadata", sa.JSON, nullable=False),
        sa.Column("tool_calls", sa.Integer, nullable=False),
        sa.Column("denials", sa.Integer, nullable=False),
        sa.Column("created_at", ts, nullable=False),
        sa.Column("started_at", ts),
        sa.Column("finished_at", ts),
        sa.Index("ix_tasks_bot", "bot_id", "id"),
        sa.Index("ix_tasks_status", "status", "id"),
        sa.Index("ix_tasks_created", "created_at"),
    )
    sa.Table(
        "task_events", m,
        sa.Column("task_id", sa.String(40), nullable=False),
        sa.Column("seq", sa.Integer, nullable=False),
        sa.Column("type", sa.String(16), nullable=False),
        sa.Column("payload", sa.JSON, nullable=False),
        sa.Column("timestamp", ts, nullable=False),
        sa.PrimaryKeyConstraint("task_id", "seq", name="pk_task_events"),
    )
    sa.Table(
        "audit_log", m,
        sa.Column("seq", seq, primary_key=True, autoincrement=False),
        sa.Column("id", sa.String(40), nullable=False, unique=True),
        sa.Column("ts", sa.BigInteger, nullable=False),
        sa.Column("bot_id", sa.String(40), nullable=False),
        sa.Column("task_id", sa.String(40)),
        sa.Column("resource_id", sa.String(80)),
        sa.Column("tool_name", sa.String(200), nullable=False),
        sa.Column("operation", sa.String(200)),
        sa.Column("params", sa.Text, nullable=False),
        sa.Column("status", sa.String(8), nullable=False),
        sa.Column("reason", sa.Text, nullable=False),
        sa.Column("decision", sa.Text),
        sa.Column("duration_ms", sa.Float(53)),
        sa.Column("result_size", sa.BigInteger),
        sa.Column("prev_hash", sa.String(64), nullable=False),
        sa.Column("hash", sa.String(64), nullable=False),
        sa.Index("ix_audit_ts", "ts", "seq"),
        sa.Index("ix_audit_task", "task_id", "seq"),
        sa.Index("ix_audit_status", "status", "seq"),
        sa.Index("ix_audit_tool", "tool_name", "seq", "bot_id", "status"),
        sa.Index("ix_audit_resource", "resource_id", "seq", "bot_id", "tool_name", "status"),
        sa.Index("ix_audit_bot", "bot_id", "seq", "resource_id", "tool_name", "status"),
    )
    sa.Table(
        "audit_checkpoints", m,
        sa.Column("seq", seq, primary_key=True, autoincrement=False),
        sa.Column("entry_id", sa.String(40), nullable=False),
        sa.Column("hash", sa.String(64), nullable=False),
        sa.Column("count", sa.BigInteger, nullable=False),
        sa.Column("created_at", ts, nullable=False),
        sa.Column("mac", sa.String(64)),
    )
    sa.Table(
        "audit_anchors", m,
        sa.Column("seq", seq, primary_key=True, autoincrement=False),
        sa.Column("entry_id", sa.String(40), nullable=False),
        sa.Column("hash", sa.String(64), nullable=False),
        sa.Column("pruned", sa.BigInteger, nullable=False),
        sa.Column("created_at", ts, nullable=False),
        sa.Column("mac", sa.String(64)),
    )
    sa.Table(
        "audit_head", m,
        sa.Column("key", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("seq", sa.BigInteger, nullable=False),
        sa.Column("entry_id", sa.String(40), nullable=False),
        sa.Column("ts", sa.BigInteger, nullable=False),
        sa.Column("hash", sa.String(64), nullable=False),
        sa.Column("mac", sa.String(64)),
    )
    return m


def upgrade() -> None:
    bind = op.get_bind()
    inspector = sa.inspect(bind)
    existing = set(inspector.get_table_names())
    had_audit_rows = False
    for table in _schema().sorted_tables:
        if table.name not in existing:
            table.create(bind)
            continue
        # adopting a database made before migrations
        have = {ix["name"] for ix in inspector.get_indexes(table.name)}
        for index in table.indexes:
            if index.name not in have:
                index.create(bind)
        if table.name in SEALED:
            columns = {c["name"] for c in inspector.get_columns(table.name)}
            if "mac" not in columns:
                op.add_column(table.name, sa.Column("mac", sa.String(64)))
                op.execute(sa.text(f"UPDATE {table.name} SET mac = :m").bindparams(m=PRE_SEAL))
        if table.name == "audit_log":
            had_audit_rows = bind.execute(sa.text("SELECT 1 FROM audit_log LIMIT 1")).first() \
                is not None
    if bind.dialect.name == "sqlite":
        # the text `q` searches (params and reason), as trigrams, so any substring of 3+
        # characters is an index lookup; AuditLog keeps it in step with audit_log
        fts_exists = FTS_TABLE in existing
        op.execute(
            f"CREATE VIRTUAL TABLE IF NOT EXISTS {FTS_TABLE} USING fts5("
            "params, reason, content='audit_log', content_rowid='seq', tokenize='trigram')"
        )
        if had_audit_rows and not fts_exists:
            op.execute(f"INSERT INTO {FTS_TABLE}({FTS_TABLE}) VALUES ('rebuild')")


def downgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name == "sqlite":
        op.execute(f"DROP TABLE IF EXISTS {FTS_TABLE}")
    _schema().drop_all(bind)
