"""A cancel that reaches a task in the instant between its claim and its first step.

A coroutine cancelled before its first step never runs, so nothing in it could record
how the task ended: the task stayed ``running`` with no event, its lease passed, and
another claim took it over and ran it to the end as if no one had cancelled it (seen
as the demo history's cancelled ``wait 60`` run completing a minute later).
"""

from __future__ import annotations

import asyncio
from pathlib import Path

from monstrum_tui.client.models import BotCreate
from monstrum_tui.server.platform import Platform
from monstrum_tui.server.settings import ServerSettings


async def _until_finished(platform: Platform, task_id: str, limit: float = 20.0) -> str:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + limit
    while loop.time() < deadline:
        task = await asyncio.to_thread(platform.store.tasks.get, task_id)
        assert task is not None
        if task.status in ("completed", "failed", "cancelled"):
            return task.status
        await asyncio.sleep(0.05)
    return "still " + task.status


async def test_a_cancel_before_the_task_first_runs_cancels_it(tmp_path: Path) -> None:
    platform = Platform.open(ServerSettings(data_dir=tmp_path / "data"))
    try:
        await platform.start()
        bot = platform.store.bots.create(BotCreate(name="waiter", model="scripted"))
        task = await platform.runner.submit(bot.id, "wait 60", {})
        # the claim registers the job; its first step is queued after this coroutine's
        # next one, so the cancel lands before the job has run at all
        while not platform.runner.runs(task.id):
            await asyncio.sleep(0)
        await platform.runner.cancel(task.id, "cancelled at once")
        assert await _until_finished(platform, task.id) == "cancelled"
        events = platform.store.tasks.events_after(task.id, 0, limit=100)
        assert [e.type for e in events][-1] == "error"
        assert events[-1].error == "cancelled at once"
        assert not platform.runner.runs(task.id)
    finally:
        await platform.stop()
        platform.close()
