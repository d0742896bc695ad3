"""``/v1/tasks``: start tasks, look them up, cancel them, and follow their events (SSE)."""

from __future__ import annotations

import asyncio
import os
import time
from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import APIRouter, Depends, Header, Query
from fastapi.responses import StreamingResponse

from ...client.models import Page, Task, TaskCreate, TaskEvent, TaskStatus
from ..auth import Principal
from ..platform import Platform
from ..runner import is_terminal
from ..store.tasks import FINISHED
from .deps import PlatformDep, page_limit, require
from .errors import Conflict, Invalid, NotFound
from .idempotency import Once

router = APIRouter(prefix="/v1/tasks", tags=["tasks"])
Reader = Annotated[Principal, Depends(require("tasks:read"))]
Writer = Annotated[Principal, Depends(require("tasks:write"))]

#: seconds between keep-alive comments on an idle event stream
KEEPALIVE_S = float(os.environ.get("MONSTRUM_SSE_KEEPALIVE", "15"))
#: seconds between checks that a stream's API key still exists (revoked: the stream ends)
KEY_RECHECK_S = float(os.environ.get("MONSTRUM_SSE_KEY_RECHECK", "2"))
#: events read from the store per query while replaying
REPLAY_BATCH = 500
#: the largest seq SQLite can store (a bigger one cannot even be compared with)
MAX_SEQ = 2**63 - 1


async def _task_or_404(platform: Platform, task_id: str) -> Task:
    task = await asyncio.to_thread(platform.store.tasks.get, task_id)
    if task is None:
        raise NotFound(f"no task {task_id}")
    return task


@router.post("", response_model=Task, status_code=201)
async def create_task(body: TaskCreate, platform: PlatformDep, _: Writer, once: Once) -> Task:
    """Start a task for a bot; it is ``queued`` and runs as soon as the limits allow."""
    bot = await asyncio.to_thread(platform.store.bots.get, body.bot_id)
    if bot is None:
        raise NotFound(f"no bot {body.bot_id}")
    if bot.status != "active":
        raise Conflict(
            f"bot {bot.name} ({bot.id}) is {bot.status}: it cannot start tasks until its "
            "status is set back to active"
        )
    return await platform.runner.submit(bot.id, body.input, body.metadata)


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
    items, next_cursor = await asyncio.to_thread(
        platform.store.tasks.list, page_limit(limit), cursor, bot_id=bot_id, status=status
    )
    return Page[Task](data=items, next_cursor=next_cursor)


@router.get("/{task_id}", response_model=Task)
async def get_task(task_id: str, platform: PlatformDep, _: Reader) -> Task:
    return await _task_or_404(platform, task_id)


@router.post("/{task_id}/cancel", response_model=Task)
async def cancel_task(task_id: str, platform: PlatformDep, _: Writer, once: Once) -> Task:
    """Stop a queued or running task at once; a finished task is a 409."""
    task = await _task_or_404(platform, task_id)
    if task.status in FINISHED:
        raise Conflict(f"task {task_id} is already {task.status}")
    if not await platform.runner.cancel(task_id):
        await platform.runner.cancel_orphan(task, "cancelled by request")
    return await _task_or_404(platform, task_id)


def _frame(event: TaskEvent) -> str:
    data = event.model_dump_json(exclude_none=True)
    return f"id: {event.seq}\nevent: {event.type}\ndata: {data}\n\n"


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
    """SSE frames of a task's events after ``after``: stored ones, then live ones.

    Subscribe first, then replay the store, then drain the live queue skipping what the
    replay already sent: no gap, no duplicate. Ends after the task's terminal event, or
    within ``KEY_RECHECK_S`` of the watcher's key (``key_id``) being revoked.
    """
    store = platform.store
    last = after
    last_sent = time.monotonic()
    next_key_check = last_sent + KEY_RECHECK_S
    yield "retry: 1000\n\n"
    with platform.runner.broker.subscribe(task_id) as sub:
        replay = True
        while True:
            if replay:
                sub.drain()  # the store has everything the queue held
                while True:
                    batch = await asyncio.to_thread(
                        store.tasks.events_after, task_id, last, REPLAY_BATCH
                    )
                    frames = []
                    for event in batch:
                        frames.append(_frame(event))
                        last = event.seq
                        if is_terminal(event):
                            yield "".join(frames)
                            return
                    if frames:
                        yield "".join(frames)
                    if len(batch) < REPLAY_BATCH:
                        break
                replay = False
                task = await asyncio.to_thread(store.tasks.get, task_id)
                if task is None or task.status in FINISHED:
                    # finished between the replay and now: the terminal event is stored
                    for event in await asyncio.to_thread(store.tasks.events_after, task_id, last):
                        yield _frame(event)
                    return
            now = time.monotonic()
            if key_id is not None and now >= next_key_check:
                next_key_check = now + KEY_RECHECK_S
                if not await asyncio.to_thread(store.keys.exists, key_id):
                    yield ": the API key was revoked\n\n"
                    return
            try:
                event = await asyncio.wait_for(
                    sub.queue.get(), timeout=min(KEEPALIVE_S, KEY_RECHECK_S)
                )
            except asyncio.TimeoutError:
                if sub.overflowed:
                    replay = True
                elif time.monotonic() - last_sent >= KEEPALIVE_S:
                    last_sent = time.monotonic()
                    yield ": keep-alive\n\n"
                continue
            # send what has piled up in one write: fewer, larger chunks when busy
            frames = []
            ended = False
            while True:
                if sub.overflowed or event.seq > last + 1:
                    replay = True  # fell behind (or something is missing): read the store
                    break
                if event.seq > last:
                    frames.append(_frame(event))
                    last = event.seq
                    if is_terminal(event):
                        ended = True
                        break
                if sub.queue.empty() or len(frames) >= REPLAY_BATCH:
                    break
                event = sub.queue.get_nowait()
            if frames:
                last_sent = time.monotonic()
                yield "".join(frames)
            if ended:
                return


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
    await _task_or_404(platform, task_id)
    start = _resume_point(after, last_event_id)
    return StreamingResponse(
        follow_events(platform, task_id, start, principal.key_id),
        media_type="text/event-stream",
        headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
    )
