"""``AuditLog``: append decided tool calls to the hash chain, read them back, prune.

Write-ahead: an allowed call is appended (``begin``, status ``pending``) *before* its
executor runs and completed (``complete``) after; if the entry cannot be written the
call must not run. A denied call is appended whole (``record``). An entry whose
outcome the server never learned (it was killed mid-call) is completed as
``unknown`` on the next start (``resolve_pending``).

Appends are serialized: a process-wide lock plus one write transaction (``BEGIN
IMMEDIATE`` on SQLite, a transaction-scoped advisory lock on PostgreSQL) that reads
the chain head, inserts, and moves the head. Before extending the chain an append
checks that the head holds: its seal is the audit key's, it is the newest entry, and
it is not behind the head witness kept outside the database (``witness.py``). A chain
that fails is never extended (``AuditChainBroken``): a forged chain is not re-sealed.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any, NamedTuple

from pydantic import TypeAdapter
from sqlalchemy import Connection, Engine, delete, func, insert, select, text, update

from ...client.models import AUDIT_STATUSES, AuditEntry, AuditVerification
from ..ids import ordered_id
from ..redaction import wire_safe
from ..store.columns import to_micros, utcnow
from ..store.database import (
    READ_ONLY,
    DriverCursor,
    driver_read,
    driver_write,
    in_list,
    make_engine,
    param,
    read_json,
    write_transaction,
)
from ..store.migrate import upgrade_schema
from ..store.row_memo import RowMemo, json_page
from .chain import FORMAT_2, GENESIS, canonical_json, chain_hash, outcome_hash
from .query import AuditFilter, list_entries
from .seal import (
    ANCHOR,
    AUDIT_KEY_ENV,
    AUDIT_KEY_FILE,
    CHECKPOINT,
    HEAD,
    OUTCOME,
    Sealer,
    create_audit_key,
    data_dir_of,
    load_audit_key,
)
from .tables import (
    FTS_TABLE,
    audit_anchors,
    audit_checkpoints,
    audit_head,
    audit_log,
)
from .verify import verify_chain
from .witness import HeadWitness, WitnessFile

log = logging.getLogger("monstrum.audit")

PENDING, UNKNOWN = "pending", "unknown"
#: statuses an entry may be written with whole (``pending`` only comes from ``begin``)
RECORDABLE = tuple(s for s in AUDIT_STATUSES if s != PENDING)
UNKNOWN_REASON = (
    "outcome unknown: the server stopped while this call was running, so it may or may not "
    "have taken effect"
)
_EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)
#: arbitrary constant naming the advisory lock that serializes appends on PostgreSQL
_PG_LOCK_KEY = 0x6D6F6E61756474
#: the seal column of rows made before seals, as the schema upgrade (0001) marks them
PRE_SEAL = "pre-seal"


class AuditChainBroken(RuntimeError):
    """The chain's head does not hold, so nothing is appended (and no call runs)."""


class AuditKeyMissing(RuntimeError):
    """The audit log has entries but its sealing key is gone: a new key would let a forged
    chain verify, so the platform refuses to start."""


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


def _entry_fields(row: Any) -> dict[str, Any]:
    m = row._mapping if hasattr(row, "_mapping") else row
    return {
        "id": m["id"],
        "seq": m["seq"],
        "timestamp": micros_to_datetime(m["ts"]),
        "bot_id": m["bot_id"],
        "task_id": m["task_id"],
        "resource_id": m["resource_id"],
        "tool_name": m["tool_name"],
        "operation": m["operation"],
        "params": read_json(m["params"]),
        "status": m["status"],
        "reason": m["reason"],
        "decision": read_json(m["decision"]) if m["decision"] is not None else None,
        "duration_ms": m["duration_ms"],
        "result_size": m["result_size"],
        "prev_hash": m["prev_hash"],
        "hash": m["hash"],
    }


