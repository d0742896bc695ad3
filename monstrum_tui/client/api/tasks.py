"""``client.tasks``: run bots, follow their events, look up past runs."""

from __future__ import annotations

import builtins
from collections.abc import AsyncIterator, Mapping
from typing import Any

from ..idempotency import check_idempotency_key
from ..models import Task, TaskEvent, TaskStats
from ..namespace import Namespace, check_id, id_segment, jsonable, optional_id
from ..pagination import AsyncPager
from ..sse import DEFAULT_MAX_RECONNECTS, StatusCallback, TaskEventStream


class Tasks(Namespace):
    async def create(
        self,
        *,
        bot_id: str,
        input: str = "",
        metadata: dict[str, Any] | None = None,
        idempotency_key: str | None = None,
        extra_headers: Mapping[str, str] | None = None,
    ) -> Task:
        """Start a task and return at once (status ``queued``).

        Retries (after a timeout or a dropped connection) carry the same idempotency key,
        so the bot runs once; pass ``idempotency_key`` to choose it yourself, e.g. to make
        a webhook delivered twice start one task.
        """
        # the server validates, so a bad body is a typed 422 that names the field
        body = {
            "bot_id": check_id("bot_id", bot_id),
            "input": input,
            "metadata": jsonable(metadata or {}),
        }
        data = await self._transport.request(
            "POST", "/v1/tasks", json=body, headers=extra_headers,
            idempotency_key=idempotency_key,
        )
        return Task.model_validate(data)

    async def run(
        self,
        *,
        bot_id: str,
        input: str = "",
        metadata: dict[str, Any] | None = None,
        idempotency_key: str | None = None,
        extra_headers: Mapping[str, str] | None = None,
    ) -> Task:
        """Start a task, wait for it to end, and return it (``status``, ``output``, ``error``)."""
        task = await self.create(
            bot_id=bot_id, input=input, metadata=metadata, idempotency_key=idempotency_key,
            extra_headers=extra_headers,
        )
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

    def stream(
        self,
        *,
        bot_id: str,
        input: str = "",
        metadata: dict[str, Any] | None = None,
        on_status: StatusCallback | None = None,
        idempotency_key: str | None = None,
        extra_headers: Mapping[str, str] | None = None,
    ) -> AsyncIterator[TaskEvent]:
        """Start a task and yield its events as they happen, up to its last one.

        ``event.type`` is ``started``, ``message`` (``text``), ``tool_call`` (``tool_name``,
        ``params``, ``resource_id``, ``call_id``), ``result`` (``data``, ``duration_ms``),
        ``denied`` (``reason``), ``error`` (``error``) or ``complete`` (``output``).
        The task is created when iteration starts.
        """
        check_id("bot_id", bot_id)  # now, not at the first step of the iteration
        if idempotency_key is not None:
            check_idempotency_key(idempotency_key)
        return self._stream(
            bot_id=bot_id, input=input, metadata=metadata, on_status=on_status,
            idempotency_key=idempotency_key, extra_headers=extra_headers,
        )

    async def _stream(
        self,
        *,
        bot_id: str,
        input: str,
        metadata: dict[str, Any] | None,
        on_status: StatusCallback | None,
        idempotency_key: str | None,
        extra_headers: Mapping[str, str] | None,
    ) -> AsyncIterator[TaskEvent]:
        task = await self.create(
            bot_id=bot_id, input=input, metadata=metadata, idempotency_key=idempotency_key,
            extra_headers=extra_headers,
        )
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
            self._transport, check_id("task_id", task_id), after=after,
            max_reconnects=max_reconnects, on_status=on_status,
        )

    async def get(self, task_id: str) -> Task:
        path = f"/v1/tasks/{id_segment('task_id', task_id)}"
        return Task.model_validate(await self._transport.request("GET", path))

    def list(
        self,
        *,
        bot_id: str | None = None,
        status: str | None = None,
        limit: int | None = None,
    ) -> AsyncPager[Task]:
        """Tasks, newest first; ``limit`` caps how many."""
        params = {"bot_id": optional_id("bot_id", bot_id), "status": status}
        return AsyncPager(self._fetch("/v1/tasks"), Task, params, limit=limit)

    async def stats(
        self,
        *,
        task_ids: builtins.list[str] | None = None,
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

    async def cancel(
        self,
        task_id: str,
        *,
        idempotency_key: str | None = None,
        extra_headers: Mapping[str, str] | None = None,
    ) -> Task:
        """Stop a queued or running task; returns it as it ended (``cancelled``).

        A retried cancel that the server already carried out answers as the first did.
        """
        data = await self._transport.request(
            "POST", f"/v1/tasks/{id_segment('task_id', task_id)}/cancel",
            headers=extra_headers, idempotency_key=idempotency_key,
        )
        return Task.model_validate(data)
