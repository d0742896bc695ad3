"""Tasks at rest, and their event streams (one row per event, ``seq`` counting from 1)."""

from __future__ import annotations

import builtins
import json
import time
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import Text, cast, func, insert, or_, select, text, update

from ...client.models import (
    FINISHED_TASK_STATUSES,
    UNFINISHED_TASK_STATUSES,
    EventType,
    Task,
    TaskEvent,
)
from ..event_frames import EVENT_COLUMNS, EventFrame, SerialisedEvent, event_body, sse_frame
from ..ids import new_id
from .columns import utcnow
from .cursor import keyset_page
from .database import DriverColumns, driver_write, param, positional
from .schema import task_events, tasks

if TYPE_CHECKING:
    from sqlalchemy import ColumnElement, Connection, Dialect

    from .store import Store

UNFINISHED = UNFINISHED_TASK_STATUSES
#: a task some process holds: running, or waiting for a person between two steps
HELD = ("running", "waiting_approval")
FINISHED = tuple(sorted(FINISHED_TASK_STATUSES))
#: the largest event seq every database can compare with (PostgreSQL's INTEGER)
MAX_EVENT_SEQ = 2**31 - 1


def row_to_task(row: Any) -> Task:
    return Task(
        id=row.id,
        bot_id=row.bot_id,
        status=row.status,
        input=row.input,
        output=row.output,
        error=row.error,
        metadata=dict(row.metadata),
        tool_calls=row.tool_calls,
        denials=row.denials,
        created_at=row.created_at,
        started_at=row.started_at,
        finished_at=row.finished_at,
    )


def now_micros() -> int:
    return time.time_ns() // 1_000


#: the columns of a stored event, in the order ``append_events`` binds them
_EVENT_ROW = ("task_id", "seq", "type", "payload", "timestamp", "body")


class _EventSql:
    """The statements of ``append_events`` as driver SQL for one dialect."""

    def __init__(self, dialect: Dialect) -> None:
        self.dialect = dialect.name
        self.postgresql = dialect.name == "postgresql"
        self.events = DriverColumns(dialect, list(task_events.columns))
        #: a timestamp as ``task_events.timestamp`` stores it
        self.stamp = self.events.writer("timestamp")
        self.tasks = DriverColumns(dialect, list(tasks.columns))
        if set(_EVENT_ROW) != set(self.events.names):
            raise RuntimeError("task_events' columns changed: update _EVENT_ROW")
        # positional placeholders: the batch is bound a row at a time, and a tuple binds
        # about a third faster than a dict by names
        self.insert_event = (
            f"INSERT INTO {task_events.name} ({', '.join(_EVENT_ROW)}) "
            f"VALUES ({', '.join(positional(self.dialect) for _ in _EVENT_ROW)})"
        )
        self.notify = (f"SELECT pg_notify({param(self.dialect, 'c')}, "
                       f"{param(self.dialect, 'p')})")
        self._updates: dict[tuple[str, ...], str] = {}

    def held(self, ids: list[str], owner: str) -> tuple[str, dict[str, Any]]:
        """Which of these tasks the owner holds (on PostgreSQL locked: a take-over waits
        for this commit)."""
        names = [f"t{i}" for i in range(len(ids))]
        query = (f"SELECT id FROM {tasks.name} WHERE owner = {param(self.dialect, 'owner')} "
                 f"AND id IN ({', '.join(param(self.dialect, n) for n in names)})")
        if self.postgresql:
            query += " FOR UPDATE"
        return query, {"owner": owner, **dict(zip(names, ids, strict=True))}

    def update_task(self, task_id: str, changes: dict[str, Any]) -> tuple[str, dict[str, Any]]:
        keys = tuple(sorted(changes))
        unknown = set(keys) - set(self.tasks.names)
        if unknown:
            raise ValueError(f"tasks has no column {', '.join(sorted(unknown))}")
        query = self._updates.get(keys)
        if query is None:
            query = (f"UPDATE {tasks.name} SET "
                     + ", ".join(f"{k} = {param(self.dialect, 'v_' + k)}" for k in keys)
                     + f" WHERE id = {param(self.dialect, 'task_id')}")
            self._updates[keys] = query
        bound = self.tasks.bound(changes)
        return query, {"task_id": task_id, **{f"v_{k}": bound[k] for k in keys}}


#: arbitrary constant naming the advisory lock that serializes claims on PostgreSQL
_CLAIM_LOCK_KEY = 0x6D6F6E636C61696D
#: the channel a PostgreSQL store notifies on: events stored, tasks queued, cancels asked
NOTIFY_CHANNEL = "monstrum_tasks"


