"""Tasks at rest, and their event streams (one row per event, ``seq`` counting from 1)."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import func, insert, select, update

from ...client.models import FINISHED_TASK_STATUSES, Task, TaskEvent
from ..ids import new_id
from .columns import utcnow
from .cursor import keyset_page
from .schema import task_events, tasks

if TYPE_CHECKING:
    from sqlalchemy import Connection

    from .store import Store

UNFINISHED = ("queued", "running", "waiting_approval")
FINISHED = tuple(sorted(FINISHED_TASK_STATUSES))
#: the TaskEvent fields kept in their own columns, not in the payload
_EVENT_COLUMNS = frozenset({"seq", "task_id", "type", "timestamp"})


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


def row_to_event(row: Any) -> TaskEvent:
    return TaskEvent(
        seq=row.seq, task_id=row.task_id, type=row.type, timestamp=row.timestamp, **row.payload
    )


class TaskRepository:
    def __init__(self, store: Store) -> None:
        self._store = store

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

    def unfinished(self) -> list[Task]:
        """Tasks still queued or running, oldest first."""
        with self._store.read() as conn:
            rows = conn.execute(
                select(tasks).where(tasks.c.status.in_(UNFINISHED)).order_by(tasks.c.id)
            ).all()
        return [row_to_task(r) for r in rows]

    def update(self, task_id: str, changes: dict[str, Any]) -> None:
        with self._store.write() as conn:
            conn.execute(update(tasks).where(tasks.c.id == task_id).values(**changes))

    def append_event(
        self,
        task_id: str,
        type: str,
        fields: dict[str, Any],
        *,
        task_changes: dict[str, Any] | None = None,
        timestamp: datetime | None = None,
    ) -> TaskEvent:
        """Store the task's next event (and, in the same transaction, task changes)."""
        when = timestamp or utcnow()
        payload = {k: v for k, v in fields.items() if v is not None and k not in _EVENT_COLUMNS}
        with self._store.write() as conn:
            seq = _next_seq(conn, task_id)
            conn.execute(
                insert(task_events).values(
                    task_id=task_id, seq=seq, type=type, payload=payload, timestamp=when
                )
            )
            if task_changes:
                conn.execute(update(tasks).where(tasks.c.id == task_id).values(**task_changes))
        return TaskEvent(seq=seq, task_id=task_id, type=type, timestamp=when, **payload)

    def append_events(
        self, rows: list[tuple[TaskEvent, dict[str, Any], dict[str, Any] | None]]
    ) -> None:
        """Store numbered events, and each one's task changes, in one transaction."""
        if not rows:
            return
        with self._store.write() as conn:
            conn.execute(
                insert(task_events),
                [
                    {"task_id": e.task_id, "seq": e.seq, "type": e.type, "payload": payload,
                     "timestamp": e.timestamp}
                    for e, payload, _ in rows
                ],
            )
            for event, _, changes in rows:
                if changes:
                    conn.execute(
                        update(tasks).where(tasks.c.id == event.task_id).values(**changes)
                    )

    def events_after(self, task_id: str, after: int = 0, limit: int = 1000) -> list[TaskEvent]:
        """Up to ``limit`` events with ``seq > after``, in order."""
        with self._store.read() as conn:
            rows = conn.execute(
                select(task_events)
                .where(task_events.c.task_id == task_id, task_events.c.seq > after)
                .order_by(task_events.c.seq)
                .limit(limit)
            ).all()
        return [row_to_event(r) for r in rows]

    def last_seq(self, task_id: str) -> int:
        with self._store.read() as conn:
            return _next_seq(conn, task_id) - 1


def _next_seq(conn: Connection, task_id: str) -> int:
    current = conn.execute(
        select(func.max(task_events.c.seq)).where(task_events.c.task_id == task_id)
    ).scalar()
    return int(current or 0) + 1
