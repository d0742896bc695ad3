"""``AuditLog``: append decided tool calls to the hash chain, read them back, prune.

Appends are serialized: a process-wide lock plus one write transaction (``BEGIN
IMMEDIATE`` on SQLite, a transaction-scoped advisory lock on PostgreSQL) that reads
the chain head, inserts, and moves the head. So the chain is linear however many
threads (or processes sharing the database) write at once.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from datetime import datetime, timedelta, timezone
from typing import Any

from sqlalchemy import Connection, Engine, delete, func, insert, select, text, update

from ...client.models import AuditEntry, AuditVerification
from ..ids import ordered_id
from ..store.columns import utcnow
from ..store.database import READ_ONLY, make_engine
from ..store.migrate import upgrade_schema
from .chain import GENESIS, canonical_json, chain_hash
from .query import AuditFilter, list_entries
from .seal import ANCHOR, CHECKPOINT, HEAD, Sealer, data_dir_of, load_audit_key
from .tables import (
    FTS_TABLE,
    audit_anchors,
    audit_checkpoints,
    audit_head,
    audit_log,
)
from .verify import verify_chain

log = logging.getLogger("monstrum.audit")

STATUSES = ("success", "error", "denied")
_EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)
#: arbitrary constant naming the advisory lock that serializes appends on PostgreSQL
_PG_LOCK_KEY = 0x6D6F6E61756474
#: the seal column of rows made before seals, as the schema upgrade (0001) marks them
PRE_SEAL = "pre-seal"


def micros_to_datetime(micros: int) -> datetime:
    """Exact: no float on the way (a float of today's microseconds loses the last digit)."""
    return _EPOCH + timedelta(microseconds=int(micros))


def datetime_to_micros(value: datetime) -> int:
    if value.tzinfo is None:
        value = value.replace(tzinfo=timezone.utc)
    delta = value - _EPOCH
    return (delta.days * 86_400 + delta.seconds) * 1_000_000 + delta.microseconds


def now_micros() -> int:
    return time.time_ns() // 1_000


def row_to_entry(row: Any) -> AuditEntry:
    m = row._mapping if hasattr(row, "_mapping") else row
    return AuditEntry(
        id=m["id"],
        seq=m["seq"],
        timestamp=micros_to_datetime(m["ts"]),
        bot_id=m["bot_id"],
        task_id=m["task_id"],
        resource_id=m["resource_id"],
        tool_name=m["tool_name"],
        operation=m["operation"],
        params=json.loads(m["params"]),
        status=m["status"],
        reason=m["reason"],
        decision=json.loads(m["decision"]) if m["decision"] is not None else None,
        duration_ms=m["duration_ms"],
        result_size=m["result_size"],
        prev_hash=m["prev_hash"],
        hash=m["hash"],
    )


def _prepare(spec: Mapping[str, Any]) -> dict[str, Any]:
    """Check one entry's fields and put them in the form that is stored and hashed."""
    status = spec.get("status")
    if status not in STATUSES:
        raise ValueError(f"audit status must be one of {', '.join(STATUSES)}, not {status!r}")
    for name in ("bot_id", "tool_name"):
        if not spec.get(name):
            raise ValueError(f"audit entry needs a {name}")
    params = spec.get("params")
    if params is None:
        params = {}
    if not isinstance(params, Mapping):
        raise ValueError("audit params must be a JSON object (a mapping)")
    decision = spec.get("decision")
    duration = spec.get("duration_ms")
    size = spec.get("result_size")
    return {
        "bot_id": str(spec["bot_id"]),
        "task_id": _opt_str(spec.get("task_id")),
        "resource_id": _opt_str(spec.get("resource_id")),
        "tool_name": str(spec["tool_name"]),
        "operation": _opt_str(spec.get("operation")),
        "params": canonical_json(params),
        "status": status,
        "reason": str(spec.get("reason") or ""),
        "decision": canonical_json(decision) if decision is not None else None,
        # rounded so the stored double prints the same everywhere it is re-hashed
        "duration_ms": round(float(duration), 3) if duration is not None else None,
        "result_size": int(size) if size is not None else None,
    }


def _opt_str(value: Any) -> str | None:
    return None if value is None else str(value)


class AuditLog:
    """The tamper-evident log of every tool call the platform decided on."""

    def __init__(
        self, engine: Engine, *, checkpoint_every: int = 10_000, seal_key: bytes | None = None
    ) -> None:
        """``seal_key`` seals the head, checkpoints and anchors (seal.py); without one
        they are written unsealed and verify checks the keyless hash chain only."""
        self.engine = engine
        self.checkpoint_every = checkpoint_every
        self.is_sqlite = engine.dialect.name == "sqlite"
        self.sealer = Sealer(seal_key) if seal_key else None
        self._lock = threading.Lock()
        upgrade_schema(engine)
        self._seal_pre_seal_rows()

    @classmethod
    def open(cls, url: str, *, create_key: bool = True, **kwargs: Any) -> AuditLog:
        """An audit log on its own engine (seeding, the offline ``monstrum audit verify``).

        Unless ``seal_key`` is given, a SQLite file's key is the ``audit.key`` beside it
        (made if missing when ``create_key``), or ``MONSTRUM_AUDIT_KEY``.
        """
        if "seal_key" not in kwargs:
            kwargs["seal_key"] = load_audit_key(data_dir_of(url), create=create_key)
        return cls(make_engine(url), **kwargs)

    def _seal_pre_seal_rows(self) -> None:
        """Databases made before seals: the upgrade marked their rows ``PRE_SEAL``; seal
        them (once, with this key: from here on a missing seal is a removed one)."""
        if self.sealer is None:
            return
        tables = ((audit_head, HEAD), (audit_checkpoints, CHECKPOINT), (audit_anchors, ANCHOR))
        with self._read() as conn:
            if not any(conn.execute(select(t.c.mac).where(t.c.mac == PRE_SEAL).limit(1)).first()
                       for t, _ in tables):
                return
        with self._lock, self._write() as conn:
            for table, kind in tables:
                for row in conn.execute(select(table).where(table.c.mac == PRE_SEAL)).all():
                    mac = self.sealer.seal(kind, row.seq, row.entry_id, row.hash)
                    key = table.c.key if table is audit_head else table.c.seq
                    conn.execute(update(table).where(key == getattr(row, key.name))
                                 .values(mac=mac))
        log.info("audit log: sealed the chain head, checkpoints and anchors made before seals")

    def _seal(self, kind: str, seq: int, entry_id: str, entry_hash: str) -> str | None:
        return self.sealer.seal(kind, seq, entry_id, entry_hash) if self.sealer else None

    def close(self) -> None:
        self.engine.dispose()

    # --- connections -----------------------------------------------------------

    @contextmanager
    def _read(self) -> Iterator[Connection]:
        with self.engine.connect() as conn:
            conn.execution_options(**{READ_ONLY: True})
            yield conn

    @contextmanager
    def _write(self) -> Iterator[Connection]:
        with self.engine.begin() as conn:
            if self.engine.dialect.name == "postgresql":
                conn.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": _PG_LOCK_KEY})
            yield conn

    # --- appending -------------------------------------------------------------

    def record(
        self,
        *,
        bot_id: str,
        task_id: str | None,
        resource_id: str | None,
        tool_name: str,
        operation: str | None,
        params: Mapping[str, Any] | None,
        status: str,
        reason: str = "",
        decision: Any = None,
        duration_ms: float | None = None,
        result_size: int | None = None,
    ) -> AuditEntry:
        """Append one decided tool call (params already redacted); thread-safe."""
        prepared = _prepare(
            {
                "bot_id": bot_id, "task_id": task_id, "resource_id": resource_id,
                "tool_name": tool_name, "operation": operation, "params": params,
                "status": status, "reason": reason, "decision": decision,
                "duration_ms": duration_ms, "result_size": result_size,
            }
        )
        with self._lock, self._write() as conn:
            (row,) = self._append(conn, [(prepared, None)])
        return row_to_entry(row)

    def record_many(
        self, entries: Iterable[Mapping[str, Any]], *, batch_size: int = 20_000
    ) -> int:
        """Append many entries, ``batch_size`` per transaction; returns how many.

        Each mapping has ``record``'s keyword arguments and may add ``timestamp`` (a
        datetime or integer microseconds) for seeding history; timestamps never go
        back along the chain, so one earlier than the chain's head is raised to it.
        """
        total = 0
        batch: list[tuple[dict[str, Any], int | None]] = []
        for spec in entries:
            ts = spec.get("timestamp")
            if isinstance(ts, datetime):
                ts = datetime_to_micros(ts)
            batch.append((_prepare(spec), ts))
            if len(batch) >= batch_size:
                total += self._append_batch(batch)
                batch = []
        if batch:
            total += self._append_batch(batch)
        return total

    def _append_batch(self, batch: list[tuple[dict[str, Any], int | None]]) -> int:
        with self._lock, self._write() as conn:
            return len(self._append(conn, batch))

    def _append(
        self, conn: Connection, batch: list[tuple[dict[str, Any], int | None]]
    ) -> list[dict[str, Any]]:
        head = conn.execute(select(audit_head).where(audit_head.c.key == 1)).first()
        if head is None:
            seq, prev_hash, last_ts = self._tail_after_prunes(conn)
        else:
            seq, prev_hash, last_ts = head.seq, head.hash, head.ts
        now = now_micros()
        rows: list[dict[str, Any]] = []
        checkpoints: list[dict[str, Any]] = []
        for prepared, ts in batch:
            seq += 1
            last_ts = max(now if ts is None else int(ts), last_ts)
            row = dict(prepared, seq=seq, ts=last_ts)
            row["id"] = ordered_id("aud", last_ts // 1000, seq)
            row["prev_hash"] = prev_hash
            row["hash"] = prev_hash = chain_hash(prev_hash, dict(row, timestamp=last_ts))
            rows.append(row)
            if seq % self.checkpoint_every == 0:
                checkpoints.append(
                    {"seq": seq, "entry_id": row["id"], "hash": row["hash"], "count": seq,
                     "created_at": utcnow(),
                     "mac": self._seal(CHECKPOINT, seq, row["id"], row["hash"])}
                )
        conn.execute(insert(audit_log), rows)
        if self.is_sqlite:
            conn.exec_driver_sql(
                f"INSERT INTO {FTS_TABLE}(rowid, params, reason) VALUES (?, ?, ?)",
                [(r["seq"], r["params"], r["reason"]) for r in rows],
            )
        if checkpoints:
            conn.execute(insert(audit_checkpoints), checkpoints)
        last = rows[-1]
        values = {"seq": last["seq"], "entry_id": last["id"], "ts": last["ts"],
                  "hash": last["hash"],
                  "mac": self._seal(HEAD, last["seq"], last["id"], last["hash"])}
        if head is None:
            conn.execute(insert(audit_head).values(key=1, **values))
        else:
            conn.execute(update(audit_head).where(audit_head.c.key == 1).values(**values))
        return rows

    def _tail_after_prunes(self, conn: Connection) -> tuple[int, str, int]:
        """Where an empty head starts: the last entry, else the last anchor, else genesis."""
        last = conn.execute(
            select(audit_log.c.seq, audit_log.c.hash, audit_log.c.ts)
            .order_by(audit_log.c.seq.desc()).limit(1)
        ).first()
        if last is not None:
            return last.seq, last.hash, last.ts
        anchor = conn.execute(
            select(audit_anchors.c.seq, audit_anchors.c.hash)
            .order_by(audit_anchors.c.seq.desc()).limit(1)
        ).first()
        if anchor is not None:
            return anchor.seq, anchor.hash, 0
        return 0, GENESIS, 0

    # --- reading ---------------------------------------------------------------

    def get(self, entry_id: str) -> AuditEntry | None:
        with self._read() as conn:
            row = conn.execute(select(audit_log).where(audit_log.c.id == entry_id)).first()
        return row_to_entry(row) if row else None

    def list(
        self, flt: AuditFilter, limit: int = 100, cursor: str | None = None
    ) -> tuple[list[AuditEntry], str | None]:
        """A page of matching entries, newest first, and the cursor of the next page."""
        with self._read() as conn:
            rows, next_cursor = list_entries(conn, flt, limit, cursor, fts=self.is_sqlite)
        return [row_to_entry(r) for r in rows], next_cursor

    def count(self) -> int:
        with self._read() as conn:
            return int(conn.execute(select(func.count()).select_from(audit_log)).scalar_one())

    # --- verification and retention --------------------------------------------

    def verify(self, *, full: bool = False) -> AuditVerification:
        """Walk the chain from the last checkpoint (or, ``full``, from the start)."""
        with self._read() as conn:
            return verify_chain(conn, full=full, sealer=self.sealer)

    def prune(self, before: datetime, *, chunk: int = 20_000) -> int:
        """Delete entries older than ``before``; the last one deleted becomes the anchor.

        Works in chunks (one transaction each) so appends are never held up for long;
        after every chunk the chain verifies from the new anchor.
        """
        cutoff = datetime_to_micros(before)
        total = 0
        while True:
            with self._lock, self._write() as conn:
                rows = conn.execute(
                    select(audit_log.c.seq, audit_log.c.id, audit_log.c.hash,
                           audit_log.c.params, audit_log.c.reason)
                    .where(audit_log.c.ts < cutoff)
                    .order_by(audit_log.c.seq).limit(chunk)
                ).all()
                if not rows:
                    break
                last = rows[-1]
                if self.is_sqlite:
                    conn.exec_driver_sql(
                        f"INSERT INTO {FTS_TABLE}({FTS_TABLE}, rowid, params, reason) "
                        "VALUES ('delete', ?, ?, ?)",
                        [(r.seq, r.params, r.reason) for r in rows],
                    )
                conn.execute(delete(audit_log).where(audit_log.c.seq <= last.seq))
                conn.execute(delete(audit_checkpoints).where(audit_checkpoints.c.seq <= last.seq))
                conn.execute(delete(audit_anchors).where(audit_anchors.c.seq < last.seq))
                conn.execute(
                    insert(audit_anchors).values(
                        seq=last.seq, entry_id=last.id, hash=last.hash,
                        pruned=len(rows), created_at=utcnow(),
                        mac=self._seal(ANCHOR, last.seq, last.id, last.hash),
                    )
                )
                total += len(rows)
            if len(rows) < chunk:
                break
        if total:
            log.info("pruned %d audit entries older than %s", total, before.isoformat())
        return total

    def prune_older_than(self, days: float) -> int:
        return self.prune(utcnow() - timedelta(days=days))
