"""Stores each task event, then hands it to the live watchers (in that order: no gap)."""

from __future__ import annotations

import asyncio
from typing import Any

from ...client.models import TaskEvent
from ..store import Store
from .broker import EventBroker

TERMINAL_STATUSES = frozenset({"completed", "failed", "cancelled"})


def is_terminal(event: TaskEvent) -> bool:
    """The last event of a task: it carries the task's final status."""
    return event.status in TERMINAL_STATUSES


class EventRecorder:
    def __init__(self, store: Store, broker: EventBroker) -> None:
        self.store = store
        self.broker = broker

    async def record(
        self,
        task_id: str,
        type: str,
        *,
        task_changes: dict[str, Any] | None = None,
        **fields: Any,
    ) -> TaskEvent:
        """Append an event (and task changes, atomically); then publish it."""
        event = await asyncio.to_thread(
            self.store.tasks.append_event, task_id, type, fields, task_changes=task_changes
        )
        # published only once stored: a watcher that replays the store after subscribing
        # sees every event either in the replay or live
        self.broker.publish(event)
        return event
