"""In-process fan-out of task events to everyone watching a task.

Events stored by another process reach this one's watchers as a ``poke`` (from the
PostgreSQL NOTIFY feed, ``feed.py``) or by their own poll of the store. A watcher that
falls too far behind is marked ``overflowed`` and catches up from the store instead of
holding memory.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from contextlib import contextmanager

from ...client.models import TaskEvent

#: events a slow watcher may have pending before it is told to re-read the store
QUEUE_LIMIT = 10_000


class Subscription:
    """One watcher's live events for one task."""

    __slots__ = ("overflowed", "queue", "task_id")

    def __init__(self, task_id: str) -> None:
        self.task_id = task_id
        #: live events; ``None`` means "events were stored elsewhere: read the store"
        self.queue: asyncio.Queue[TaskEvent | None] = asyncio.Queue(QUEUE_LIMIT)
        self.overflowed = False

    def offer(self, event: TaskEvent | None) -> None:
        try:
            self.queue.put_nowait(event)
        except asyncio.QueueFull:
            self.overflowed = True

    def drain(self) -> None:
        """Forget what is queued (the watcher re-reads the store instead)."""
        while not self.queue.empty():
            self.queue.get_nowait()
        self.overflowed = False


class EventBroker:
    """Task id -> its live watchers. Used from the event loop only."""

    def __init__(self) -> None:
        self._watchers: dict[str, set[Subscription]] = {}

    @contextmanager
    def subscribe(self, task_id: str) -> Iterator[Subscription]:
        sub = Subscription(task_id)
        self._watchers.setdefault(task_id, set()).add(sub)
        try:
            yield sub
        finally:
            subs = self._watchers.get(task_id)
            if subs is not None:
                subs.discard(sub)
                if not subs:
                    del self._watchers[task_id]

    def publish(self, event: TaskEvent) -> None:
        for sub in self._watchers.get(event.task_id, ()):
            sub.offer(event)

    def poke(self, task_id: str) -> None:
        """Another process stored events of this task: its watchers read the store."""
        for sub in self._watchers.get(task_id, ()):
            sub.offer(None)

    def watchers(self, task_id: str) -> int:
        """How many watchers follow a task now."""
        return len(self._watchers.get(task_id, ()))
