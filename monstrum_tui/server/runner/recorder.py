"""Stores task events in group commits, then hands them to the live watchers.

Events are numbered here (per task, in memory, starting after what the store holds)
and written by one writer coroutine in batches: one transaction per batch instead of
one per event. Watchers get an event only once it is stored, so a watcher that
replays the store after subscribing sees every event, either in the replay or live.

``record`` waits for the commit of the events that change the task's state
(``started``, the terminal event); others return at once, unless the backlog is long
(then the caller waits too, which is the back-pressure). Events nobody waits for are
held up to ``LINGER_S`` so the next ones share their commit.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from ...client.models import FINISHED_TASK_STATUSES, EventType, TaskEvent
from ..event_frames import EVENT_COLUMNS, EventFrame, SerialisedEvent
from ..store import Store
from ..store.columns import utcnow
from .broker import EventBroker

log = logging.getLogger("monstrum.runner")

TERMINAL_STATUSES = FINISHED_TASK_STATUSES
#: events buffered before ``record`` waits for its own commit
BACKLOG_LIMIT = 2000
#: how long events nobody waits for are held for others to join their commit: a tool
#: call makes two (its call and its result) a few hundred µs apart, and a commit per
#: event was a second writer beside the calls' own audit entries
LINGER_S = 0.002
#: events a caller that records many in a row queues before it lets the writer run
HAND_OVER_EVERY = 200


def is_terminal(event: TaskEvent) -> bool:
    """The last event of a task: it carries the task's final status."""
    return event.status in TERMINAL_STATUSES


@dataclass(slots=True)
class PendingEvent:
    event: TaskEvent
    payload: dict[str, Any]
    task_changes: dict[str, Any] | None
    done: asyncio.Future[None] | None


class TaskLost(Exception):
    """The task was taken over by another process: this one may write nothing into it."""


class EventRecorder:
    def __init__(
        self,
        store: Store,
        broker: EventBroker,
        *,
        owner: str | None = None,
        on_lost: Callable[[set[str]], None] | None = None,
    ) -> None:
        """``owner`` fences every write: only events of tasks it holds are stored, the
        rest are dropped and reported to ``on_lost``."""
        self.store = store
        self.broker = broker
        self.owner = owner
        self.on_lost = on_lost
        self._next_seq: dict[str, int] = {}
        self._pending: list[PendingEvent] = []
        self._wake: asyncio.Event | None = None
        self._writer: asyncio.Task[None] | None = None

    def start(self) -> None:
        self._wake = asyncio.Event()
        self._writer = asyncio.create_task(self._write_loop(), name="task event writer")

    async def stop(self) -> None:
        """Write what is pending, then stop the writer."""
        await self.flush()
        if self._writer is not None:
            self._writer.cancel()
            try:
                await self._writer
            except asyncio.CancelledError:
                pass
            self._writer = None

    async def flush(self) -> None:
        if self._pending and self._writer is not None:
            done = asyncio.get_running_loop().create_future()
            self._pending[-1].done = self._pending[-1].done or done
            last = self._pending[-1].done
            assert self._wake is not None
            self._wake.set()
            await asyncio.shield(last)

    def forget(self, task_id: str) -> None:
        """Number the task's next event from what the store holds (after a claim)."""
        self._next_seq.pop(task_id, None)

    async def _first_seq(self, task_id: str) -> int:
        """The seq of the task's first event recorded by this process."""
        return await asyncio.to_thread(self.store.tasks.last_seq, task_id) + 1

    async def record(
        self,
        task_id: str,
        type: EventType,
        *,
        task_changes: dict[str, Any] | None = None,
        wait: bool | None = None,
        **fields: Any,
    ) -> TaskEvent:
        """Number and queue an event (with task changes applied in the same commit).

        The event is validated here, so a caller learns at once of one the model refuses;
        its JSON is made in the writer's thread (unset fields are left out there)."""
        payload = {k: v for k, v in fields.items() if v is not None and k not in EVENT_COLUMNS}
        seq = self._next_seq.get(task_id)
        if seq is None:
            seq = await self._first_seq(task_id)
        self._next_seq[task_id] = seq + 1
        # the model's own validator: model_validate's argument handling is a fifth of it
        event: TaskEvent = TaskEvent.__pydantic_validator__.validate_python(
            {**payload, "seq": seq, "task_id": task_id, "type": type, "timestamp": utcnow()})
        if is_terminal(event):
            self._next_seq.pop(task_id, None)
        must_wait = (
            wait if wait is not None
            else type == "started" or is_terminal(event) or len(self._pending) >= BACKLOG_LIMIT
        )
        done = asyncio.get_running_loop().create_future() if must_wait else None
        self._pending.append(PendingEvent(event, payload, task_changes, done))
        if self._writer is None:  # not started (tests of the store): write inline
            await self._write(self._take())
        else:
            assert self._wake is not None
            self._wake.set()
            if done is None and len(self._pending) % HAND_OVER_EVERY == 0:
                # a caller recording many events in a row lets the writer store the first
                # ones (and the watchers send them) while it makes the next
                await asyncio.sleep(0)
        if done is not None:
            await asyncio.shield(done)
        return event

    def _take(self) -> list[PendingEvent]:
        batch, self._pending = self._pending, []
        return batch

    def _store(self, batch: list[PendingEvent]) -> tuple[set[str], list[EventFrame]]:
        """In the writer's thread: serialise each event once, store the batch; the ids
        of the tasks lost, and every event's frame."""
        rows = [(SerialisedEvent.of(p.event, p.payload), p.task_changes) for p in batch]
        lost = self.store.tasks.append_events(rows, owner=self.owner)
        return lost, [s.frame() for s, _ in rows]

    async def _write(self, batch: list[PendingEvent]) -> None:
        try:
            lost, frames = await asyncio.to_thread(self._store, batch)
        except Exception as exc:
            log.exception("could not store %d task events", len(batch))
            for p in batch:
                if p.done is not None and not p.done.done():
                    p.done.set_exception(exc)
            return
        by_task: dict[str, list[EventFrame]] = {}
        for p, frame in zip(batch, frames, strict=True):
            if p.event.task_id in lost:
                if p.done is not None and not p.done.done():
                    p.done.set_exception(TaskLost(p.event.task_id))
                continue
            by_task.setdefault(p.event.task_id, []).append(frame)
        for task_id, stored in by_task.items():
            self.broker.publish(task_id, stored)
        for p in batch:
            if p.done is not None and not p.done.done():
                p.done.set_result(None)
        if lost:
            for task_id in lost:
                self._next_seq.pop(task_id, None)
            if self.on_lost is not None:
                self.on_lost(lost)

    async def _write_loop(self) -> None:
        assert self._wake is not None
        while True:
            await self._wake.wait()
            self._wake.clear()
            while self._pending:
                if not any(p.done for p in self._pending):
                    # nobody waits for these: let the next moment's events join the commit
                    await asyncio.sleep(LINGER_S)
                await self._write(self._take())