#: a page of entries validated in one call: quicker than building each entry without
#: validation (``model_construct`` is Python, validation is not), and every row is checked
_ENTRIES = TypeAdapter(list[AuditEntry])


def row_to_entry(row: Any) -> AuditEntry:
    """An entry from its row, validated: a row edited in the database to other types is
    refused (a ``ValidationError``) rather than served with a list for params or a
    number for a decision."""
    return AuditEntry.model_validate(_entry_fields(row))


_ENTRY = TypeAdapter(AuditEntry)
#: entries whose JSON a log keeps for its pages (~1 KB each)
CACHED_ENTRIES = 8192


#: the columns of ``select(audit_log)``, in order (a page's rows, as the memo hands them back)
_ENTRY_COLUMNS = tuple(c.name for c in audit_log.columns)


def _entry_json(raw: Sequence[Any]) -> bytes:
    row = dict(zip(_ENTRY_COLUMNS, raw, strict=True))
    return _ENTRY.dump_json(row_to_entry(row), by_alias=True)


def rows_to_entries(rows: Iterable[Any]) -> list[AuditEntry]:
    """``row_to_entry`` for a page of rows, in one validation."""
    return _ENTRIES.validate_python([_entry_fields(r) for r in rows])


def _prepare_intent(spec: Mapping[str, Any]) -> dict[str, Any]:
    """Check what was decided and put it in the form that is stored and hashed.

    Every text goes through ``wire_safe``: a model may hand back text that is not valid
    Unicode, and an entry that cannot be hashed would be an entry that is not written.
    """
    for name in ("bot_id", "tool_name"):
        if not spec.get(name):
            raise ValueError(f"audit entry needs a {name}")
    params = spec.get("params")
    if params is None:
        params = {}
    if not isinstance(params, Mapping):
        raise ValueError("audit params must be a JSON object (a mapping)")
    decision = spec.get("decision")
    return {
        "bot_id": wire_safe(str(spec["bot_id"])),
        "task_id": _opt_str(spec.get("task_id")),
        "resource_id": _opt_str(spec.get("resource_id")),
        "tool_name": wire_safe(str(spec["tool_name"])),
        "operation": _opt_str(spec.get("operation")),
        "params": canonical_json(wire_safe(dict(params))),
        "decision": canonical_json(wire_safe(decision)) if decision is not None else None,
    }


def _prepare_outcome(
    status: str, reason: Any, duration: Any, size: Any
) -> dict[str, Any]:
    if status not in RECORDABLE:
        raise ValueError(
            f"audit status must be one of {', '.join(RECORDABLE)}, not {status!r}"
        )
    return {
        "status": status,
        "reason": wire_safe(str(reason or "")),
        # rounded so the stored double prints the same everywhere it is re-hashed
        "duration_ms": round(float(duration), 3) if duration is not None else None,
        "result_size": int(size) if size is not None else None,
    }


def _opt_str(value: Any) -> str | None:
    return None if value is None else wire_safe(str(value))


@dataclass(frozen=True)
class PendingEntry:
    """An entry appended before its call ran, to be completed with the outcome."""

    seq: int
    id: str
    hash: str
    params: str


@dataclass(frozen=True)
class AuditHealth:
    """Whether the chain can be extended now, and why not."""

    ok: bool
    problem: str | None = None


def audit_key_for(data_dir: Path | None, engine: Engine) -> bytes | None:
    """The audit key, made only for a log that has never had one.

    ``MONSTRUM_AUDIT_KEY`` or ``DATA_DIR/audit.key``. When neither exists, a key is made
    only if the log is empty and no witness says it ever held entries; otherwise
    ``AuditKeyMissing`` (a quiet new key would bless whatever the database now holds).
    """
    key = load_audit_key(data_dir, create=False)
    if key is not None or data_dir is None:
        return key
    witness = WitnessFile.in_data_dir(data_dir, None)
    has_witness = witness is not None and witness.exists()
    with engine.connect() as conn:
        held = conn.execute(select(func.count()).select_from(audit_head)).scalar_one() > 0 or (
            conn.execute(select(audit_log.c.seq).limit(1)).first() is not None
        )
    if held or has_witness:
        raise AuditKeyMissing(
            f"the audit log has entries but its key is missing ({data_dir / AUDIT_KEY_FILE}, "
            f"or {AUDIT_KEY_ENV}): restore the key from your backup. The platform will not "
            "make a new one, since a new key would let a forged chain verify."
        )
    return create_audit_key(data_dir)


