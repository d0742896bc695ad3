"""The tables. Every module of the store reads and writes through these."""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    BigInteger,
    Column,
    Index,
    Integer,
    MetaData,
    PrimaryKeyConstraint,
    String,
    Table,
    Text,
)

from .columns import ProducedText, Timestamp

metadata = MetaData()

api_keys = Table(
    "api_keys",
    metadata,
    Column("id", String(40), primary_key=True),
    Column("name", String(100), nullable=False),
    Column("key_hash", String(64), nullable=False, unique=True),
    Column("prefix", String(16), nullable=False),
    Column("scopes", JSON, nullable=False),
    Column("created_at", Timestamp, nullable=False),
    Column("last_used_at", Timestamp),
)

bots = Table(
    "bots",
    metadata,
    Column("id", String(40), primary_key=True),
    Column("name", String(100), nullable=False),
    Column("description", Text, nullable=False, default=""),
    Column("model", String(200), nullable=False),
    Column("status", String(16), nullable=False),
    Column("allowed_operations", JSON, nullable=False),
    Column("resource_bindings", JSON, nullable=False),
    Column("created_at", Timestamp, nullable=False),
    Column("updated_at", Timestamp, nullable=False),
    # enforce | log_only (shadow mode: would-be denials run and are audited as would_deny)
    Column("enforce", String(16), nullable=False, server_default="enforce"),
)

# which resources each bot is bound to, kept in step with bots.resource_bindings so
# "who may use this resource" is an index lookup
bot_bindings = Table(
    "bot_bindings",
    metadata,
    Column("bot_id", String(40), nullable=False),
    Column("resource_id", String(80), nullable=False),
    Index("ix_bot_bindings_resource", "resource_id"),
    Index("ix_bot_bindings_bot", "bot_id"),
)

resources = Table(
    "resources",
    metadata,
    Column("id", String(80), primary_key=True),
    Column("type", String(100), nullable=False, index=True),
    Column("name", String(100), nullable=False),
    Column("config", JSON, nullable=False),
    # Fernet token of the JSON credentials; never leaves the server decrypted
    Column("credentials", Text, nullable=False, default=""),
    Column("credential_fields", JSON, nullable=False),
    Column("created_at", Timestamp, nullable=False),
    Column("updated_at", Timestamp, nullable=False),
)

# installed integration manifests; one per name, each providing one resource type
integrations = Table(
    "integrations",
    metadata,
    Column("name", String(64), primary_key=True),
    Column("version", String(100), nullable=False),
    Column("type_id", String(64), nullable=False, unique=True),
    # the checked manifest as JSON (the model's dump) and the YAML it came from
    Column("manifest", JSON, nullable=False),
    Column("source", Text, nullable=False),
    Column("digest", String(64), nullable=False),
    Column("builtin", Integer, nullable=False, default=0),
    Column("installed_at", Timestamp, nullable=False),
    Column("updated_at", Timestamp, nullable=False),
)

# one run of a bot; ids are time-ordered, so "newest first" is "id descending"
tasks = Table(
    "tasks",
    metadata,
    Column("id", String(40), primary_key=True),
    Column("bot_id", String(40), nullable=False),
    Column("status", String(16), nullable=False),
    Column("input", Text, nullable=False, default=""),
    Column("output", ProducedText),
    Column("error", ProducedText),
    Column("metadata", JSON, nullable=False),
    Column("tool_calls", Integer, nullable=False, default=0),
    Column("denials", Integer, nullable=False, default=0),
    Column("created_at", Timestamp, nullable=False),
    Column("started_at", Timestamp),
    Column("finished_at", Timestamp),
    # the server process running it (runner/lease.py) and until when its lease holds;
    # a running task whose lease has passed is taken over by another process
    Column("owner", String(120)),
    Column("lease_until", BigInteger),
    # a cancel asked of a process that does not run the task; its owner acts on it
    Column("cancel_requested", Text),
    # how many times the task was taken over from a process that stopped
    Column("resumes", Integer, nullable=False, default=0, server_default="0"),
    Index("ix_tasks_bot", "bot_id", "id"),
    Index("ix_tasks_status", "status", "id"),
    Index("ix_tasks_created", "created_at"),
    Index("ix_tasks_owner", "owner"),
)

# a task's event stream; seq counts from 1 per task and is the SSE id
task_events = Table(
    "task_events",
    metadata,
    Column("task_id", String(40), nullable=False),
    Column("seq", Integer, nullable=False),
    Column("type", String(16), nullable=False),
    Column("payload", JSON, nullable=False),
    Column("timestamp", Timestamp, nullable=False),
    # the event's wire JSON (TaskEvent, without unset fields), made once when stored;
    # NULL for events stored before revision 0007 (serialised from payload when read)
    Column("body", Text, nullable=True),
    PrimaryKeyConstraint("task_id", "seq", name="pk_task_events"),
)

# the first answer to each Idempotency-Key, per API key, so a retried create runs once
# (also when the retry reaches another server process); status_code is NULL while the
# first request is still being handled
idempotency_keys = Table(
    "idempotency_keys",
    metadata,
    Column("scope", String(40), nullable=False),  # the API key's id
    Column("key_hash", String(64), nullable=False),  # SHA-256 of the Idempotency-Key
    # SHA-256 of key, method, path and body: a repeat must be the same request
    Column("fingerprint", String(64), nullable=False),
    Column("method", String(8), nullable=False),
    Column("path", Text, nullable=False),
    Column("status_code", Integer),
    Column("media_type", String(100)),
    Column("response", Text),
    # 0 when the answer held a secret that is not kept (a new API key): no replay then
    Column("replayable", Integer, nullable=False, default=1),
    Column("created_at", Timestamp, nullable=False),
    Column("completed_at", Timestamp),
    PrimaryKeyConstraint("scope", "key_hash", name="pk_idempotency_keys"),
    Index("ix_idempotency_keys_created", "created_at"),
)

# tool calls waiting for a person (and the decisions): data, so any server process sees
# them; the process that runs the call waits on its row, an approver updates it once
approvals = Table(
    "approvals",
    metadata,
    Column("id", String(40), primary_key=True),
    # pending | approved | rejected | expired | cancelled
    Column("status", String(16), nullable=False),
    Column("bot_id", String(40), nullable=False),
    Column("task_id", String(40)),
    Column("resource_id", String(80), nullable=False),
    Column("tool_name", String(200), nullable=False),
    Column("operation", String(200)),
    # secrets redacted, as in the audit log
    Column("params", JSON, nullable=False),
    Column("reason", Text, nullable=False, default=""),
    Column("audit_id", String(40)),
    Column("via", String(8), nullable=False, default="task"),
    # the API key that made the call (MCP calls); it may not approve its own call
    Column("requested_by", String(40)),
    Column("created_at", Timestamp, nullable=False),
    Column("expires_at", Timestamp, nullable=False),
    Column("decided_at", Timestamp),
    Column("decided_by", String(40)),
    Column("decided_by_name", String(100)),
    Column("decision_reason", Text, nullable=False, default=""),
    Index("ix_approvals_status", "status", "id"),
    Index("ix_approvals_task", "task_id"),
)
