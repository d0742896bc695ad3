"""``/v1/tasks``: start tasks, look them up, cancel them, and follow their events (SSE)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import APIRouter, Depends, Header, Query
from fastapi.responses import StreamingResponse

from ...client.models import Page, Task, TaskCreate, TaskStatus
from ..auth import Principal
from ..platform import Platform
from ..services.events import Idle, KeyRevoked
from .deps import PlatformDep, page_limit, require
from .errors import Invalid
from .idempotency import Once

router = APIRouter(prefix="/v1/tasks", tags=["tasks"])
Reader = Annotated[Principal, Depends(require("tasks:read"))]
Writer = Annotated[Principal, Depends(require("tasks:write"))]

#: the largest seq SQLite can store (a bigger one cannot even be compared with)
MAX_SEQ = 2**63 - 1


@router.post("", response_model=Task, status_code=201)
async def create_task(body: TaskCreate, platform: PlatformDep, _: Writer, once: Once) -> Task:
    """Start a task for a bot; it is ``queued`` and runs as soon as the limits allow."""
    return await platform.tasks.start(body.bot_id, body.input, body.metadata)


@router.get("", response_model=Page[Task])
async def list_tasks(
    platform: PlatformDep,
    _: Reader,
    bot_id: str | None = None,
    status: TaskStatus | None = None,
    limit: int = Query(50, ge=1, le=500),
    cursor: str | None = None,
) -> Page[Task]:
    """Tasks, newest first."""
    items, next_cursor = await platform.tasks.list(
        page_limit(limit), cursor, bot_id=bot_id, status=status
    )
    return Page[Task](data=items, next_cursor=next_cursor)


@router.get("/{task_id}", response_model=Task)
async def get_task(task_id: str, platform: PlatformDep, _: Reader) -> Task:
    return await platform.tasks.get(task_id)


@router.post("/{task_id}/cancel", response_model=Task)
async def cancel_task(task_id: str, platform: PlatformDep, _: Writer, once: Once) -> Task:
    """Stop a queued or running task at once, on whichever server runs it; a finished task
    is a 409."""
    return await platform.tasks.cancel(task_id)


def _resume_point(after: int | None, last_event_id: str | None) -> int:
    if last_event_id is not None and last_event_id.strip():
        try:
            value = int(last_event_id.strip())
        except ValueError:
            raise Invalid(
                "Last-Event-ID must be an event's seq (an integer)",
                fields=[{"field": "Last-Event-ID", "message": "not an integer"}],
            ) from None
        if value < 0:
            raise Invalid("Last-Event-ID must not be negative",
                          fields=[{"field": "Last-Event-ID", "message": "negative"}])
        if value > MAX_SEQ:
            raise Invalid(f"Last-Event-ID must be at most {MAX_SEQ}",
                          fields=[{"field": "Last-Event-ID", "message": "too large"}])
        return value
    return after or 0


async def follow_events(
    platform: Platform, task_id: str, after: int, key_id: str | None = None
) -> AsyncIterator[str]:
    """SSE frames of a task's events after ``after`` (services/events.py), keep-alives,
    and the end of the stream soon after the watcher's key is revoked."""
    yield "retry: 1000\n\n"
    async for item in platform.events.follow(task_id, after, key_id):
        if isinstance(item, Idle):
            yield ": keep-alive\n\n"
        elif isinstance(item, KeyRevoked):
            yield ": the API key was revoked\n\n"
            return
        else:
            yield "".join([frame.text for frame in item])


@router.get(
    "/{task_id}/events",
    response_class=StreamingResponse,
    responses={200: {"content": {"text/event-stream": {}},
                     "description": "Server-Sent Events: id = seq, event = type, "
                                    "data = the TaskEvent JSON"}},
)
async def task_events(
    task_id: str,
    platform: PlatformDep,
    principal: Reader,
    after: int | None = Query(
        None, ge=0, le=MAX_SEQ, description="send only events with a greater seq"
    ),
    last_event_id: str | None = Header(None, description="resume after this seq (SSE)"),
) -> StreamingResponse:
    """The task's events as Server-Sent Events; a finished task's stream replays and ends."""
    await platform.tasks.get(task_id)
    start = _resume_point(after, last_event_id)
    return StreamingResponse(
        follow_events(platform, task_id, start, principal.key_id),
        media_type="text/event-stream",
        headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
    )
