"""A task's event stream (Server-Sent Events) that resumes by itself.

``TaskEventStream`` follows ``GET /v1/tasks/{id}/events``. When the connection drops
it reconnects with ``Last-Event-ID`` (the last seq it yielded), so the caller gets every
event exactly once, in order, with no gap. It ends after the task's terminal event.
"""

from __future__ import annotations

import asyncio
import random
from collections.abc import AsyncGenerator, Callable
from dataclasses import dataclass
from typing import Any, Literal

from .errors import APIConnectionError, MonstrumAPIError
from .models import TaskEvent
from .namespace import id_segment
from .sse_parser import ServerSentEvent, aiter_sse
from .transport import Transport

__all__ = ["ServerSentEvent", "StreamStatus", "TaskEventStream", "aiter_sse"]

#: reconnect attempts in a row (without an event in between) before giving up
DEFAULT_MAX_RECONNECTS = 8
FIRST_RECONNECT_DELAY = 0.25
MAX_RECONNECT_DELAY = 4.0
#: the server sends a keep-alive every 15 s; three missed ones mean the link is dead
READ_TIMEOUT = 45.0
RETRYABLE_STATUS = frozenset({408, 409, 429})


@dataclass(frozen=True)
class StreamStatus:
    """The state of an event stream's connection, for callers that show it."""

    state: Literal["connected", "reconnecting"]
    task_id: str
    last_seq: int | None
    attempt: int = 0
    error: Exception | None = None


StatusCallback = Callable[[StreamStatus], Any]


def _retryable(exc: Exception) -> bool:
    if isinstance(exc, APIConnectionError):
        return True
    if isinstance(exc, MonstrumAPIError):
        return exc.status_code >= 500 or exc.status_code in RETRYABLE_STATUS
    return False


def reconnect_delay(attempt: int) -> float:
    """Doubling from 0.25 s up to 4 s, with jitter."""
    delay = min(FIRST_RECONNECT_DELAY * 2.0 ** min(attempt, 32), MAX_RECONNECT_DELAY)
    return delay * (0.75 + 0.25 * random.random())


class TaskEventStream:
    """An async iterator of one task's ``TaskEvent``s that reconnects when dropped.

    ``after`` starts after that seq (``None``: from the first event). ``last_seq`` is the
    seq of the last event yielded. ``on_status`` (a plain function) hears about
    connections and reconnect attempts. Close it with ``aclose()`` (``async for`` with
    ``break`` leaves it to the garbage collector).
    """

    def __init__(
        self,
        transport: Transport,
        task_id: str,
        *,
        after: int | None = None,
        max_reconnects: int = DEFAULT_MAX_RECONNECTS,
        on_status: StatusCallback | None = None,
        read_timeout: float = READ_TIMEOUT,
    ) -> None:
        self.task_id = task_id
        self.last_seq = after
        self.finished = False
        self._transport = transport
        self._max_reconnects = max_reconnects
        self._on_status = on_status
        self._read_timeout = read_timeout
        self._events = self._follow()

    def __aiter__(self) -> TaskEventStream:
        return self

    async def __anext__(self) -> TaskEvent:
        return await self._events.__anext__()

    async def aclose(self) -> None:
        """Stop following and close the connection."""
        await self._events.aclose()

    def _status(self, status: StreamStatus) -> None:
        if self._on_status is not None:
            try:
                self._on_status(status)
            except Exception:
                pass  # a display callback must not break the stream

    async def _follow(self) -> AsyncGenerator[TaskEvent, None]:
        failures = 0
        path = f"/v1/tasks/{id_segment('task_id', self.task_id)}/events"
        while True:
            headers = {"Accept": "text/event-stream"}
            if self.last_seq is not None:
                headers["Last-Event-ID"] = str(self.last_seq)
            error: Exception | None = None
            try:
                async with self._transport.stream(
                    "GET", path, headers=headers, read_timeout=self._read_timeout
                ) as response:
                    self._status(StreamStatus("connected", self.task_id, self.last_seq, failures))
                    async for message in aiter_sse(response.aiter_bytes()):
                        if message.comment:
                            failures = 0  # a keep-alive: the link works
                            continue
                        if not message.data:
                            continue
                        event = TaskEvent.model_validate_json(message.data)
                        if self.last_seq is not None and event.seq <= self.last_seq:
                            continue
                        self.last_seq = event.seq
                        failures = 0
                        yield event
                        if event.is_terminal:
                            self.finished = True
                            return
            except Exception as exc:
                if not _retryable(exc):
                    raise
                error = exc
            if failures >= self._max_reconnects:
                raise error or APIConnectionError(
                    f"the event stream of task {self.task_id} kept ending before the task "
                    f"finished ({failures + 1} attempts)"
                )
            self._status(
                StreamStatus("reconnecting", self.task_id, self.last_seq, failures + 1, error)
            )
            await asyncio.sleep(reconnect_delay(failures))
            failures += 1