class _Head(NamedTuple):
    """The chain's head row and, read in the same statement, the newest entry."""

    seq: int
    entry_id: str
    ts: int
    hash: str
    mac: str | None
    last_seq: int | None
    last_hash: str | None


class _AppendSql:
    """The statements every append and outcome runs, as driver SQL made once per
    dialect, run on the DBAPI cursor (``DriverCursor``): SQLAlchemy's per-statement work
    was most of an append's time (the table definitions in tables.py stay the one home
    of the schema)."""

    def __init__(self, dialect: str) -> None:
        def ph(name: str) -> str:
            return param(dialect, name)

        log_t, head_t = audit_log.name, audit_head.name
        cols = [c.name for c in audit_log.columns]
        self.insert_entry = (f"INSERT INTO {log_t} ({', '.join(cols)}) "
                             f"VALUES ({', '.join(ph(c) for c in cols)})")
        # the head and the newest entry in one statement: an append checks they agree
        self.select_head = (
            f"SELECT h.seq, h.entry_id, h.ts, h.hash, h.mac, l.seq, l.hash FROM {head_t} h "
            f"LEFT JOIN {log_t} l ON l.seq = (SELECT MAX(seq) FROM {log_t}) WHERE h.key = 1"
        )
        head_cols = [c.name for c in audit_head.columns]
        self.insert_head = (f"INSERT INTO {head_t} ({', '.join(head_cols)}) "
                            f"VALUES ({', '.join(ph(c) for c in head_cols)})")
        self.update_head = (f"UPDATE {head_t} SET "
                            + ", ".join(f"{c} = {ph(c)}" for c in head_cols if c != "key")
                            + " WHERE key = 1")
        self.newest_entry = f"SELECT seq, hash, ts FROM {log_t} ORDER BY seq DESC LIMIT 1"
        self.newest_anchor = (f"SELECT seq, hash FROM {audit_anchors.name} "
                              "ORDER BY seq DESC LIMIT 1")
        cp_cols = [c.name for c in audit_checkpoints.columns]
        self.insert_checkpoint = (f"INSERT INTO {audit_checkpoints.name} ({', '.join(cp_cols)}) "
                                  f"VALUES ({', '.join(ph(c) for c in cp_cols)})")
        outcome = ["status", "reason", "duration_ms", "result_size", "outcome_hash",
                   "outcome_mac"]
        self.complete = (f"UPDATE {log_t} SET "
                         + ", ".join(f"{c} = {ph(c)}" for c in outcome)
                         + f" WHERE seq = {ph('seq')} AND status = {ph('pending')}")
        # SQLite only: the full-text index of params and reason (audit_fts)
        self.fts_insert = (f"INSERT INTO {FTS_TABLE}(rowid, params, reason) "
                           "VALUES (:seq, :params, :reason)")
        self.fts_delete = (f"INSERT INTO {FTS_TABLE}({FTS_TABLE}, rowid, params, reason) "
                           "VALUES ('delete', :seq, :params, :reason)")
        self.advisory_lock = f"SELECT pg_advisory_xact_lock({_PG_LOCK_KEY})"


