"""``client.tasks``: run bots, follow their events, look up past runs."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

from ..models import Task, TaskEvent, TaskStats
from ..namespace import Namespace, jsonable
from ..pagination import AsyncPager
from ..sse import DEFAULT_MAX_RECONNECTS, StatusCallback, TaskEventStream


class Tasks(Namespace):
    async def create(
        self, *, bot_id: str, input: str = "", metadata: dict[str, Any] | None = None
    ) -> Task:
        """Start a task and return at once (status ``queued``)."""
        # the server validates, so a bad body is a typed 422 that names the field
        body = {"bot_id": bot_id, "input": input, "metadata": jsonable(metadata or {})}
        data = await self._transport.request("POST", "/v1/tasks", json=body)
        return Task.model_validate(data)

    async def run(
        self, *, bot_id: str, input: str = "", metadata: dict[str, Any] | None = None
    ) -> Task:
        """Start a task, wait for it to end, and return it (``status``, ``output``, ``error``)."""
        task = await self.create(bot_id=bot_id, input=input, metadata=metadata)
        return await self.wait(task.id)

    async def wait(self, task_id: str) -> Task:
        """Wait (following the event stream) until a task ends; return it."""
        events = self.events(task_id)
        try:
            async for _ in events:
                pass
        finally:
            await events.aclose()
        return await self.get(task_id)

    async def stream(
        self,
        *,
        bot_id: str,
        input: str = "",
        metadata: dict[str, Any] | None = None,
        on_status: StatusCallback | None = None,
    ) -> AsyncIterator[TaskEvent]:
        """Start a task and yield its events as they happen, up to its last one.

        ``event.type`` is ``started``, ``message`` (``text``), ``tool_call`` (``tool_name``,
        ``params``, ``resource_id``, ``call_id``), ``result`` (``data``, ``duration_ms``),
        ``denied`` (``reason``), ``error`` (``error``) or ``complete`` (``output``).
        """
        task = await self.create(bot_id=bot_id, input=input, metadata=metadata)
        events = self.events(task.id, after=0, on_status=on_status)
        try:
            async for event in events:
                yield event
        finally:
            await events.aclose()

    def events(
        self,
        task_id: str,
        *,
        after: int | None = None,
        max_reconnects: int = DEFAULT_MAX_RECONNECTS,
        on_status: StatusCallback | None = None,
    ) -> TaskEventStream:
        """Attach to a task: its events after seq ``after`` (all if ``None``), then live ones.

        A dropped connection is resumed with ``Last-Event-ID``: no gap, no duplicate. The
        iterator ends after the task's terminal event (``event.is_terminal``).
        """
        return TaskEventStream(
            self._transport, task_id, after=after, max_reconnects=max_reconnects,
            on_status=on_status,
        )

    async def get(self, task_id: str) -> Task:
        return Task.model_validate(await self._transport.request("GET", f"/v1/tasks/{task_id}"))

    def list(
        self,
        *,
        bot_id: str | None = None,
        status: str | None = None,
        limit: int | None = None,
    ) -> AsyncPager[Task]:
        """Tasks, newest first; ``limit`` caps how many."""
        return AsyncPager(
            self._fetch("/v1/tasks"), Task, {"bot_id": bot_id, "status": status}, limit=limit
        )

    async def stats(
        self,
        *,
        task_ids: list[str] | None = None,
        window: int = 300,
        buckets: int = 60,
        recent: int = 3600,
    ) -> TaskStats:
        """The overview of many tasks: counts per status, those that ended in the last
        ``recent`` seconds, tool calls (denials, errors) per bucket over the last ``window``
        seconds, and for each of ``task_ids`` its failed calls and last event."""
        params: dict[str, Any] = {"window": window, "buckets": buckets, "recent": recent}
        if task_ids:
            params["task_id"] = list(task_ids)
        data = await self._transport.request("GET", "/v1/task-stats", params=params)
        return TaskStats.model_validate(data)

    async def cancel(self, task_id: str) -> Task:
        """Stop a queued or running task; returns it as it ended (``cancelled``)."""
        data = await self._transport.request("POST", f"/v1/tasks/{task_id}/cancel")
        return Task.model_validate(data)
