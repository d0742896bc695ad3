"""``EventService``: a task's events, stored ones then live ones, from whichever process
runs the task.

Subscribe first, then replay the store, then take live events, skipping what the
replay already gave: no gap, no duplicate. Live events come from this process's
recorder, or — for a task another process runs — as a poke from the PostgreSQL
feed or this follower's own poll of the store (``POLL_S``): the store is the truth.
It ends after the task's terminal event, or soon after the watcher's key is revoked.
"""

from __future__ import annotations

import asyncio
import os
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import TYPE_CHECKING

from ...client.models import FINISHED_TASK_STATUSES
from ..event_frames import EventFrame
from ..runner.feed import POLL_S

if TYPE_CHECKING:
    from ..runner import TaskRunner
    from ..store import Store

#: seconds between keep-alive marks on an idle stream
KEEPALIVE_S = float(os.environ.get("MONSTRUM_SSE_KEEPALIVE", "15"))
#: seconds between checks that a stream's API key still exists (revoked: the stream ends)
KEY_RECHECK_S = float(os.environ.get("MONSTRUM_SSE_KEY_RECHECK", "2"))
#: events read from the store per query while replaying
REPLAY_BATCH = 500


@dataclass(frozen=True)
class Idle:
    """Nothing happened for a while (the route sends a keep-alive)."""


@dataclass(frozen=True)
class KeyRevoked:
    """The watcher's API key no longer exists: the stream ends."""


Item = list[EventFrame] | Idle | KeyRevoked


class EventService:
    def __init__(self, store: Store, runner: TaskRunner) -> None:
        self._store = store
        self._runner = runner

    async def follow(
        self, task_id: str, after: int, key_id: str | None = None
    ) -> AsyncIterator[Item]:
        """Batches of events after ``after`` as SSE frames (in order, ending with the
        terminal one), ``Idle`` marks while nothing happens, ``KeyRevoked`` to end early."""
        store = self._store
        last = after
        last_sent = time.monotonic()
        next_key_check = last_sent + KEY_RECHECK_S
        with self._runner.broker.subscribe(task_id) as sub:
            replay = True
            while True:
                if replay:
                    sub.drain()  # the store has everything the queue held
                    while True:
                        batch = await asyncio.to_thread(
                            store.tasks.frames_after, task_id, last, REPLAY_BATCH
                        )
                        if batch:
                            ended = next((i for i, e in enumerate(batch) if e.terminal),
                                         None)
                            if ended is not None:
                                yield batch[: ended + 1]
                                return
                            last = batch[-1].seq
                            last_sent = time.monotonic()
                            yield batch
                        if len(batch) < REPLAY_BATCH:
                            break
                    replay = False
                    task = await asyncio.to_thread(store.tasks.get, task_id)
                    if task is None or task.status in FINISHED_TASK_STATUSES:
                        # finished between the replay and now: the terminal event is stored;
                        # what is left goes out a batch at a time (memory stays bounded)
                        while True:
                            rest = await asyncio.to_thread(store.tasks.frames_after, task_id,
                                                           last, REPLAY_BATCH)
                            if rest:
                                last = rest[-1].seq
                                yield rest
                            if len(rest) < REPLAY_BATCH:
                                return
                now = time.monotonic()
                if key_id is not None and now >= next_key_check:
                    next_key_check = now + KEY_RECHECK_S
                    if not await asyncio.to_thread(store.keys.exists, key_id):
                        yield KeyRevoked()
                        return
                # a task another process runs is looked up in the store on a short poll
                wait = KEY_RECHECK_S if self._runner.runs(task_id) else POLL_S
                try:
                    item = await asyncio.wait_for(sub.queue.get(),
                                                  timeout=min(KEEPALIVE_S, wait))
                except asyncio.TimeoutError:
                    if sub.overflowed or not self._runner.runs(task_id):
                        replay = True
                    if time.monotonic() - last_sent >= KEEPALIVE_S:
                        last_sent = time.monotonic()
                        yield Idle()
                    continue
                # what has piled up goes out in one batch: fewer, larger writes when busy
                out: list[EventFrame] = []
                ended = False
                while True:
                    sub.took(item)
                    if item is None or sub.overflowed:
                        replay = True  # stored elsewhere or fell behind: the store
                        break
                    for frame in item:
                        if frame.seq <= last:
                            continue
                        if frame.seq > last + 1:
                            replay = True  # missing: the store has it
                            break
                        out.append(frame)
                        last = frame.seq
                        if frame.terminal:
                            ended = True
                            break
                    if replay or ended or sub.queue.empty() or len(out) >= REPLAY_BATCH:
                        break
                    item = sub.queue.get_nowait()
                if out:
                    last_sent = time.monotonic()
                    yield out
                if ended:
                    return