@dataclass(frozen=True)
class Claimed:
    """A task this process now runs: new from the queue, or taken over from a process
    whose lease passed (``taken_over``)."""

    task: Task
    taken_over: bool
    #: a cancel asked meanwhile (of a process that stopped before acting on it)
    cancel_requested: str | None = None


@dataclass(frozen=True)
class Held:
    """A task this process still holds after renewing its leases, and any cancel asked."""

    task_id: str
    cancel_requested: str | None


def row_to_event(row: Any) -> TaskEvent:
    return TaskEvent(
        seq=row.seq, task_id=row.task_id, type=row.type, timestamp=row.timestamp, **row.payload
    )


class TaskRepository:
    def __init__(self, store: Store) -> None:
        self._store = store
        self._events_sql: _EventSql | None = None

    def create(self, bot_id: str, input: str, metadata: dict[str, Any]) -> Task:
        row = {
            "id": new_id("task"),
            "bot_id": bot_id,
            "status": "queued",
            "input": input,
            "output": None,
            "error": None,
            "metadata": metadata,
            "tool_calls": 0,
            "denials": 0,
            "created_at": utcnow(),
            "started_at": None,
            "finished_at": None,
        }
        with self._store.write() as conn:
            conn.execute(insert(tasks).values(**row))
            self._notify(conn, "q")
        return Task.model_validate(row)

    def get(self, task_id: str) -> Task | None:
        with self._store.read() as conn:
            row = conn.execute(select(tasks).where(tasks.c.id == task_id)).first()
        return row_to_task(row) if row else None

    def list(
        self,
        limit: int,
        cursor: str | None = None,
        *,
        bot_id: str | None = None,
        status: str | None = None,
    ) -> tuple[list[Task], str | None]:
        """Newest first (ids are time-ordered), keyset-paged on the id."""
        query = select(tasks)
        if bot_id:
            query = query.where(tasks.c.bot_id == bot_id)
        if status:
            query = query.where(tasks.c.status == status)
        with self._store.read() as conn:
            rows, next_cursor = keyset_page(
                conn, query, tasks.c.id, limit, cursor, descending=True
            )
        return [row_to_task(r) for r in rows], next_cursor

    def unfinished(self) -> builtins.list[Task]:
        """Tasks still queued or running, oldest first."""
        with self._store.read() as conn:
            rows = conn.execute(
                select(tasks).where(tasks.c.status.in_(UNFINISHED)).order_by(tasks.c.id)
            ).all()
        return [row_to_task(r) for r in rows]

    def count_unfinished(self) -> int:
        """How many tasks are queued or running."""
        with self._store.read() as conn:
            return int(conn.execute(
                select(func.count()).select_from(tasks).where(tasks.c.status.in_(UNFINISHED))
            ).scalar_one())

    def update(self, task_id: str, changes: dict[str, Any]) -> None:
        with self._store.write() as conn:
            conn.execute(update(tasks).where(tasks.c.id == task_id).values(**changes))

    def append_event(
        self,
        task_id: str,
        type: EventType,
        fields: dict[str, Any],
        *,
        task_changes: dict[str, Any] | None = None,
        timestamp: datetime | None = None,
    ) -> TaskEvent:
        """Store the task's next event (and, in the same transaction, task changes)."""
        when = timestamp or utcnow()
        payload = {k: v for k, v in fields.items() if v is not None and k not in EVENT_COLUMNS}
        with self._store.write() as conn:
            seq = _next_seq(conn, task_id)
            event = TaskEvent(seq=seq, task_id=task_id, type=type, timestamp=when, **payload)
            conn.execute(
                insert(task_events).values(
                    task_id=task_id, seq=seq, type=type, payload=payload, timestamp=when,
                    body=event_body(event),
                )
            )
            if task_changes:
                conn.execute(update(tasks).where(tasks.c.id == task_id).values(**task_changes))
        return event

    def append_events(
        self,
        rows: builtins.list[tuple[SerialisedEvent, dict[str, Any] | None]],
        *,
        owner: str | None = None,
    ) -> set[str]:
        """Store numbered events, and each one's task changes, in one transaction.

        Each event is stored as the texts it was serialised to (``SerialisedEvent``: made
        once, by the caller that also sends them live).

        With ``owner`` only events of tasks that owner still holds are stored (a process
        whose task was taken over cannot write into it any more); returns the ids of the
        tasks whose events were dropped for that reason.

        Run on the driver (``_EventSql``), the batch in one ``executemany``: the runner
        writes a batch for about every tool call, in a thread beside the calls themselves.
        """
        if not rows:
            return set()
        sql = self._event_sql()
        ids = sorted({s.event.task_id for s, _ in rows})
        with driver_write(self._store.engine) as cur:
            dropped: set[str] = set()
            if owner is not None:
                query, values = sql.held(ids, owner)
                owned = {r[0] for r in cur.all(query, values)}
                dropped = set(ids) - owned
                rows = [r for r in rows if r[0].event.task_id in owned]
                if not rows:
                    return dropped
            stamp = sql.stamp
            # the payload is JSON text already (the model's own dump): no column processor
            events = [(s.event.task_id, s.event.seq, s.event.type, s.payload,
                       stamp(s.event.timestamp), s.body)
                      for s, _ in rows]
            if len(events) > 1:
                cur.executemany(sql.insert_event, events)
            else:
                cur.execute(sql.insert_event, events[0])
            for s, changes in rows:
                if changes:
                    cur.execute(*sql.update_task(s.event.task_id, changes))
            if sql.postgresql:
                for task_id in sorted({s.event.task_id for s, _ in rows}):
                    cur.execute(sql.notify, {"c": NOTIFY_CHANNEL, "p": f"e:{task_id}"})
        return dropped

    def _event_sql(self) -> _EventSql:
        if self._events_sql is None:
            self._events_sql = _EventSql(self._store.engine.dialect)
        return self._events_sql

    # --- sharing the queue between server processes (runner/loop.py) -------------------

    def _is_postgresql(self) -> bool:
        return self._store.engine.dialect.name == "postgresql"

    def _notify(self, conn: Connection, payload: str) -> None:
        """Tell the other processes (PostgreSQL; delivered when the transaction commits)."""
        if self._is_postgresql():
            conn.execute(text("SELECT pg_notify(:c, :p)"), {"c": NOTIFY_CHANNEL, "p": payload})

    def running_owners(self) -> builtins.list[str]:
        """The owners holding running tasks now (to spot ones whose process died)."""
        with self._store.read() as conn:
            return [r[0] for r in conn.execute(
                select(tasks.c.owner).where(tasks.c.status.in_(HELD),
                                            tasks.c.owner.is_not(None)).distinct()
            ).all()]

    def claim(
        self,
        owner: str,
        *,
        limit: int,
        per_bot: int,
        lease_s: float,
        dead_owners: frozenset[str] = frozenset(),
    ) -> builtins.list[Claimed]:
        """Claim up to ``limit`` tasks for ``owner``: running ones whose lease passed (or
        whose owner is known dead) first, then queued ones, oldest first, never more than
        ``per_bot`` running for one bot across every process.

        One transaction, serialized across processes (``BEGIN IMMEDIATE`` on SQLite, an
        advisory lock plus ``FOR UPDATE SKIP LOCKED`` on PostgreSQL), so a task is never
        claimed twice.
        """
        if limit <= 0:
            return []
        now = now_micros()
        until = now + int(lease_s * 1_000_000)
        dead = sorted(dead_owners)
        with self._store.write() as conn:
            if self._is_postgresql():
                conn.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": _CLAIM_LOCK_KEY})
            expired = or_(tasks.c.lease_until.is_(None), tasks.c.lease_until < now)
            if dead:
                expired = or_(expired, tasks.c.owner.in_(dead))
            live = select(tasks.c.bot_id, func.count()).where(
                tasks.c.status.in_(HELD), ~expired).group_by(tasks.c.bot_id)
            running_by_bot: dict[str, int] = {b: int(n) for b, n in conn.execute(live).all()}
            stale = select(tasks).where(tasks.c.status.in_(HELD), expired)
            queued = select(tasks).where(tasks.c.status == "queued", tasks.c.owner.is_(None))
            if self._is_postgresql():
                stale = stale.with_for_update(skip_locked=True)
                queued = queued.with_for_update(skip_locked=True)
            candidates = [(row, True) for row in conn.execute(
                stale.order_by(tasks.c.id).limit(limit)).all()]
            candidates += [(row, False) for row in conn.execute(
                queued.order_by(tasks.c.id).limit(limit * 4 + per_bot)).all()]
            claimed: list[Claimed] = []
            for row, taken_over in candidates:
                if len(claimed) >= limit:
                    break
                if running_by_bot.get(row.bot_id, 0) >= max(1, per_bot) and not taken_over:
                    continue
                values: dict[str, Any] = {"owner": owner, "lease_until": until}
                if taken_over:
                    values["resumes"] = tasks.c.resumes + 1
                    guard: ColumnElement[bool] = tasks.c.status.in_(HELD)
                else:
                    values["status"] = "running"
                    guard = tasks.c.status == "queued"
                done = conn.execute(update(tasks).where(tasks.c.id == row.id, guard)
                                    .values(**values))
                if done.rowcount != 1:
                    continue
                if not taken_over:
                    running_by_bot[row.bot_id] = running_by_bot.get(row.bot_id, 0) + 1
                fresh = conn.execute(select(tasks).where(tasks.c.id == row.id)).one()
                claimed.append(Claimed(row_to_task(fresh), taken_over, fresh.cancel_requested))
        return claimed

    def renew(self, owner: str, lease_s: float) -> builtins.list[Held]:
        """Extend the leases of every running task ``owner`` holds; what it still holds
        (a task taken over meanwhile is not in the list) and any cancel asked of it."""
        until = now_micros() + int(lease_s * 1_000_000)
        with self._store.write() as conn:
            conn.execute(update(tasks).where(tasks.c.owner == owner,
                                             tasks.c.status.in_(HELD))
                         .values(lease_until=until))
            rows = conn.execute(select(tasks.c.id, tasks.c.cancel_requested).where(
                tasks.c.owner == owner, tasks.c.status.in_(HELD))).all()
        return [Held(r.id, r.cancel_requested) for r in rows]

    def release(self, owner: str, task_ids: builtins.list[str]) -> int:
        """Give tasks back (a server stopping hands them off): another process, or this
        one when it starts again, takes them over at once."""
        if not task_ids:
            return 0
        with self._store.write() as conn:
            done = conn.execute(
                update(tasks).where(tasks.c.owner == owner, tasks.c.id.in_(task_ids),
                                    tasks.c.status.in_(HELD))
                .values(owner=None, lease_until=0)
            )
            self._notify(conn, "q")
        return int(done.rowcount)

    def take_queued(self, task_id: str, owner: str) -> bool:
        """Hold a queued task no process has claimed yet (to cancel it here and now)."""
        with self._store.write() as conn:
            done = conn.execute(
                update(tasks).where(tasks.c.id == task_id, tasks.c.status == "queued",
                                    tasks.c.owner.is_(None)).values(owner=owner)
            )
        return done.rowcount == 1

    def request_cancel(self, task_id: str, reason: str) -> bool:
        """Ask whoever runs the task to cancel it; False if it is already finished."""
        with self._store.write() as conn:
            done = conn.execute(
                update(tasks).where(tasks.c.id == task_id, tasks.c.status.in_(UNFINISHED))
                .values(cancel_requested=reason)
            )
            self._notify(conn, f"c:{task_id}")
        return done.rowcount == 1

    def notify_queued(self) -> None:
        """Wake the other processes' claim loops (a task was queued)."""
        if self._is_postgresql():
            with self._store.write() as conn:
                self._notify(conn, "q")

    def events_after(
        self, task_id: str, after: int = 0, limit: int = 1000
    ) -> builtins.list[TaskEvent]:
        """Up to ``limit`` events with ``seq > after``, in order."""
        # seq is a 32-bit INTEGER on PostgreSQL, which refuses a larger bound outright;
        # no task has that many events, so a larger ``after`` means "nothing after"
        after = min(after, MAX_EVENT_SEQ)
        with self._store.read() as conn:
            rows = conn.execute(
                select(task_events)
                .where(task_events.c.task_id == task_id, task_events.c.seq > after)
                .order_by(task_events.c.seq)
                .limit(limit)
            ).all()
        return [row_to_event(r) for r in rows]

    def frames_after(
        self, task_id: str, after: int = 0, limit: int = 1000
    ) -> builtins.list[EventFrame]:
        """``events_after`` as SSE frames: from each event's stored JSON, or (an event
        stored before bodies were kept) serialised from its payload now."""
        after = min(after, MAX_EVENT_SEQ)
        raw_payload = cast(task_events.c.payload, Text)  # decoded only where needed
        with self._store.read() as conn:
            rows = conn.execute(
                select(task_events.c.seq, task_events.c.type, task_events.c.timestamp,
                       task_events.c.body, raw_payload)
                .where(task_events.c.task_id == task_id, task_events.c.seq > after)
                .order_by(task_events.c.seq)
                .limit(limit)
            ).all()
        frames = []
        for seq, type, timestamp, body, payload in rows:
            if body is None:
                event = TaskEvent(seq=seq, task_id=task_id, type=type, timestamp=timestamp,
                                  **json.loads(payload))
                frames.append(EventFrame.of(event))
                continue
            # the terminal event carries the final status: most payloads have no status
            terminal = ('"status"' in payload
                        and json.loads(payload).get("status") in FINISHED_TASK_STATUSES)
            frames.append(EventFrame(seq, terminal, sse_frame(seq, type, body)))
        return frames

    def last_seq(self, task_id: str) -> int:
        with self._store.read() as conn:
            return _next_seq(conn, task_id) - 1


def _next_seq(conn: Connection, task_id: str) -> int:
    current = conn.execute(
        select(func.max(task_events.c.seq)).where(task_events.c.task_id == task_id)
    ).scalar()
    return int(current or 0) + 1