class AuditLog:
    """The tamper-evident log of every tool call the platform decided on."""

    def __init__(
        self,
        engine: Engine,
        *,
        checkpoint_every: int = 10_000,
        seal_key: bytes | None = None,
        data_dir: Path | None = None,
        first_witness: bool = True,
    ) -> None:
        """``seal_key`` seals the head, checkpoints, anchors, outcomes and the witness
        (seal.py); without one they are written unsealed and verify checks the keyless
        hash chain only. ``data_dir`` holds the head witness (none without one); with
        ``first_witness`` a data dir without one gets it from the current head (a
        verifier passes False: it must report a missing witness, not replace it)."""
        self.engine = engine
        self.checkpoint_every = checkpoint_every
        self.is_sqlite = engine.dialect.name == "sqlite"
        self._sql = _AppendSql(engine.dialect.name)
        self.sealer = Sealer(seal_key) if seal_key else None
        self.witness = WitnessFile.in_data_dir(data_dir, self.sealer)
        self._lock = threading.Lock()
        self._broken: str | None = None
        self._pages: RowMemo[bytes] = RowMemo(_entry_json, CACHED_ENTRIES)
        upgrade_schema(engine)
        self._seal_pre_seal_rows()
        if first_witness:
            self._first_witness()

    @classmethod
    def open(cls, url: str, *, create_key: bool = True, **kwargs: Any) -> AuditLog:
        """An audit log on its own engine (seeding, the offline ``monstrum audit verify``).

        Unless ``seal_key`` is given, a SQLite file's key is the ``audit.key`` beside it,
        or ``MONSTRUM_AUDIT_KEY``; with ``create_key`` one is made for a log that never
        had entries (``audit_key_for``).
        """
        engine = make_engine(url)
        data_dir = kwargs.pop("data_dir", data_dir_of(url))
        if "seal_key" not in kwargs:
            upgrade_schema(engine)  # the key check reads the log's tables
            kwargs["seal_key"] = (
                audit_key_for(data_dir, engine) if create_key
                else load_audit_key(data_dir, create=False)
            )
        return cls(engine, data_dir=data_dir, **kwargs)

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

    def _first_witness(self) -> None:
        """A data dir without a witness (first start, or one made before witnesses) gets
        one from the current head, if that head's seal holds."""
        if self.witness is None or self.witness.exists():
            return
        with self._read() as conn:
            head = conn.execute(select(audit_head).where(audit_head.c.key == 1)).first()
        if head is None:
            return
        if self.sealer is not None and not self.sealer.holds(
            HEAD, head.seq, head.entry_id, head.hash, head.mac
        ):
            return  # a broken head is not witnessed; appends refuse and verify says why
        self.witness.reset(head.seq, head.entry_id, head.hash)
        log.info("audit log: witness of the chain head written to %s", self.witness.path)

    def _seal(self, kind: str, seq: int, entry_id: str, entry_hash: str) -> str | None:
        return self.sealer.seal(kind, seq, entry_id, entry_hash) if self.sealer else None

    def close(self) -> None:
        if self.witness is not None:
            self.witness.close()
        self.engine.dispose()

    # --- connections -----------------------------------------------------------

    @contextmanager
    def _read(self) -> Iterator[Connection]:
        with self.engine.connect() as conn:
            conn.execution_options(**{READ_ONLY: True})
            yield conn

    @contextmanager
    def _write(self) -> Iterator[Connection]:
        with write_transaction(self.engine) as conn:
            if self.engine.dialect.name == "postgresql":
                conn.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": _PG_LOCK_KEY})
            yield conn

    @contextmanager
    def _append_transaction(self) -> Iterator[DriverCursor]:
        """The write transaction of appends and outcomes, on the driver (``_AppendSql``):
        the process-wide lock, then ``BEGIN IMMEDIATE`` on SQLite or the advisory lock on
        PostgreSQL; committed before the block's caller goes on."""
        with self._lock, driver_write(self.engine) as cur:
            if not self.is_sqlite:
                cur.execute(self._sql.advisory_lock)
            yield cur

    # --- the head: checked before every append -----------------------------------

    def _witnessed(self) -> HeadWitness | None:
        if self.witness is None:
            return None
        try:
            return self.witness.read()
        except ValueError as exc:
            raise AuditChainBroken(str(exc)) from None

    def _head_problem(self, cur: DriverCursor, head: _Head | None) -> str | None:
        """Why the chain must not be extended from ``head`` (None when it may)."""
        witness = self._witnessed()
        if witness is not None and not witness.holds(self.sealer):
            return ("the head witness (audit.witness) does not carry the audit key's seal: it "
                    "was edited, or audit.key was replaced")
        if head is None:
            if witness is not None and witness.seq > self._tail_after_prunes(cur)[0]:
                return (f"the audit log was emptied or truncated: its witness names entry "
                        f"{witness.entry_id} at position {witness.seq}, which the database "
                        "no longer has")
            return None
        if self.sealer is not None and not self.sealer.holds(
            HEAD, head.seq, head.entry_id, head.hash, head.mac
        ):
            return ("the seal of the chain's head does not match: the chain was rewritten "
                    "without the audit key, or audit.key was replaced")
        last: tuple[Any, ...] | None = (head.last_seq, head.last_hash)
        if head.last_seq is None:  # pruned to empty: the newest anchor is the head's entry
            last = cur.one(self._sql.newest_anchor)
        if last is None or (last[0], last[1]) != (head.seq, head.hash):
            return (f"the newest entry does not match the chain's head {head.entry_id} "
                    f"(position {head.seq}): entries were removed, added or rewritten at the end")
        if witness is not None and (
            witness.seq > head.seq or (witness.seq == head.seq and witness.hash != head.hash)
        ):
            return (f"the audit log was truncated or rewritten: its witness names entry "
                    f"{witness.entry_id} at position {witness.seq}, the database's head is "
                    f"{head.entry_id} at position {head.seq}")
        return None

    def health(self) -> AuditHealth:
        """Whether appending would go ahead now (read-only; for the API and dashboard)."""
        try:
            with driver_read(self.engine) as cur:
                problem = self._head_problem(cur, self._head(cur))
        except AuditChainBroken as exc:
            problem = str(exc)
        return AuditHealth(ok=problem is None, problem=problem)

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
        """Append one decided call with its outcome (a denial; params already redacted)."""
        intent = _prepare_intent({
            "bot_id": bot_id, "task_id": task_id, "resource_id": resource_id,
            "tool_name": tool_name, "operation": operation, "params": params,
            "decision": decision,
        })
        outcome = _prepare_outcome(status, reason, duration_ms, result_size)
        with self._append_transaction() as cur:
            rows = self._append(cur, [(intent, outcome, None)])
        self._witness(rows)
        return row_to_entry(rows[0])

    def begin(
        self,
        *,
        bot_id: str,
        task_id: str | None,
        resource_id: str | None,
        tool_name: str,
        operation: str | None,
        params: Mapping[str, Any] | None,
        decision: Any = None,
    ) -> PendingEntry:
        """Append an allowed call before it runs (status ``pending``); raises if it cannot,
        and then the call must not run."""
        intent = _prepare_intent({
            "bot_id": bot_id, "task_id": task_id, "resource_id": resource_id,
            "tool_name": tool_name, "operation": operation, "params": params,
            "decision": decision,
        })
        with self._append_transaction() as cur:
            rows = self._append(cur, [(intent, None, None)])
        self._witness(rows)
        row = rows[0]
        return PendingEntry(seq=row["seq"], id=row["id"], hash=row["hash"],
                            params=row["params"])

    def complete(
        self,
        entry: PendingEntry,
        *,
        status: str,
        reason: str = "",
        duration_ms: float | None = None,
        result_size: int | None = None,
    ) -> None:
        """Record the outcome of a call appended by ``begin`` (once: a second is refused)."""
        outcome = _prepare_outcome(status, reason, duration_ms, result_size)
        with self._append_transaction() as cur:
            self._complete(cur, entry.seq, entry.id, entry.hash, entry.params, outcome)

    def _complete(
        self, cur: DriverCursor, seq: int, entry_id: str, entry_hash: str, params: str,
        outcome: dict[str, Any],
    ) -> None:
        bound = outcome_hash(entry_hash, outcome)
        cur.execute(self._sql.complete, dict(
            outcome, outcome_hash=bound, outcome_mac=self._seal(OUTCOME, seq, entry_id, bound),
            seq=seq, pending=PENDING,
        ))
        if cur.rowcount != 1:
            raise ValueError(f"audit entry {entry_id} is not pending: its outcome is recorded")
        if self.is_sqlite:
            cur.execute(self._sql.fts_delete, {"seq": seq, "params": params, "reason": ""})
            cur.execute(self._sql.fts_insert,
                        {"seq": seq, "params": params, "reason": outcome["reason"]})

    def pending_entry(self, entry_id: str) -> PendingEntry | None:
        """An entry still waiting for its outcome (a call waiting for approval that the
        process which began it can no longer complete), to be completed by another."""
        with self._read() as conn:
            row = conn.execute(
                select(audit_log.c.seq, audit_log.c.id, audit_log.c.hash, audit_log.c.params)
                .where(audit_log.c.id == entry_id, audit_log.c.status == PENDING)
            ).first()
        if row is None:
            return None
        return PendingEntry(seq=row.seq, id=row.id, hash=row.hash, params=row.params)

    def resolve_pending(
        self, task_ids: Iterable[str] | None = None, reason: str = UNKNOWN_REASON, *,
        entry_ids: Iterable[str] | None = None,
    ) -> int:
        """Complete as ``unknown`` the pending entries of these tasks (all when None), or
        these entries: calls whose outcome their server never learned. Returns how many."""
        dialect = self.engine.dialect.name
        query = (f"SELECT seq, id, hash, params FROM {audit_log.name} "
                 f"WHERE status = {param(dialect, 'pending')}")
        values: dict[str, Any] = {"pending": PENDING}
        if task_ids is not None:
            ids = list(task_ids)
            if not ids:
                return 0
            placeholders, named = in_list(dialect, "t", ids)
            query += f" AND task_id IN {placeholders}"
            values.update(named)
        if entry_ids is not None:
            entries = list(entry_ids)
            if not entries:
                return 0
            placeholders, named = in_list(dialect, "e", entries)
            query += f" AND id IN {placeholders}"
            values.update(named)
        outcome = _prepare_outcome(UNKNOWN, reason, None, None)
        with self._append_transaction() as cur:
            rows = cur.all(query + " ORDER BY seq", values)
            for seq, entry_id, entry_hash, params in rows:
                self._complete(cur, seq, entry_id, entry_hash, params, outcome)
        if rows:
            log.warning("audit log: %d call(s) had no recorded outcome; marked unknown",
                        len(rows))
        return len(rows)

    def pending_outside_tasks(self) -> list[tuple[str, str | None]]:
        """(entry id, server process running it) of the pending calls no task owns (an
        MCP client's); the process is the one recorded in the decision's ``caller``."""
        with self._read() as conn:
            rows = conn.execute(
                select(audit_log.c.id, audit_log.c.decision).where(
                    audit_log.c.status == PENDING, audit_log.c.task_id.is_(None))
            ).all()
        found: list[tuple[str, str | None]] = []
        for row in rows:
            try:
                decision = read_json(row.decision) if row.decision else {}
            except ValueError:  # a tampered row: verify names it; it is not ours to settle
                decision = {}
            caller = decision.get("caller") if isinstance(decision, dict) else None
            process = caller.get("process") if isinstance(caller, dict) else None
            found.append((row.id, process if isinstance(process, str) else None))
        return found

    def pending_task_ids(self) -> set[str]:
        """The tasks that have entries still ``pending``."""
        with self._read() as conn:
            rows = conn.execute(
                select(audit_log.c.task_id).where(audit_log.c.status == PENDING,
                                                  audit_log.c.task_id.is_not(None)).distinct()
            ).all()
        return {row.task_id for row in rows}

    def record_many(
        self, entries: Iterable[Mapping[str, Any]], *, batch_size: int = 20_000
    ) -> int:
        """Append many whole entries, ``batch_size`` per transaction; returns how many.

        Each mapping has ``record``'s keyword arguments and may add ``timestamp`` (a
        datetime or integer microseconds) for seeding history; timestamps never go
        back along the chain, so one earlier than the chain's head is raised to it.
        """
        total = 0
        batch: list[tuple[dict[str, Any], dict[str, Any] | None, int | None]] = []
        for spec in entries:
            ts = spec.get("timestamp")
            if isinstance(ts, datetime):
                ts = datetime_to_micros(ts)
            outcome = _prepare_outcome(spec.get("status"),  # type: ignore[arg-type]
                                       spec.get("reason"), spec.get("duration_ms"),
                                       spec.get("result_size"))
            batch.append((_prepare_intent(spec), outcome, ts))
            if len(batch) >= batch_size:
                total += self._append_batch(batch)
                batch = []
        if batch:
            total += self._append_batch(batch)
        return total

    def _append_batch(
        self, batch: list[tuple[dict[str, Any], dict[str, Any] | None, int | None]]
    ) -> int:
        with self._append_transaction() as cur:
            rows = self._append(cur, batch)
        self._witness(rows)
        return len(rows)

    def _head(self, cur: DriverCursor) -> _Head | None:
        row = cur.one(self._sql.select_head)
        return _Head(*row) if row is not None else None

    def _append(
        self,
        cur: DriverCursor,
        batch: list[tuple[dict[str, Any], dict[str, Any] | None, int | None]],
    ) -> list[dict[str, Any]]:
        head = self._head(cur)
        problem = self._head_problem(cur, head)
        if problem is not None:
            if self._broken != problem:
                log.error("audit log: refusing to append: %s", problem)
            self._broken = problem
            raise AuditChainBroken(f"the audit log refuses new entries: {problem}")
        self._broken = None
        if head is None:
            seq, prev_hash, last_ts = self._tail_after_prunes(cur)
        else:
            seq, prev_hash, last_ts = head.seq, head.hash, head.ts
        now = now_micros()
        rows: list[dict[str, Any]] = []
        checkpoints: list[dict[str, Any]] = []
        for intent, outcome, ts in batch:
            seq += 1
            last_ts = max(now if ts is None else int(ts), last_ts)
            row = dict(intent, seq=seq, ts=last_ts, fmt=FORMAT_2)
            row["id"] = ordered_id("aud", last_ts // 1000, seq)
            row["prev_hash"] = prev_hash
            row["hash"] = prev_hash = chain_hash(prev_hash, dict(row, timestamp=last_ts))
            if outcome is None:
                row.update(status=PENDING, reason="", duration_ms=None, result_size=None,
                           outcome_hash=None, outcome_mac=None)
            else:
                bound = outcome_hash(row["hash"], outcome)
                row.update(outcome, outcome_hash=bound,
                           outcome_mac=self._seal(OUTCOME, seq, row["id"], bound))
            rows.append(row)
            if seq % self.checkpoint_every == 0:
                checkpoints.append(
                    {"seq": seq, "entry_id": row["id"], "hash": row["hash"], "count": seq,
                     "created_at": to_micros(utcnow()),
                     "mac": self._seal(CHECKPOINT, seq, row["id"], row["hash"])}
                )
        if len(rows) > 1:
            cur.executemany(self._sql.insert_entry, rows)
        else:
            cur.execute(self._sql.insert_entry, rows[0])
        if self.is_sqlite:
            fts = [{"seq": r["seq"], "params": r["params"], "reason": r["reason"]} for r in rows]
            if len(fts) > 1:
                cur.executemany(self._sql.fts_insert, fts)
            else:
                cur.execute(self._sql.fts_insert, fts[0])
        if checkpoints:
            cur.executemany(self._sql.insert_checkpoint, checkpoints)
        last = rows[-1]
        values = {"seq": last["seq"], "entry_id": last["id"], "ts": last["ts"],
                  "hash": last["hash"],
                  "mac": self._seal(HEAD, last["seq"], last["id"], last["hash"])}
        if head is None:
            cur.execute(self._sql.insert_head, dict(values, key=1))
        else:
            cur.execute(self._sql.update_head, values)
        return rows

    def _witness(self, rows: list[dict[str, Any]]) -> None:
        """Move the witness to the last of ``rows``, once their transaction is committed
        (a witness may lag the database, never lead it)."""
        if self.witness is not None and rows:
            last = rows[-1]
            self.witness.advance(last["seq"], last["id"], last["hash"])

    def _tail_after_prunes(self, cur: DriverCursor) -> tuple[int, str, int]:
        """Where an empty head starts: the last entry, else the last anchor, else genesis."""
        last = cur.one(self._sql.newest_entry)
        if last is not None:
            return int(last[0]), str(last[1]), int(last[2])
        anchor = cur.one(self._sql.newest_anchor)
        if anchor is not None:
            return int(anchor[0]), str(anchor[1]), 0
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
        return rows_to_entries(rows), next_cursor

    def list_json(self, flt: AuditFilter, limit: int = 100, cursor: str | None = None) -> bytes:
        """``list``'s page as the JSON of ``Page[AuditEntry]``: the rows read fresh, each
        entry's JSON kept by its row's exact content (``RowMemo``), so an edited
        row is validated again (and refused if invalid), never answered from before."""
        with self._read() as conn:
            rows, next_cursor = list_entries(conn, flt, limit, cursor, fts=self.is_sqlite)
        return json_page([self._pages.of(r) for r in rows], next_cursor)

    def count_for_task(self, task_id: str) -> int:
        """How many calls of a task were decided (each has exactly one entry)."""
        with self._read() as conn:
            return int(conn.execute(
                select(func.count()).select_from(audit_log).where(audit_log.c.task_id == task_id)
            ).scalar_one())

    def count(self) -> int:
        with self._read() as conn:
            return int(conn.execute(select(func.count()).select_from(audit_log)).scalar_one())

    # --- verification and retention --------------------------------------------

    def verify(self, *, fast: bool = False) -> AuditVerification:
        """Walk the whole chain (``fast``: from the newest checkpoint only), check the
        seals and the head witness."""
        witness: HeadWitness | None
        witness_problem: str | None = None
        try:
            witness = self._witnessed()
        except AuditChainBroken as exc:
            witness, witness_problem = None, str(exc)
        with self._read() as conn:
            return verify_chain(
                conn, full=not fast, sealer=self.sealer, witness=witness,
                witness_problem=witness_problem, witnessed=self.witness is not None,
            )

    def prune(self, before: datetime, *, chunk: int = 20_000) -> int:
        """Delete entries older than ``before``; the last one deleted becomes the anchor.

        Works in chunks (one transaction each) so appends are never held up for long;
        after every chunk the chain verifies from the new anchor. Pending entries are
        never pruned (nor anything after one), so a running call keeps its entry.
        """
        cutoff = datetime_to_micros(before)
        total = 0
        while True:
            with self._lock, self._write() as conn:
                first_pending = conn.execute(
                    select(func.min(audit_log.c.seq)).where(audit_log.c.status == PENDING)
                ).scalar()
                query = select(audit_log.c.seq, audit_log.c.id, audit_log.c.hash,
                               audit_log.c.params, audit_log.c.reason).where(
                    audit_log.c.ts < cutoff)
                if first_pending is not None:
                    query = query.where(audit_log.c.seq < first_pending)
                rows = conn.execute(query.order_by(audit_log.c.seq).limit(chunk)).all()
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
