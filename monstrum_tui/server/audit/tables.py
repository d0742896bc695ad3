"""The audit tables, registered on the store's shared metadata.

``audit_log.seq`` is the entry's position in the hash chain (the rowid on SQLite).
The writer keeps timestamps non-decreasing and ids increasing along ``seq``, so chain
order is also (timestamp, id) order: every filter index below starts (column, seq),
which serves "newest first" for any equality filter, with time bounds turned into a
seq range through ``ix_audit_ts``.
"""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Column,
    Float,
    Index,
    Integer,
    String,
    Table,
    Text,
)

from ..store.columns import Timestamp
from ..store.schema import metadata

# INTEGER PRIMARY KEY makes seq the rowid on SQLite (no second b-tree); BIGINT elsewhere
Seq = BigInteger().with_variant(Integer(), "sqlite")

audit_log = Table(
    "audit_log",
    metadata,
    Column("seq", Seq, primary_key=True, autoincrement=False),
    Column("id", String(40), nullable=False, unique=True),
    # integer microseconds since the epoch (UTC), exactly as hashed
    Column("ts", BigInteger, nullable=False),
    Column("bot_id", String(40), nullable=False),
    Column("task_id", String(40)),
    Column("resource_id", String(80)),
    Column("tool_name", String(200), nullable=False),
    Column("operation", String(200)),
    # canonical JSON text: stored exactly as it was hashed
    Column("params", Text, nullable=False),
    # success | error | denied | pending (decided, outcome not yet known) | unknown...
    Column("status", String(16), nullable=False),
    Column("reason", Text, nullable=False),
    Column("decision", Text),
    Column("duration_ms", Float(53)),
    Column("result_size", BigInteger),
    Column("prev_hash", String(64), nullable=False),
    Column("hash", String(64), nullable=False),
    # chain.py: 1 = one hash with the outcome (older entries); 2 = write-ahead, the
    # outcome bound by outcome_hash and sealed by outcome_mac once it is known
    Column("fmt", Integer, nullable=False, server_default="1"),
    Column("outcome_hash", String(64)),
    Column("outcome_mac", String(64)),
    Index("ix_audit_ts", "ts", "seq"),
    Index("ix_audit_task", "task_id", "seq"),
    Index("ix_audit_status", "status", "seq"),
    # the trailing columns let a scan check the other filters in the index itself,
    # without a seek into the table per candidate row (empty combinations stay cheap)
    Index("ix_audit_tool", "tool_name", "seq", "bot_id", "status"),
    Index("ix_audit_resource", "resource_id", "seq", "bot_id", "tool_name", "status"),
    Index("ix_audit_bot", "bot_id", "seq", "resource_id", "tool_name", "status"),
)

#: every N entries, the chain position, entry id and hash: verify can start there
audit_checkpoints = Table(
    "audit_checkpoints",
    metadata,
    Column("seq", Seq, primary_key=True, autoincrement=False),
    Column("entry_id", String(40), nullable=False),
    Column("hash", String(64), nullable=False),
    Column("count", BigInteger, nullable=False),
    Column("created_at", Timestamp, nullable=False),
    # HMAC with the audit key (seal.py): a rewritten chain cannot forge it
    Column("mac", String(64)),
)

#: one row per prune: the last pruned entry, so the chain verifies from there on
audit_anchors = Table(
    "audit_anchors",
    metadata,
    Column("seq", Seq, primary_key=True, autoincrement=False),
    Column("entry_id", String(40), nullable=False),
    Column("hash", String(64), nullable=False),
    Column("pruned", BigInteger, nullable=False),
    Column("created_at", Timestamp, nullable=False),
    Column("mac", String(64)),
)

#: the chain's head (one row, key 1), updated in every append's transaction; it is
#: what the next append links to, and it lets verify notice entries cut off the end
audit_head = Table(
    "audit_head",
    metadata,
    Column("key", Integer, primary_key=True, autoincrement=False),
    Column("seq", BigInteger, nullable=False),
    Column("entry_id", String(40), nullable=False),
    # integer microseconds since the epoch (UTC), exactly as hashed
    Column("ts", BigInteger, nullable=False),
    Column("hash", String(64), nullable=False),
    Column("mac", String(64)),
)

# SQLite only: the text that `q` searches (params and reason), as trigrams so any
# substring of 3+ characters is an index lookup; created by the schema migrations
# (store/migrations), kept in step by AuditLog's writes
FTS_TABLE = "audit_fts"
