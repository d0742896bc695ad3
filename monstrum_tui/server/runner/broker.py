"""In-process fan-out of task events to everyone watching a task.

The recorder hands over each stored batch of a task's events as ready-made SSE frames
(``EventFrame``, serialised once for every watcher): one queue item, one wake-up per
watcher per batch, not per event. Events stored by another process reach this one's
watchers as a ``poke`` (from the PostgreSQL NOTIFY feed, ``feed.py``) or by their own
poll of the store. A watcher that falls too far behind is marked ``overflowed`` and
catches up from the store instead of holding memory.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator, Sequence
from contextlib import contextmanager

from ..event_frames import EventFrame

#: events a slow watcher may have pending before it is told to re-read the store
QUEUE_LIMIT = 10_000


class Subscription:
    """One watcher's live events for one task."""

    __slots__ = ("overflowed", "pending", "queue", "task_id")

    def __init__(self, task_id: str) -> None:
        self.task_id = task_id
        #: batches of live events, in order; ``None`` means "events were stored
        #: elsewhere: read the store"
        self.queue: asyncio.Queue[Sequence[EventFrame] | None] = asyncio.Queue()
        #: events queued and not yet taken
        self.pending = 0
        self.overflowed = False

    def offer(self, frames: Sequence[EventFrame] | None) -> None:
        if frames is not None:
            if self.overflowed or self.pending + len(frames) > QUEUE_LIMIT:
                self.overflowed = True
                return
            self.pending += len(frames)
        self.queue.put_nowait(frames)

    def took(self, frames: Sequence[EventFrame] | None) -> None:
        """The watcher took this item off the queue."""
        if frames is not None:
            self.pending -= len(frames)

    def drain(self) -> None:
        """Forget what is queued (the watcher re-reads the store instead)."""
        while not self.queue.empty():
            self.queue.get_nowait()
        self.pending = 0
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

    def publish(self, task_id: str, frames: Sequence[EventFrame]) -> None:
        """Events of one task just stored by this process, in seq order."""
        if frames:
            for sub in self._watchers.get(task_id, ()):
                sub.offer(frames)

    def poke(self, task_id: str) -> None:
        """Another process stored events of this task: its watchers read the store."""
        for sub in self._watchers.get(task_id, ()):
            sub.offer(None)

    def watchers(self, task_id: str) -> int:
        """How many watchers follow a task now."""
        return len(self._watchers.get(task_id, ()))
